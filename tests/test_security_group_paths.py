"""Every security-group path the stacks open inside the VPC has both ends: an egress rule toward a port of the
VPC's ranges is admitted by some security group's ingress, from the same group or from a range that holds the
sender. A one-sided rule promises access that does not exist (the bastion once had egress to PostgreSQL, Redis
and Elasticsearch that nothing admitted). Rules are read as the cluster-fit check reads them
(tools/fit/control_plane.py: standalone rule resources and the groups' inline rules)."""

from __future__ import annotations

from ipaddress import IPv4Network, ip_network

import pytest

from tools.fit.control_plane import Rule, security_group_rules

AWS_REGION_STACKS = ["production-us-west-2", "production-us-east-1", "local-us-west-2", "local-us-east-1"]
PRIVATE = [ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


def _private(cidr: str | None) -> IPv4Network | None:
    if cidr is None or "${" in cidr:
        return None
    network = ip_network(cidr)
    return network if any(network.subnet_of(p) for p in PRIVATE) else None


def _covers(rule: Rule, port: int) -> bool:
    return rule.low <= port <= rule.high


def _admits(ingress: Rule, egress: Rule, inside: IPv4Network) -> bool:
    """The ingress rule lets the egress rule's traffic in: its port, from the sender's group or a range holding
    the destination the sender names."""
    if not _covers(ingress, egress.low):
        return False
    if ingress.peer_group is not None:
        return ingress.peer_group == egress.group
    peer = _private(ingress.peer_cidr) if ingress.peer_cidr else None
    return peer is not None and inside.overlaps(peer)


@pytest.mark.parametrize("stack", AWS_REGION_STACKS)
def test_every_egress_inside_the_vpc_is_admitted_somewhere(stacks, stack):
    resources = stacks[stack]["resource"]
    ingress = security_group_rules(resources, "ingress")
    one_sided, checked = [], 0
    for rule in security_group_rules(resources, "egress"):
        inside = _private(rule.peer_cidr)
        if inside is None or (rule.low, rule.high) == (0, 65535):
            continue  # a group, the internet, a prefix list, or all traffic (no particular promise)
        checked += 1
        if not any(_admits(other, rule, inside) for other in ingress):
            one_sided.append(f"{rule.group} port {rule.low} to {inside}")
    if stack.startswith("production-"):
        assert checked, f"{stack}: no egress rule inside the VPC was read (its bastion has some)"
    assert one_sided == [], f"{stack}: egress that no security group admits:\n" + "\n".join(one_sided)


def test_a_one_sided_rule_is_found():
    """The check itself: an egress to PostgreSQL that nothing admits is reported, the admitted one is not."""
    resources = {
        "aws_security_group": {
            "bastion": {
                "egress": [{"from_port": 5432, "to_port": 5432, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/16"]}]
            },
            "db": {"ingress": []},
        }
    }
    (egress,) = security_group_rules(resources, "egress")
    assert [egress.low] == [5432] and security_group_rules(resources, "ingress") == ()
    assert not any(_admits(r, egress, ip_network("10.0.0.0/16")) for r in security_group_rules(resources, "ingress"))
    resources["aws_vpc_security_group_ingress_rule"] = {
        "db-from-bastion": {
            "security_group_id": "${aws_security_group.db.id}",
            "from_port": 5432,
            "to_port": 5432,
            "ip_protocol": "tcp",
            "referenced_security_group_id": "${aws_security_group.bastion.id}",
        }
    }
    (rule,) = security_group_rules(resources, "ingress")
    assert _covers(rule, 5432) and rule.peer_group == "bastion" and not _covers(rule, 6379)
    assert _admits(rule, egress, ip_network("10.0.0.0/16"))

"""Every security-group path the stacks open inside the VPC has both ends: an egress rule toward a port of the
VPC's ranges is admitted by some security group's ingress, from the same group or from a range that holds the
sender. A one-sided rule promises access that does not exist (the bastion once had egress to PostgreSQL, Redis
and Elasticsearch that nothing admitted)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network

import pytest

from tests.conftest import resources

AWS_REGION_STACKS = ["production-us-west-2", "production-us-east-1", "local-us-west-2", "local-us-east-1"]
PRIVATE = [ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


@dataclass(frozen=True)
class Rule:
    group: str  # the security group's reference
    low: int | None  # None: every port
    high: int | None
    protocol: str
    cidrs: tuple[str, ...]
    groups: tuple[str, ...]

    def covers(self, port: int | None) -> bool:
        if self.protocol == "-1" or self.low is None:
            return True
        return port is not None and self.low <= port <= self.high


def _ref(logical_id: str) -> str:
    return f"${{aws_security_group.{logical_id}.id}}"


def _rules(stack: dict, direction: str) -> list[Rule]:
    """Inline rules of ``aws_security_group`` and standalone ``aws_vpc_security_group_*_rule`` resources."""
    rules = []
    for logical_id, group in resources(stack, "aws_security_group").items():
        for rule in group.get(direction) or []:
            rules.append(
                Rule(
                    _ref(logical_id),
                    rule.get("from_port"),
                    rule.get("to_port"),
                    str(rule.get("protocol")),
                    tuple(rule.get("cidr_blocks") or ()),
                    tuple(rule.get("security_groups") or ()),
                )
            )
    for rule in resources(stack, f"aws_vpc_security_group_{direction}_rule").values():
        rules.append(
            Rule(
                rule["security_group_id"],
                rule.get("from_port"),
                rule.get("to_port"),
                str(rule.get("ip_protocol")),
                (rule["cidr_ipv4"],) if rule.get("cidr_ipv4") else (),
                (rule["referenced_security_group_id"],) if rule.get("referenced_security_group_id") else (),
            )
        )
    return rules


def _private(cidr: str) -> IPv4Network | None:
    if "${" in cidr:
        return None
    network = ip_network(cidr)
    return network if any(network.subnet_of(p) for p in PRIVATE) else None


@pytest.mark.parametrize("stack", AWS_REGION_STACKS)
def test_every_egress_inside_the_vpc_is_admitted_somewhere(stacks, stack):
    synthesized = stacks[stack]
    ingress = _rules(synthesized, "ingress")
    one_sided, checked = [], 0
    for rule in _rules(synthesized, "egress"):
        inside = [n for n in map(_private, rule.cidrs) if n is not None]
        if not inside or rule.protocol == "-1":
            continue  # the internet, a prefix list, or all traffic (no particular promise)
        checked += 1
        admitted = any(
            other.covers(rule.low)
            and (
                rule.group in other.groups
                or any(n.overlaps(ip_network(c)) for n in inside for c in other.cidrs if "${" not in c)
            )
            for other in ingress
        )
        if not admitted:
            one_sided.append(f"{rule.group} port {rule.low} to {[str(n) for n in inside]}")
    if stack.startswith("production-"):
        assert checked, f"{stack}: no egress rule inside the VPC was read (its bastion has some)"
    assert one_sided == [], f"{stack}: egress that no security group admits:\n" + "\n".join(one_sided)


def test_a_one_sided_rule_is_found():
    """The check itself: an egress to PostgreSQL that nothing admits is reported, the admitted one is not."""
    stack = {
        "resource": {
            "aws_security_group": {
                "bastion": {
                    "egress": [{"from_port": 5432, "to_port": 5432, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/16"]}]
                },
                "db": {"ingress": []},
            }
        }
    }
    egress = _rules(stack, "egress")
    assert [r.low for r in egress] == [5432] and _rules(stack, "ingress") == []
    stack["resource"]["aws_vpc_security_group_ingress_rule"] = {
        "db-from-bastion": {
            "security_group_id": _ref("db"),
            "from_port": 5432,
            "to_port": 5432,
            "ip_protocol": "tcp",
            "referenced_security_group_id": _ref("bastion"),
        }
    }
    (rule,) = _rules(stack, "ingress")
    assert rule.covers(5432) and _ref("bastion") in rule.groups and not rule.covers(6379)

"""Which ports the EKS control plane can open on pods and nodes, from the infrastructure stack's security groups.

The API server calls admission webhooks (and the kubelet) from the control plane's interfaces, which carry
the cluster's security groups (``aws_eks_cluster.vpc_config.security_group_ids``). A call gets through when
a cluster group lets it out (egress) and a group of the receiving interface lets it in (ingress). Pods on
the pod network use the ENIConfigs' groups under VPC CNI custom networking, else their node's; host-network
pods and the kubelet use the node's, as its launch template sets them. A node group whose launch template
sets no group gets the cluster security group EKS creates, which admits the control plane on every port.
Karpenter's nodes select their groups by tag at run time and are left out: they take the node group's
(``karpenter.sh/discovery``), which the managed groups already bring in.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_GROUP = re.compile(r"\$\{aws_security_group\.(?P<id>[^.}]+)\.id\}")
_SUBNET = re.compile(r"\$\{aws_subnet\.(?P<id>[^.}]+)\.id\}")
_LAUNCH_TEMPLATE = re.compile(r"\$\{aws_launch_template\.(?P<id>[^.}]+)\.id\}")
#: ``ip_protocol`` values that carry TCP (``-1``: every protocol, ports ignored).
_TCP = {"tcp", "6", "-1", "all"}


@dataclass(frozen=True)
class Rule:
    """One security group rule: ``group`` lets TCP ``low``-``high`` in from (or out to) ``peer_group`` or
    ``peer_cidr``."""

    group: str
    low: int
    high: int
    peer_group: str | None = None
    peer_cidr: str | None = None


@dataclass(frozen=True)
class Interfaces:
    """Network interfaces of one kind: the security groups each carries (empty: only the EKS-created cluster
    group, which admits the control plane on every port) and the subnets' ranges they live in."""

    groups: frozenset[str]
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class ControlPlaneReach:
    """The control plane's interfaces, the pods' and the nodes' (one entry per launch template or ENIConfig),
    and the rules between them."""

    control_plane: Interfaces
    pods: tuple[Interfaces, ...]
    nodes: tuple[Interfaces, ...]
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]

    def admits(self, port: int, *, host_network: bool = False) -> bool:
        """Whether a TCP connection from the control plane to ``port`` of any pod (or, ``host_network``,
        any node) gets through both ends' groups."""
        return all(self._reaches(target, port) for target in (self.nodes if host_network else self.pods))

    def admitted(self, *, host_network: bool = False) -> list[int]:
        """The single ports the rules name that :meth:`admits` (for messages)."""
        ports = {rule.low for rule in self.ingress if rule.low == rule.high}
        return sorted(p for p in ports if self.admits(p, host_network=host_network))

    def _reaches(self, target: Interfaces, port: int) -> bool:
        if not target.groups:
            return True
        source = self.control_plane
        inbound = any(r.group in target.groups and r.low <= port <= r.high and _covers(r, source) for r in self.ingress)
        outbound = any(r.group in source.groups and r.low <= port <= r.high and _covers(r, target) for r in self.egress)
        return inbound and outbound


def _covers(rule: Rule, peer: Interfaces) -> bool:
    """Whether the rule's peer is ``peer``: one of its groups, or a range holding all of its subnets."""
    if rule.peer_group is not None:
        return rule.peer_group in peer.groups
    if rule.peer_cidr is None or "${" in rule.peer_cidr or not peer.cidrs:
        return False
    block = ipaddress.ip_network(rule.peer_cidr, strict=False)
    return all(ipaddress.ip_network(c, strict=False).subnet_of(block) for c in peer.cidrs)  # type: ignore[arg-type]


def _ids(pattern: re.Pattern[str], values: Iterable[Any]) -> list[str]:
    return [m["id"] for v in values for m in pattern.finditer(str(v))]


def _tcp_ports(protocol: Any, low: Any, high: Any) -> tuple[int, int] | None:
    """The TCP port range a rule opens (every port for ``-1``), or None for a protocol that is not TCP."""
    protocol = str(protocol).lower()
    if protocol not in _TCP:
        return None
    if protocol in ("-1", "all"):
        return 0, 65535
    return int(low if low is not None else 0), int(high if high is not None else 65535)


def security_group_rules(resources: Mapping[str, Any], direction: str) -> tuple[Rule, ...]:
    """Every TCP rule of one ``direction`` (``ingress`` or ``egress``): standalone
    ``aws_vpc_security_group_<direction>_rule`` resources and the inline rules of ``aws_security_group``,
    one :class:`Rule` per peer group or range."""
    rules = []
    for rule in resources.get(f"aws_vpc_security_group_{direction}_rule", {}).values():
        ports = _tcp_ports(rule.get("ip_protocol", ""), rule.get("from_port"), rule.get("to_port"))
        (group,) = _ids(_GROUP, [rule.get("security_group_id")]) or [None]
        if ports is None or group is None:
            continue
        peers = _ids(_GROUP, [rule.get("referenced_security_group_id") or ""])
        rules.append(Rule(group, *ports, peer_group=peers[0] if peers else None, peer_cidr=rule.get("cidr_ipv4")))
    for group, security_group in resources.get("aws_security_group", {}).items():
        for rule in security_group.get(direction) or []:
            ports = _tcp_ports(rule.get("protocol", ""), rule.get("from_port"), rule.get("to_port"))
            if ports is None:
                continue
            rules += [Rule(group, *ports, peer_group=peer) for peer in _ids(_GROUP, rule.get("security_groups") or [])]
            rules += [Rule(group, *ports, peer_cidr=cidr) for cidr in rule.get("cidr_blocks") or []]
    return tuple(rules)


def _cidrs(resources: Mapping[str, Any], refs: Iterable[Any]) -> tuple[str, ...]:
    subnets = resources.get("aws_subnet", {})
    return tuple(str(subnets[i]["cidr_block"]) for i in _ids(_SUBNET, refs) if subnets.get(i, {}).get("cidr_block"))


def _cni_env(resources: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The vpc-cni add-on's configuration: its ``env`` and ``eniConfig`` (empty without the add-on)."""
    for addon in resources.get("aws_eks_addon", {}).values():
        if addon.get("addon_name") == "vpc-cni" and addon.get("configuration_values"):
            config = json.loads(addon["configuration_values"])
            return config.get("env") or {}, config.get("eniConfig") or {}
    return {}, {}


def control_plane_reach(infra_stack: Mapping[str, Any]) -> ControlPlaneReach | None:
    """What the control plane of the stack's EKS cluster can reach; None without a cluster."""
    resources = infra_stack.get("resource", {})
    clusters = list(resources.get("aws_eks_cluster", {}).values())
    if not clusters:
        return None
    vpc_config = clusters[0].get("vpc_config") or {}
    vpc_config = vpc_config[0] if isinstance(vpc_config, list) else vpc_config
    control_plane = Interfaces(
        frozenset(_ids(_GROUP, vpc_config.get("security_group_ids") or [])),
        _cidrs(resources, vpc_config.get("subnet_ids") or []),
    )
    templates = resources.get("aws_launch_template", {})
    nodes = []
    for group in resources.get("aws_eks_node_group", {}).values():
        template = group.get("launch_template") or {}
        template = template[0] if isinstance(template, list) else template
        (name,) = _ids(_LAUNCH_TEMPLATE, [template.get("id", "")]) or [None]
        groups = (templates.get(name) or {}).get("vpc_security_group_ids") or []
        nodes.append(Interfaces(frozenset(_ids(_GROUP, groups)), _cidrs(resources, group.get("subnet_ids") or [])))
    env, eni_config = _cni_env(resources)
    if str(env.get("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "")).lower() == "true":
        pods = [
            Interfaces(frozenset(_ids(_GROUP, subnet.get("securityGroups") or [])), _cidrs(resources, [subnet["id"]]))
            for subnet in (eni_config.get("subnets") or {}).values()
        ]
    else:
        pods = nodes
    return ControlPlaneReach(
        control_plane=control_plane,
        pods=tuple(pods),
        nodes=tuple(nodes),
        ingress=security_group_rules(resources, "ingress"),
        egress=security_group_rules(resources, "egress"),
    )

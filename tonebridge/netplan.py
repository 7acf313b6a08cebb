"""Pure address arithmetic shared by configuration validation and the VPC construct.

Kept free of cdktf imports so that configuration can be checked before any provider loads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network

#: AWS reserves the first four and the last address of every subnet.
AWS_RESERVED_PER_SUBNET = 5

#: Ranges AWS accepts as a VPC's (secondary) IPv4 CIDR: RFC 1918 and the RFC 6598 shared space.
ALLOWED_VPC_RANGES = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
    IPv4Network("100.64.0.0/10"),
)


def usable_addresses(subnet: IPv4Network) -> int:
    """Addresses an ENI can take in ``subnet`` once AWS has reserved its five."""
    return max(subnet.num_addresses - AWS_RESERVED_PER_SUBNET, 0)


def split_evenly(cidr: IPv4Network, parts: int) -> list[IPv4Network]:
    """Split ``cidr`` into ``parts`` equal subnets (the smallest power of two that fits).

    Used for the pod range: one subnet per availability zone, so 100.64.0.0/16 over three AZs
    becomes three /18s (the fourth /18 stays free for growth).
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    extra_bits = math.ceil(math.log2(parts)) if parts > 1 else 0
    new_prefix = cidr.prefixlen + extra_bits
    if new_prefix > 28:
        raise ValueError(f"{cidr} cannot be split into {parts} subnets of /28 or larger")
    return list(cidr.subnets(new_prefix=new_prefix))[:parts]


def first_overlap(candidate: IPv4Network, others: Iterable[tuple[str, IPv4Network]]) -> str | None:
    """Name of the first entry in ``others`` that overlaps ``candidate``, or None."""
    for label, other in others:
        if candidate.overlaps(other):
            return label
    return None


def pod_capacity(pod_subnets: Sequence[IPv4Network]) -> int:
    """Total pod IPs the VPC CNI can hand out from the pod subnets."""
    return sum(usable_addresses(s) for s in pod_subnets)


def within_allowed_vpc_ranges(cidr: IPv4Network) -> bool:
    return any(cidr.subnet_of(r) for r in ALLOWED_VPC_RANGES)


def layout_problems(
    vpc: IPv4Network, tiers: dict[str, Sequence[IPv4Network]], zone_count: int
) -> Iterable[tuple[str, int | None, str]]:
    """Everything wrong with a tiered subnet layout, as ``(tier, index or None, reason)``.

    One subnet per zone in each tier, each inside the VPC, none overlapping another (in tier order).
    Shared by configuration validation (which names the field) and the VPC construct's props.
    """
    seen: list[tuple[str, IPv4Network]] = []
    for tier, subnets in tiers.items():
        if len(subnets) != zone_count:
            yield tier, None, f"has {len(subnets)} subnets but there are {zone_count} availability zones (one per zone)"
        for i, subnet in enumerate(subnets):
            if not subnet.subnet_of(vpc):
                yield tier, i, f"{subnet} is outside the VPC {vpc}"
            clash = first_overlap(subnet, seen)
            if clash:
                yield tier, i, f"{subnet} overlaps {clash}"
            seen.append((f"{tier}[{i}]", subnet))


def pod_range_problem(
    pods: IPv4Network, vpc: IPv4Network, zone_count: int, max_nodes: int, max_pods: int
) -> str | None:
    """Why ``pods`` cannot serve as the secondary pod range of ``vpc``, or None.

    The range is split evenly over the zones; with the VPC CNI every pod takes one address, so
    the usable addresses must cover ``max_nodes x max_pods``.
    """
    if not within_allowed_vpc_ranges(pods):
        return f"{pods} is outside the RFC 1918 / RFC 6598 ranges AWS accepts"
    if pods.overlaps(vpc):
        return f"{pods} overlaps the VPC {vpc}"
    try:
        subnets = split_evenly(pods, zone_count)
    except ValueError as exc:
        return str(exc)
    needed, available = max_nodes * max_pods, pod_capacity(subnets)
    if available < needed:
        return f"{pods} offers {available} pod addresses but max_nodes x max_pods_per_node needs {needed}"
    return None

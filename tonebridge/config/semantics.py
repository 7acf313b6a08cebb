"""Rules that relate several fields of an environment; each problem names its exact field."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from tonebridge import netplan
from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig, RegionNetworkConfig

TIERS = ("public", "private", "data", "management")
REQUIRED_TAGS = ("Environment", "Project")


def check_environment(cfg: EnvironmentConfig, expected_name: str) -> list[Problem]:
    """All cross-field problems of ``cfg``; an empty list means it can be synthesized."""
    problems: list[Problem] = []
    if cfg.name != expected_name:
        problems.append(Problem(("name",), f"{cfg.name!r} must match the file name {expected_name!r}"))
    for tag in REQUIRED_TAGS:
        if tag not in cfg.tags:
            problems.append(Problem(("tags",), f"required tag {tag!r} is missing"))
    if len(cfg.access_log_bucket) > 63:
        problems.append(
            Problem(("state", "bucket"), "too long to derive '<bucket>-access-logs'; set state.access_log_bucket")
        )
    problems.extend(_check_regions(cfg))
    for region, net in cfg.network.items():
        problems.extend(_check_region_network(region, net))
    problems.extend(_check_cross_region_overlap(cfg))
    return problems


def _check_regions(cfg: EnvironmentConfig) -> Iterator[Problem]:
    if cfg.aws.secondary_region == cfg.aws.primary_region:
        yield Problem(("aws", "secondary_region"), "must differ from aws.primary_region")
    for field, region in (("primary_region", cfg.aws.primary_region), ("secondary_region", cfg.aws.secondary_region)):
        if region and region not in cfg.network:
            yield Problem(("aws", field), f"{region} has no network layout under network.{region}")
    for region in cfg.network:
        if region not in cfg.aws_regions:
            yield Problem(("network", region), "is neither aws.primary_region nor aws.secondary_region")


def _check_region_network(region: str, net: RegionNetworkConfig) -> Iterator[Problem]:
    base = ("network", region)
    azs = net.availability_zones
    if len(set(azs)) != len(azs):
        yield Problem((*base, "availability_zones"), "availability zones must be distinct")
    for i, az in enumerate(azs):
        if not (az.startswith(region) and len(az) == len(region) + 1 and az[-1].isalpha()):
            yield Problem((*base, "availability_zones", i), f"{az} is not an availability zone of {region}")
    if not netplan.within_allowed_vpc_ranges(net.vpc_cidr):
        yield Problem((*base, "vpc_cidr"), f"{net.vpc_cidr} is outside the RFC 1918 / RFC 6598 ranges AWS accepts")
    if not 16 <= net.vpc_cidr.prefixlen <= 28:
        yield Problem((*base, "vpc_cidr"), f"{net.vpc_cidr} must be between /16 and /28")

    tiers = {tier: getattr(net.subnets, tier) for tier in TIERS}
    for tier, index, reason in netplan.layout_problems(net.vpc_cidr, tiers, len(azs)):
        yield Problem((*base, "subnets", tier) + (() if index is None else (index,)), reason)
    pods = net.pods
    reason = netplan.pod_range_problem(pods.cidr, net.vpc_cidr, len(azs), pods.max_nodes, pods.max_pods_per_node)
    if reason:
        yield Problem((*base, "pods", "cidr"), reason)


def _check_cross_region_overlap(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Ranges of different regions must not overlap so that the regions can be peered."""
    earlier: list[tuple[str, IPv4Network]] = []
    for region, net in cfg.network.items():
        ranges = (("vpc_cidr",), net.vpc_cidr), (("pods", "cidr"), net.pods.cidr)
        for field, cidr in ranges:
            clash = netplan.first_overlap(cidr, earlier)
            if clash:
                yield Problem(("network", region, *field), f"{cidr} overlaps {clash}")
        earlier.extend((f"network.{region}.{'.'.join(field)}", cidr) for field, cidr in ranges)

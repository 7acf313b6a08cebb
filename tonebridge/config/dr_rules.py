"""Cross-field rules of the `dns` and `dr` sections (the global and DR stacks)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from tonebridge import netplan
from tonebridge.config.edge_rules import edge_problems, inside
from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig

#: ALB names (``<Project>-<env>-<region>``) are at most 32 characters.
ALB_NAME_MAX = 32
#: GKE's node service account id is ``<cluster>-nodes``: 6-30 characters.
ACCOUNT_ID_MAX = 30


def dns_dr_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    yield from _edge_names(cfg)
    if cfg.dns:
        yield from _dns(cfg)
        yield from edge_problems(cfg)
    if cfg.dr:
        yield from _dr(cfg)


def _edge_names(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, platform in cfg.platform.items():
        edge = platform.edge
        name = f"{cfg.tags.get('Project', '')}-{cfg.name}-{region}"
        if edge.enabled and edge.hostname and len(name) > ALB_NAME_MAX:
            yield Problem(
                ("platform", region, "edge", "enabled"),
                f"the ALB's name {name!r} exceeds the {ALB_NAME_MAX} characters AWS allows",
            )


def _dns(cfg: EnvironmentConfig) -> Iterator[Problem]:
    dns = cfg.dns
    edges = {r: p.edge for r, p in cfg.platform.items() if p.edge.enabled and p.edge.hostname}
    for region, edge in edges.items():
        for index, host in enumerate([edge.hostname, *edge.alternative_names]):
            if not inside(host, dns.zone):
                at = ("hostname",) if index == 0 else ("alternative_names", index - 1)
                yield Problem(("platform", region, "edge", *at), f"{host} is outside the zone dns.zone {dns.zone}")
    primary = edges.get(cfg.aws.primary_region)
    for region, edge in edges.items():
        if primary and region != cfg.aws.primary_region and edge.hostname != primary.hostname:
            yield Problem(
                ("platform", region, "edge", "hostname"),
                f"{edge.hostname} differs from the primary's {primary.hostname}: the failover records share one name",
            )
    if dns.dr:
        if cfg.dr is None:
            yield Problem(("dns", "dr"), "needs a dr section (the GCP standby's address)")
        if not inside(dns.dr.hostname, dns.zone):
            yield Problem(("dns", "dr", "hostname"), f"{dns.dr.hostname} is outside the zone dns.zone {dns.zone}")
        if primary and dns.dr.hostname == primary.hostname:
            yield Problem(("dns", "dr", "hostname"), "must differ from the edge hostname (that name fails over)")


def _dr(cfg: EnvironmentConfig) -> Iterator[Problem]:
    dr = cfg.dr
    net = dr.network
    aws_ranges: list[tuple[str, IPv4Network]] = []
    for region, region_net in cfg.network.items():
        aws_ranges += [
            (f"network.{region}.vpc_cidr", region_net.vpc_cidr),
            (f"network.{region}.pods.cidr", region_net.pods.cidr),
        ]
    for region, cluster in cfg.clusters.items():
        aws_ranges.append((f"clusters.{region}.service_cidr", cluster.service_cidr))
    earlier = list(aws_ranges)
    for field in ("subnet_cidr", "pods_cidr", "services_cidr", "master_cidr"):
        cidr: IPv4Network = getattr(net, field)
        if field == "master_cidr" and cidr.prefixlen != 28:
            yield Problem(("dr", "network", field), f"{cidr} must be a /28 (GKE's control-plane range)")
        clash = netplan.first_overlap(cidr, earlier)
        if clash:
            yield Problem(("dr", "network", field), f"{cidr} overlaps {clash}")
        earlier.append((f"dr.network.{field}", cidr))
    pool = dr.gke.node_pool
    if pool.min_nodes > pool.max_nodes:
        yield Problem(("dr", "gke", "node_pool", "min_nodes"), f"{pool.min_nodes} exceeds max_nodes {pool.max_nodes}")
    if len(f"{dr.gke.name}-nodes") > ACCOUNT_ID_MAX:
        yield Problem(
            ("dr", "gke", "name"), f"'{dr.gke.name}-nodes' (the nodes' service account) exceeds 30 characters"
        )
    backups = dr.backups
    if backups.bucket == backups.access_log_bucket:
        yield Problem(("dr", "backups", "access_log_bucket"), "must differ from dr.backups.bucket")
    if not backups.nearline_after_days < backups.coldline_after_days:
        yield Problem(("dr", "backups", "coldline_after_days"), "must come after nearline_after_days")
    if not backups.coldline_after_days < backups.delete_after_days:
        yield Problem(("dr", "backups", "delete_after_days"), "must come after coldline_after_days")
    if backups.delete_after_days < backups.retention_days:
        yield Problem(
            ("dr", "backups", "delete_after_days"), "is shorter than retention_days: GCS would refuse the deletes"
        )
    yield from _operator_access(cfg)
    yield from _transfer_window(cfg)


def _operator_access(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Somebody must reach the standby's API on failover day, when AWS (its bastions, CI, VPN) is gone:
    through the DNS endpoint (IAM) or from an address outside the DR subnet authorized on the IP endpoint."""
    gke = cfg.dr.gke
    if not gke.dns_endpoint and not gke.master_authorized_cidrs:
        yield Problem(
            ("dr", "gke", "dns_endpoint"),
            "off with no dr.gke.master_authorized_cidrs: only the DR subnet, where nothing runs, reaches the "
            "cluster's API (turn the DNS endpoint on, or authorize the operators' addresses)",
        )


def _transfer_window(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """The transfer must stop copying an object before any copy of it expires, or GCS's deletion is undone
    by the next run (a re-copy counts as a fresh backup for the freshness alert)."""
    days = cfg.dr.transfer.copy_max_age_days
    expiries = {"dr.backups.delete_after_days": cfg.dr.backups.delete_after_days}
    backup = cfg.database.logical_backup
    if backup.enabled:
        expiries["database.logical_backup.retention_days"] = backup.retention_days
    for name, expiry in expiries.items():
        if days >= expiry:
            yield Problem(
                ("dr", "transfer", "copy_max_age_days"),
                f"{days} is not below {name} ({expiry}): expired objects would be copied to GCS again",
            )

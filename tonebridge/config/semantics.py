"""Rules that relate several fields of an environment; each problem names its exact field."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from tonebridge import cloudfacts, ebsrules, netplan, quantities
from tonebridge.config.capacity_rules import capacity_problems
from tonebridge.config.cloud_rules import cloud_problems
from tonebridge.config.derived_names import derived_name_problems
from tonebridge.config.dr_rules import dns_dr_problems
from tonebridge.config.errors import Problem
from tonebridge.config.guard_rules import guard_problems
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.namespace_rules import namespace_problems
from tonebridge.config.peering_rules import peering_problems
from tonebridge.config.platform import PlatformConfig
from tonebridge.config.platform_ci import ci_problems
from tonebridge.config.platform_data import data_problems
from tonebridge.config.platform_observability import observability_problems
from tonebridge.config.platform_scaling import autoscaling_problems
from tonebridge.config.platform_secrets import volume_problems
from tonebridge.config.recovery_rules import recovery_problems
from tonebridge.config.signature_rules import signature_problems
from tonebridge.config.workload_rules import workload_problems
from tonebridge.props.vpc import VpcSettings

REQUIRED_TAGS = ("Environment", "Project")


def check_environment(cfg: EnvironmentConfig, expected_name: str) -> list[Problem]:
    """All cross-field problems of ``cfg``; an empty list means it can be synthesized."""
    problems: list[Problem] = []
    if cfg.name != expected_name:
        problems.append(Problem(("name",), f"{cfg.name!r} must match the file name {expected_name!r}"))
    for tag in REQUIRED_TAGS:
        if tag not in cfg.tags:
            problems.append(Problem(("tags",), f"required tag {tag!r} is missing"))
    problems.extend(_check_regions(cfg))
    for region, net in cfg.network.items():
        problems.extend(_check_region_network(region, net))
    problems.extend(_check_cross_region_overlap(cfg))
    problems.extend(peering_problems(cfg))
    problems.extend(_check_clusters(cfg))
    problems.extend(_check_registries(cfg))
    problems.extend(_check_platform(cfg))
    problems.extend(autoscaling_problems(cfg))
    problems.extend(_check_platform_data(cfg))
    problems.extend(_check_database(cfg))
    problems.extend(_check_backups(cfg))
    problems.extend(derived_name_problems(cfg))
    problems.extend(observability_problems(cfg))
    problems.extend(dns_dr_problems(cfg))
    problems.extend(ci_problems(cfg))
    problems.extend(data_problems(cfg))
    problems.extend(volume_problems(cfg))
    problems.extend(capacity_problems(cfg))
    problems.extend(cloud_problems(cfg))
    problems.extend(namespace_problems(cfg))
    problems.extend(workload_problems(cfg))
    problems.extend(guard_problems(cfg))
    problems.extend(recovery_problems(cfg))
    problems.extend(signature_problems(cfg))
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


def _check_region_network(region: str, net: VpcSettings) -> Iterator[Problem]:
    base = ("network", region)
    azs = net.availability_zones
    if len(set(azs)) != len(azs):
        yield Problem((*base, "availability_zones"), "availability zones must be distinct")
    for i, az in enumerate(azs):
        if not (az.startswith(region) and len(az) == len(region) + 1 and az[-1].isalpha()):
            yield Problem((*base, "availability_zones", i), f"{az} is not an availability zone of {region}")
        elif problem := cloudfacts.zone_problem(region, az):
            yield Problem((*base, "availability_zones", i), problem)
    if not netplan.within_allowed_vpc_ranges(net.vpc_cidr):
        yield Problem((*base, "vpc_cidr"), f"{net.vpc_cidr} is outside the RFC 1918 / RFC 6598 ranges AWS accepts")
    if not 16 <= net.vpc_cidr.prefixlen <= 28:
        yield Problem((*base, "vpc_cidr"), f"{net.vpc_cidr} must be between /16 and /28")
    for path, reason in net.problems():  # the subnet layout and the pod range: VpcSettings' own rule
        yield Problem((*base, *path), reason)


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


def _check_clusters(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """One cluster per AWS region, sized within the pod range the region's network was planned for."""
    for region in cfg.aws_regions:
        if region not in cfg.clusters:
            yield Problem(("clusters",), f"{region} is an AWS region of this environment but has no cluster")
    for region, cluster in cfg.clusters.items():
        base = ("clusters", region)
        if region not in cfg.aws_regions:
            yield Problem(base, "is neither aws.primary_region nor aws.secondary_region")
            continue
        most_nodes = sum(group.max_size for group in cluster.node_groups.values())
        pods = cfg.network[region].pods if region in cfg.network else None
        if pods and most_nodes > pods.max_nodes:
            yield Problem(
                (*base, "node_groups"),
                f"node groups scale to {most_nodes} nodes but network.{region}.pods.max_nodes "
                f"plans for {pods.max_nodes}",
            )
        net = cfg.network.get(region)
        if net and any(cluster.service_cidr.overlaps(c) for c in (net.vpc_cidr, net.pods.cidr)):
            yield Problem((*base, "service_cidr"), f"{cluster.service_cidr} overlaps the VPC or pod range")
    names = [c.name for c in cfg.clusters.values()]
    if len(set(names)) != len(names):
        yield Problem(("clusters",), "cluster names must be distinct (autoscaler discovery tags name the cluster)")


def _check_registries(cfg: EnvironmentConfig) -> Iterator[Problem]:
    registries = cfg.registries
    if registries.production_prefix == registries.staging_prefix:
        yield Problem(("registries", "staging_prefix"), "must differ from registries.production_prefix")
    if len(set(registries.services)) != len(registries.services):
        yield Problem(("registries", "services"), "service names must be distinct")
    if registries.replicate_production and not cfg.aws.secondary_region:
        yield Problem(("registries", "replicate_production"), "needs aws.secondary_region to replicate to")


def _check_platform(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """One platform per AWS region: each cluster gets its in-cluster components."""
    for region in cfg.aws_regions:
        if region not in cfg.platform:
            yield Problem(("platform",), f"{region} is an AWS region of this environment but has no platform")
    for region in cfg.platform:
        if region not in cfg.aws_regions:
            yield Problem(("platform", region), "is neither aws.primary_region nor aws.secondary_region")
    for region, platform in cfg.platform.items():
        yield from _check_platform_base(("platform", region), platform)
        yield from _check_mesh_edge(("platform", region), platform)


#: Namespaces that hold the application (by name or `environment` label): never below restricted (§8.3).
RESTRICTED_ONLY = ("production", "staging")
#: LimitRange bounds, each at most the next.
LIMIT_ORDER = ("min", "default_request", "default", "max")


def _check_platform_base(base: tuple, platform: PlatformConfig) -> Iterator[Problem]:
    """Namespaces (pod security, quota, limit range, service graph) and the fast-ssd class."""
    for name, ns in platform.namespaces.items():
        at = (*base, "namespaces", name)
        application = name in RESTRICTED_ONLY or ns.environment in RESTRICTED_ONLY
        if application and ns.pod_security != "restricted":
            yield Problem((*at, "pod_security"), "application namespaces must be restricted (spec §8.3)")
        elif ns.pod_security != "restricted" and not ns.pod_security_reason.strip():
            yield Problem((*at, "pod_security_reason"), f"pod_security {ns.pod_security!r} needs a reason")
        if application and not ns.read_only_root_filesystem:
            yield Problem((*at, "read_only_root_filesystem"), "application namespaces must require it (spec §8.3)")
        if ns.limit_range:
            for resource in ("cpu", "memory"):
                values = {bound: getattr(getattr(ns.limit_range, bound), resource) for bound in LIMIT_ORDER}
                for bound, reason in quantities.ordering_problems(values, LIMIT_ORDER):
                    yield Problem((*at, "limit_range", bound, resource), reason)
        if ns.quota:
            for resource in ("cpu", "memory"):
                order = (f"requests_{resource}", f"limits_{resource}")
                values = {key: getattr(ns.quota, key) for key in order}
                for key, reason in quantities.ordering_problems(values, order):
                    yield Problem((*at, "quota", key), reason)
        if ns.network_isolation:
            services = ns.network_isolation.services
            for service, traffic in services.items():
                for field in ("from_services", "to_services"):
                    for i, other in enumerate(getattr(traffic, field)):
                        if other not in services:
                            yield Problem(
                                (*at, "network_isolation", "services", service, field, i),
                                f"{other!r} is not a service of network_isolation.services",
                            )
    fast = platform.storage.fast_ssd
    for field, reason in ebsrules.gp3_problems(fast.iops, fast.throughput, fast.smallest_volume_gib):
        yield Problem((*base, "storage", "fast_ssd", field), reason)


def _check_mesh_edge(base: tuple[str, ...], platform: PlatformConfig) -> Iterator[Problem]:
    """Istio, the L7 edge and Argo CD of one region (spec §2.2, §3.3, §6.1)."""
    istio, edge = platform.istio, platform.edge
    for field in ("istiod_autoscale", "gateway_autoscale"):
        scale = getattr(istio, field)
        if scale.min > scale.max:
            yield Problem((*base, "istio", field, "min"), f"{scale.min} exceeds max {scale.max}")
    if istio.cni_namespace == istio.namespace:
        yield Problem((*base, "istio", "cni_namespace"), "the privileged CNI agent needs a namespace of its own")
    if edge.enabled:
        if not edge.hostname:
            yield Problem((*base, "edge", "hostname"), "required when edge.enabled (the ALB's certificate names it)")
        if not istio.enabled:
            yield Problem((*base, "edge", "enabled"), "the ALB forwards to the Istio gateway: needs istio.enabled")
    for field in ("blocked_countries", "managed_rule_groups", "paths"):
        values = getattr(edge, field)
        if len(set(values)) != len(values):
            yield Problem((*base, "edge", field), "values must be distinct")


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _daily_window(window: str) -> tuple[int, int]:
    """``03:00-04:00`` as (start, length) in minutes; a window may run past midnight."""
    start, end = (_minutes(part) for part in window.split("-"))
    return start, (end - start) % (24 * 60)


def _weekly_window(window: str) -> tuple[int, int]:
    """``sun:04:00-sun:05:00`` as (start, length) in minutes of the week, Monday 00:00 first."""
    start, end = (_DAYS.index(part[:3]) * 24 * 60 + _minutes(part[4:]) for part in window.split("-"))
    return start, (end - start) % _WEEK


def _overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Whether two windows (start, length) on a circular timeline of ``period`` minutes intersect."""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def _check_database(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """RDS accepts these windows and retention periods only in these combinations."""
    rds = cfg.database.rds
    base = ("database", "rds")
    backup = _daily_window(rds.backup_window)
    maintenance = _weekly_window(rds.maintenance_window)
    if backup[1] < 30:
        yield Problem((*base, "backup_window"), f"{rds.backup_window} is shorter than the 30 minutes RDS requires")
    if maintenance[1] < 30:
        yield Problem(
            (*base, "maintenance_window"), f"{rds.maintenance_window} is shorter than the 30 minutes RDS requires"
        )
    # The daily backup window recurs on every day of the week; RDS refuses any overlap with maintenance.
    if any(_overlap((day * 24 * 60 + backup[0], backup[1]), maintenance, _WEEK) for day in range(7)):
        yield Problem(
            (*base, "maintenance_window"), f"{rds.maintenance_window} overlaps the backup window {rds.backup_window}"
        )
    if rds.max_allocated_storage_gib and rds.max_allocated_storage_gib <= rds.allocated_storage_gib:
        yield Problem(
            (*base, "max_allocated_storage_gib"),
            f"{rds.max_allocated_storage_gib} must exceed allocated_storage_gib {rds.allocated_storage_gib} "
            "(or be 0 to turn storage autoscaling off)",
        )
    days = rds.performance_insights_retention_days
    if days != 7 and not (days % 31 == 0 and 31 <= days <= 731):
        yield Problem((*base, "performance_insights_retention_days"), f"{days} is not 7 or a multiple of 31 up to 731")
    for field in ("cross_region_replica", "automated_backup_replication"):
        if getattr(rds, field) and not cfg.aws.secondary_region:
            yield Problem((*base, field), "needs aws.secondary_region to replicate to")
    if rds.replicated_backup_retention_days > rds.backup_retention_days:
        yield Problem(
            (*base, "replicated_backup_retention_days"),
            f"{rds.replicated_backup_retention_days} exceeds backup_retention_days {rds.backup_retention_days}",
        )


def _check_backups(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Bucket names stay distinct (derived_names.py checks each against S3's rules); lifecycle steps
    come in an order S3 accepts and never expire a version the object lock still protects."""
    backups = cfg.backups
    base = ("backups",)
    names = {"bucket": backups.bucket, "access_log_bucket": backups.access_log_bucket_name}
    if backups.replicate:
        if not cfg.aws.secondary_region:
            yield Problem((*base, "replicate"), "needs aws.secondary_region to replicate to")
        else:
            replica = backups.replica_bucket_name(cfg.aws.secondary_region)
            names |= {"replica_bucket": replica, "replica access log bucket": f"{replica}-access-logs"}
    seen: dict[str, str] = {cfg.state.bucket: "state.bucket", cfg.access_log_bucket: "the state access log bucket"}
    for field, name in names.items():
        if name in seen:
            yield Problem((*base, field.split()[0]), f"{name!r} is already used by {seen[name]}")
        seen[name] = f"backups.{field}"
    if backups.archive_after_days <= backups.infrequent_access_after_days:
        yield Problem(
            (*base, "archive_after_days"),
            f"{backups.archive_after_days} must come after infrequent_access_after_days "
            f"{backups.infrequent_access_after_days}",
        )
    if backups.object_lock_days > backups.noncurrent_expiry_days:
        yield Problem(
            (*base, "noncurrent_expiry_days"),
            f"{backups.noncurrent_expiry_days} is shorter than object_lock_days {backups.object_lock_days}: "
            "lifecycle would try to expire versions the lock still protects",
        )
    if backups.replication_time_control and not backups.replicate:
        yield Problem((*base, "replication_time_control"), "needs backups.replicate")


_K8S_BYTES = {"": 1, "k": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
_REDIS_BYTES = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def _quantity_bytes(value: str) -> float:
    """Bytes in a memory quantity ("3Gi"); a fractional-byte quantity ("500m") counts as 0."""
    number = value.rstrip("kMGTi")
    return float(number) * _K8S_BYTES.get(value[len(number) :], 0)


def _redis_bytes(value: str) -> int:
    number = value.rstrip("kmgb")
    return int(number) * _REDIS_BYTES[value[len(number) :]]


def _check_platform_data(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """CloudNativePG clusters back up to the backups bucket of aws.primary_region; a replica reads
    the copy replicated into its own region. Redis's maxmemory must fit under its memory limit, and
    its Vault login is its own."""
    seen: set[tuple[str, str]] = set()
    for region, platform in cfg.platform.items():
        eks = cfg.clusters[region].name if region in cfg.clusters else ""
        for i, cluster in enumerate(platform.postgres.clusters):
            path = ("platform", region, "postgres", "clusters", i)
            if (cluster.namespace, cluster.name) in seen:
                yield Problem((*path, "name"), f"{cluster.namespace}/{cluster.name} is defined twice")
            seen.add((cluster.namespace, cluster.name))
            if cluster.replica is None and region != cfg.aws.primary_region:
                yield Problem(
                    (*path, "replica"),
                    f"a cluster in {region} backs up to backups.bucket in aws.primary_region; "
                    "only a replica may run here",
                )
            if cluster.replica is not None:
                if region == cfg.aws.primary_region:
                    yield Problem((*path, "replica"), "a replica reads the replicated backups of another region")
                elif not cfg.backups.replicate:
                    yield Problem((*path, "replica"), "needs backups.replicate (it recovers from the replicated copy)")
            if len(cluster.backup_role_name(eks)) > 64:
                yield Problem(
                    (*path, "name"),
                    f"the backup role name {cluster.backup_role_name(eks)!r} exceeds IAM's 64 characters",
                )
        redis = platform.redis
        yield from _check_redis_vault(region, platform)
        if redis.enabled and _redis_bytes(redis.maxmemory) >= _quantity_bytes(redis.resources.memory_limit):
            yield Problem(
                ("platform", region, "redis", "maxmemory"),
                f"{redis.maxmemory} leaves no room under the memory limit {redis.resources.memory_limit} "
                "(replication buffers and AOF rewrites need it)",
            )


def _check_redis_vault(region: str, platform: PlatformConfig) -> Iterator[Problem]:
    """The Redis password comes from Vault through the Vault Secrets Operator: both come with
    ``secrets``. Its Vault role and service account are its own, never the application's."""
    redis, secrets = platform.redis, platform.secrets
    if not redis.enabled:
        return
    at = ("platform", region, "redis", "password")
    app = secrets.application
    if not secrets.enabled:
        yield Problem(
            ("platform", region, "redis", "enabled"),
            "the Redis password comes from Vault: needs platform.<region>.secrets.enabled",
        )
    if redis.password.role == app.role:
        yield Problem((*at, "role"), f"{app.role!r} is the application's Vault role; Redis needs a role of its own")
    if redis.namespace == app.namespace and redis.password.service_account == app.service_account:
        yield Problem(
            (*at, "service_account"),
            f"{app.service_account!r} is the application's service account in {app.namespace}; "
            "Redis needs one of its own",
        )

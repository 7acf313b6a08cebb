"""What each stack of an environment costs per month, line by line, at its lower and upper bound.

Quantities are read from the validated configuration (:func:`tonebridge.config.load_selected`), which is
what synthesis builds every resource from; node pools and the GKE standby are priced at their minimum
and their maximum size, RDS storage at its allocation and at its autoscaling ceiling. Volumes claimed
inside the clusters (Vault, Prometheus, Alertmanager, Elasticsearch, Jenkins, CloudNativePG, Redis) are
priced as the ``fast-ssd`` class provisions them: gp3 with the class's IOPS and throughput on every
volume, which for small claims costs more than their capacity. Usage the configuration cannot know
(backup size, traffic, NAT-processed bytes) comes from ``assumptions`` in the price table and is stated
on its line. Not counted: spot capacity Karpenter adds (no spot prices in the table; its line says so),
CloudWatch, ECR storage, KMS keys other than the state key and KMS requests, cross-zone traffic,
DynamoDB, taxes and support plans.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.quantities import parse_quantity
from tools.cost.prices import PriceTable

ZERO = Decimal(0)
GIB = 1024**3
FAST_SSD = "fast-ssd"
#: gp3's baseline, included in its storage price; provisioned IOPS and throughput above it are billed.
GP3_FREE_IOPS = 3000
GP3_FREE_MIBPS = 125


@dataclass(frozen=True)
class Line:
    """One priced item of a stack: what, how many, and USD per month at the low and high bound."""

    stack: str
    item: str
    quantity: str
    low: Decimal
    high: Decimal


def gib(size: str) -> int:
    """Whole GiB of the volume a claim of ``size`` gets (the EBS CSI driver rounds up)."""
    return math.ceil(parse_quantity(size) / GIB)


def _bounds(low: Decimal, high: Decimal | None = None) -> tuple[Decimal, Decimal]:
    return low, low if high is None else high


# --- <env>-state --------------------------------------------------------------------------------


def state_lines(env: EnvironmentConfig, prices: PriceTable) -> Iterator[Line]:
    stack, region = f"{env.name}-state", env.state.region
    size = prices.assumptions.state_gib
    yield Line(
        stack,
        "state bucket (S3 Standard)",
        f"{size} GiB (assumed)",
        *_bounds(prices.monthly(prices.aws_item(region, "s3_standard"), size)),
    )
    yield Line(stack, "state KMS key", "1 key", *_bounds(prices.monthly(prices.aws_item(region, "kms_key"))))


# --- <env>-<region> ---------------------------------------------------------------------------------


def _pool_lines(stack: str, region: str, env: EnvironmentConfig, prices: PriceTable) -> Iterator[Line]:
    cluster = env.clusters[region]
    gp3 = prices.aws_item(region, "gp3_storage")
    for name, pool in cluster.node_groups.items():
        # A managed node group may launch any of its types: the cheapest at the minimum, the dearest at the maximum.
        hourly = sorted((prices.instance(region, t).usd, t) for t in pool.instance_types)
        cheap, dear = hourly[0], hourly[-1]
        types = "/".join(pool.instance_types)
        yield Line(
            stack,
            f"node pool {name}",
            f"{pool.min_size}-{pool.max_size} x {types}",
            prices.monthly(prices.instance(region, cheap[1]), pool.min_size),
            prices.monthly(prices.instance(region, dear[1]), pool.max_size),
        )
        yield Line(
            stack,
            f"node pool {name} root volumes (gp3)",
            f"{pool.min_size}-{pool.max_size} x {pool.disk_gib} GiB",
            prices.monthly(gp3, pool.min_size * pool.disk_gib),
            prices.monthly(gp3, pool.max_size * pool.disk_gib),
        )
    karpenter = env.platform[region].autoscaling.karpenter if region in env.platform else None
    if cluster.karpenter.enabled and karpenter is not None:
        pool = karpenter.node_pool
        yield Line(
            stack,
            f"Karpenter pool {pool.name} ({'/'.join(pool.capacity_types)})",
            f"0 at idle, <= {pool.cpu_limit} vCPU (spot: not priced)",
            ZERO,
            ZERO,
        )


def _rds_lines(stack: str, region: str, env: EnvironmentConfig, prices: PriceTable) -> Iterator[Line]:
    rds = env.database.rds
    primary, secondary = env.aws.primary_region, env.aws.secondary_region
    storage = prices.aws_item(region, "rds_gp3_storage")
    ceiling = max(rds.allocated_storage_gib, rds.max_allocated_storage_gib)

    def instance(name: str, storage_name: str, cls: str, multi_az: bool) -> Iterator[Line]:
        """One database instance (two with Multi-AZ) and its gp3 storage, from allocated size to the ceiling."""
        copies = 2 if multi_az else 1
        az = "Multi-AZ" if multi_az else "Single-AZ"
        yield Line(
            stack,
            f"{name} ({az})",
            f"{copies} x {cls}",
            *_bounds(prices.monthly(prices.database(region, cls), copies)),
        )
        yield Line(
            stack,
            f"{storage_name} ({az})",
            f"{rds.allocated_storage_gib}-{ceiling} GiB x {copies}",
            prices.monthly(storage, rds.allocated_storage_gib * copies),
            prices.monthly(storage, ceiling * copies),
        )

    if region == primary:
        yield from instance("RDS PostgreSQL primary", "RDS storage gp3", rds.instance_class, rds.multi_az)
        if rds.cross_region_replica and secondary:
            size = prices.assumptions.replication_gib
            yield Line(
                stack,
                "replication to the secondary region (RDS, S3)",
                f"{size} GiB (assumed)",
                *_bounds(prices.monthly(prices.aws_item(region, "transfer_inter_region"), size)),
            )
    elif region == secondary and rds.cross_region_replica and not rds.replica_promoted:
        cls = rds.replica_instance_class or rds.instance_class
        yield from instance("RDS cross-region replica", "RDS replica storage gp3", cls, rds.replica_multi_az)
        if rds.automated_backup_replication:
            backup = prices.aws_item(region, "rds_backup_storage")
            yield Line(
                stack,
                "RDS replicated automated backups",
                f"{rds.allocated_storage_gib}-{ceiling} GiB (one full copy)",
                prices.monthly(backup, rds.allocated_storage_gib),
                prices.monthly(backup, ceiling),
            )


def region_lines(env: EnvironmentConfig, region: str, prices: PriceTable) -> Iterator[Line]:
    stack = f"{env.name}-{region}"
    vpc = env.network[region]
    yield Line(
        stack,
        "EKS control plane",
        f"1 cluster ({env.clusters[region].name})",
        *_bounds(prices.monthly(prices.aws_item(region, "eks_cluster"))),
    )
    yield from _pool_lines(stack, region, env, prices)
    nat = len(vpc.availability_zones) if vpc.nat == "per_az" else 1
    yield Line(
        stack,
        f"NAT gateways ({vpc.nat})",
        f"{nat} gateway(s)",
        *_bounds(prices.monthly(prices.aws_item(region, "nat_gateway"), nat)),
    )
    processed = prices.assumptions.nat_processed_gib
    yield Line(
        stack,
        "NAT data processed",
        f"{nat} x {processed} GiB (assumed)",
        *_bounds(prices.monthly(prices.aws_item(region, "nat_processed"), nat * processed)),
    )
    # Interface endpoints sit in every private subnet, one per zone (TonebridgeVpc); the S3 gateway endpoint is free.
    endpoints = len(vpc.interface_endpoints) * len(vpc.availability_zones)
    yield Line(
        stack,
        "VPC interface endpoints",
        f"{len(vpc.interface_endpoints)} services x {len(vpc.availability_zones)} zones",
        *_bounds(prices.monthly(prices.aws_item(region, "vpc_endpoint_az"), endpoints)),
    )
    through = prices.assumptions.endpoint_processed_gib
    yield Line(
        stack,
        "VPC endpoint data processed",
        f"{through} GiB (assumed)",
        *_bounds(prices.monthly(prices.aws_item(region, "vpc_endpoint_processed"), through)),
    )
    if vpc.bastion.enabled:
        yield Line(
            stack,
            "bastion",
            f"1 x {vpc.bastion.instance_type} + {vpc.bastion.root_volume_gib} GiB gp3",
            *_bounds(
                prices.monthly(prices.instance(region, vpc.bastion.instance_type))
                + prices.monthly(prices.aws_item(region, "gp3_storage"), vpc.bastion.root_volume_gib)
            ),
        )
    platform = env.platform.get(region)
    if platform is not None and platform.edge.enabled:
        lcu = prices.assumptions.alb_lcu
        yield Line(
            stack,
            "edge load balancer (ALB)",
            f"1 ALB, {lcu} LCU (assumed)",
            *_bounds(
                prices.monthly(prices.aws_item(region, "alb")) + prices.monthly(prices.aws_item(region, "alb_lcu"), lcu)
            ),
        )
        requests = prices.assumptions.requests_million if region == env.aws.primary_region else ZERO
        yield Line(
            stack,
            "edge web ACL (WAF)",
            f"1 ACL, {requests} M requests (assumed: all served by the primary)",
            *_bounds(
                prices.monthly(prices.aws_item(region, "waf_web_acl"))
                + prices.monthly(prices.aws_item(region, "waf_requests"), requests)
            ),
        )
    yield from _rds_lines(stack, region, env, prices)
    s3 = prices.aws_item(region, "s3_standard")
    size = prices.assumptions.backups_gib
    if region == env.aws.primary_region:
        yield Line(
            stack,
            f"backups bucket {env.backups.bucket} (S3 Standard)",
            f"{size} GiB (assumed)",
            *_bounds(prices.monthly(s3, size)),
        )
    elif env.backups.replicate:
        yield Line(
            stack,
            f"backups replica bucket {env.backups.replica_bucket_name(region)} (S3 Standard)",
            f"{size} GiB (assumed)",
            *_bounds(prices.monthly(s3, size)),
        )


# --- <env>-<region>-platform ------------------------------------------------------------------------


def claims(platform: PlatformConfig) -> Iterator[tuple[str, int, str, str]]:
    """``(component, replicas, size, storage class)`` of every persistent volume claim the platform makes."""
    if platform.secrets.enabled:
        vault = platform.secrets.vault
        yield "Vault data", vault.replicas, vault.data_storage, vault.storage_class
        yield "Vault audit", vault.replicas, vault.audit_storage, vault.storage_class
    obs = platform.observability
    if obs.enabled:
        m = obs.metrics
        yield "Prometheus", m.prometheus_replicas, m.storage_size, m.storage_class
        yield "Alertmanager", m.alertmanager_replicas, m.alertmanager_storage_size, m.storage_class
        if obs.logs.enabled:
            for node_set in ("master", "data"):
                nodes = getattr(obs.logs, node_set)
                yield f"Elasticsearch {node_set}", nodes.count, nodes.storage_size, obs.logs.storage_class
    if platform.ci.enabled:
        c = platform.ci.controller
        yield "Jenkins home", 1, c.storage, c.storage_class
    for cluster in platform.postgres.clusters:
        yield f"CloudNativePG {cluster.name}", cluster.instances, cluster.storage_size, cluster.storage_class
    if platform.redis.enabled:
        r = platform.redis
        yield "Redis", r.leaders + r.followers, r.storage_size, r.storage_class


def volume_monthly(
    size_gib: int, storage_class: str, platform: PlatformConfig, region: str, prices: PriceTable
) -> Decimal:
    """One volume per month: gp3 capacity, plus ``fast-ssd``'s provisioned IOPS and throughput above gp3's baseline."""
    cost = prices.monthly(prices.aws_item(region, "gp3_storage"), size_gib)
    if storage_class == FAST_SSD:
        fast = platform.storage.fast_ssd
        cost += prices.monthly(prices.aws_item(region, "gp3_iops"), max(0, fast.iops - GP3_FREE_IOPS))
        cost += prices.monthly(prices.aws_item(region, "gp3_throughput"), max(0, fast.throughput - GP3_FREE_MIBPS))
    return cost


def platform_lines(env: EnvironmentConfig, region: str, prices: PriceTable) -> Iterator[Line]:
    stack = f"{env.name}-{region}-platform"
    platform = env.platform[region]
    for component, replicas, size, storage_class in claims(platform):
        size_gib = gib(size)
        each = volume_monthly(size_gib, storage_class, platform, region, prices)
        if storage_class == FAST_SSD:
            fast = platform.storage.fast_ssd
            kind = f"{FAST_SSD}: gp3 {fast.iops} IOPS {fast.throughput} MiB/s"
        else:
            kind = f"{storage_class}: priced as gp3"
        yield Line(stack, f"volumes {component} ({kind})", f"{replicas} x {size_gib} GiB", *_bounds(each * replicas))


# --- <env>-dr -----------------------------------------------------------------------------------------


def dr_lines(env: EnvironmentConfig, prices: PriceTable) -> Iterator[Line]:
    dr = env.dr
    if dr is None:
        return
    stack, region = f"{env.name}-dr", dr.region
    zones = prices.zones(region)
    pool = dr.gke.node_pool
    yield Line(
        stack,
        "GKE cluster management (regional)",
        f"1 cluster ({dr.gke.name})",
        *_bounds(prices.monthly(prices.gcp_item(region, "gke_cluster"))),
    )
    machine = prices.machine(region, pool.machine_type)
    low, high = pool.min_nodes * zones, pool.max_nodes * zones
    yield Line(
        stack,
        "GKE standby pool",
        f"{low}-{high} x {pool.machine_type} ({pool.min_nodes}-{pool.max_nodes} per zone x {zones})",
        prices.monthly(machine, low),
        prices.monthly(machine, high),
    )
    disk = prices.gcp_item(region, pool.disk_type)
    yield Line(
        stack,
        f"GKE standby boot disks ({pool.disk_type})",
        f"{low}-{high} x {pool.disk_size_gb} GB",
        prices.monthly(disk, low * pool.disk_size_gb),
        prices.monthly(disk, high * pool.disk_size_gb),
    )
    size = prices.assumptions.backups_gib
    yield Line(
        stack,
        f"backups bucket {dr.backups.bucket} (GCS Standard)",
        f"{size} GiB (assumed)",
        *_bounds(prices.monthly(prices.gcp_item(region, "gcs_standard"), size)),
    )
    moved = prices.assumptions.transfer_to_gcp_gib
    primary = env.aws.primary_region
    yield Line(
        stack,
        "S3 -> GCS transfer (AWS internet egress)",
        f"{moved} GiB (assumed)",
        *_bounds(prices.monthly(prices.aws_item(primary, "transfer_internet"), moved)),
    )


# --- <env>-global ------------------------------------------------------------------------------------


def global_lines(env: EnvironmentConfig, prices: PriceTable) -> Iterator[Line]:
    dns = env.dns
    if dns is None:
        return
    stack, region = f"{env.name}-global", env.aws.primary_region
    a = prices.assumptions
    yield Line(
        stack, f"Route53 zone {dns.zone}", "1 zone", *_bounds(prices.monthly(prices.aws_item(region, "route53_zone")))
    )
    checks = len(env.aws_regions)
    yield Line(
        stack,
        "Route53 health checks (HTTPS)",
        f"{checks} (one per AWS region)",
        *_bounds(prices.monthly(prices.aws_item(region, "route53_health_check"), checks)),
    )
    yield Line(
        stack,
        "Route53 latency queries",
        f"{a.dns_queries_million} M (assumed)",
        *_bounds(prices.monthly(prices.aws_item(region, "route53_queries"), a.dns_queries_million)),
    )
    if dns.cdn is not None and dns.cdn.enabled:
        yield Line(
            stack,
            "CloudFront transfer to viewers",
            f"{a.cdn_transfer_gib} GiB (assumed)",
            *_bounds(prices.monthly(prices.aws_item(region, "cloudfront_transfer"), a.cdn_transfer_gib)),
        )
        yield Line(
            stack,
            "CloudFront HTTPS requests",
            f"{a.requests_million} M (assumed)",
            *_bounds(prices.monthly(prices.aws_item(region, "cloudfront_requests"), a.requests_million)),
        )
        yield Line(
            stack,
            "CloudFront web ACL (WAF)",
            f"1 ACL, {a.requests_million} M requests (assumed)",
            *_bounds(
                prices.monthly(prices.aws_item(region, "waf_web_acl"))
                + prices.monthly(prices.aws_item(region, "waf_requests"), a.requests_million)
            ),
        )


# --- the whole environment ---------------------------------------------------------------------------


def environment_lines(env: EnvironmentConfig, prices: PriceTable) -> list[Line]:
    """Every line of ``env``, stack by stack in deployment order."""
    lines = list(state_lines(env, prices))
    for region in env.aws_regions:
        lines += region_lines(env, region, prices)
    for region in env.aws_regions:
        if region in env.platform:
            lines += platform_lines(env, region, prices)
    lines += dr_lines(env, prices)
    lines += global_lines(env, prices)
    return lines


def totals(lines: list[Line]) -> dict[str, tuple[Decimal, Decimal]]:
    """Low and high monthly total per stack, in the order the stacks first appear."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        low, high = out.get(line.stack, (ZERO, ZERO))
        out[line.stack] = (low + line.low, high + line.high)
    return out

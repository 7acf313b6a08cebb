"""Semantics that make the platform work once applied: values each cloud accepts but that leave
something unable to run.

- A pool that hosts an autoscaler never reaches zero: with no node for cluster-autoscaler or
  Karpenter's controller, nothing could ever add one back.
- Instance types match the AMI: managed node groups boot ``AL2023_x86_64_STANDARD``
  (``constructs/cluster.py``), so an arm64 type there fails to launch; a Karpenter pool's types
  must be of one of its ``architectures``, or its requirements exclude them.
- Redis ``maxmemory`` is positive: ``0`` means no limit, so eviction (``allkeys-lru``) never runs
  and the container's memory limit kills the pod instead.
- PostgreSQL's memory settings fit the memory of every instance that runs them: the RDS classes
  (memory from the cloud facts table) and each CloudNativePG cluster's container limit.
- Every container configuration sizes stays inside its namespace's LimitRange (the data stores are
  checked in :mod:`tonebridge.config.platform_data`; this covers the others, from the same table the
  pool and quota rules read, :func:`tonebridge.config.capacity_rules.pinned_pods`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from tonebridge import cloudfacts
from tonebridge.config.capacity_rules import _amount, _of, pinned_pods
from tonebridge.config.compute import ClusterConfig, NodeGroupConfig
from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.postgres_settings import memory_bytes
from tonebridge.props.pools import APPLICATION_POOL, SYSTEM_POOL
from tonebridge.quantities import parse_quantity

#: The AMI type of every managed node group (``constructs/cluster.py``) and the architecture it boots.
NODE_GROUP_AMI = ("AL2023_x86_64_STANDARD", "amd64")
_MIB = 2**20


def workload_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, cluster in cfg.clusters.items():
        yield from _autoscaler_pools(cfg, region, cluster)
        yield from _architectures(cfg, region, cluster)
    for region, platform in cfg.platform.items():
        redis = platform.redis
        if redis.enabled and redis.maxmemory.rstrip("kmgb") in ("0", ""):
            yield Problem(
                ("platform", region, "redis", "maxmemory"),
                f"{redis.maxmemory} means no limit: eviction ({redis.maxmemory_policy}) never runs and the "
                "container's memory limit kills Redis instead; give a size below the limit",
            )
        yield from _limit_ranges(cfg, region)
    yield from _postgres_memory(cfg)


# --- autoscalers --------------------------------------------------------------------------------


def _hosts(groups: Mapping[str, NodeGroupConfig], *selectors: Mapping[str, str]) -> list[str]:
    """The node groups pods with the first selector some group carries run on (all groups if none)."""
    for selector in selectors:
        carrying = [name for name, g in groups.items() if g.labels.items() >= selector.items()]
        if carrying:
            return carrying
    return list(groups)


def _autoscaler_pools(cfg: EnvironmentConfig, region: str, cluster: ClusterConfig) -> Iterator[Problem]:
    """cluster-autoscaler runs on the system pool; Karpenter's controller where the other controllers
    run (the application pool, else the system pool: ``pod_defaults.controller_placement``)."""
    platform = cfg.platform.get(region)
    groups = cluster.node_groups
    hosted = []
    if platform and platform.autoscaling.cluster_autoscaler.enabled:
        hosted.append(("cluster-autoscaler", _hosts(groups, SYSTEM_POOL[0])))
    if cluster.karpenter.enabled:
        hosted.append(("Karpenter's controller", _hosts(groups, APPLICATION_POOL[0], SYSTEM_POOL[0])))
    for who, names in hosted:
        if names and sum(groups[n].min_size for n in names) == 0:
            yield Problem(
                ("clusters", region, "node_groups", names[0], "min_size"),
                f"0 lets the node group(s) {', '.join(names)} that run {who} scale to zero: "
                "nothing could scale them back; keep min_size at least 1",
            )


# --- architectures -------------------------------------------------------------------------------


def _architectures(cfg: EnvironmentConfig, region: str, cluster: ClusterConfig) -> Iterator[Problem]:
    ami, arch = NODE_GROUP_AMI
    for name, group in cluster.node_groups.items():
        for i, instance_type in enumerate(group.instance_types):
            node = cloudfacts.ec2_instance_types().get(instance_type)
            if node and node.kubernetes_arch != arch:
                yield Problem(
                    ("clusters", region, "node_groups", name, "instance_types", i),
                    f"{instance_type} is {node.kubernetes_arch}, but managed node groups boot {ami} ({arch})",
                )
    platform = cfg.platform.get(region)
    if platform and cluster.karpenter.enabled:
        pool = platform.autoscaling.karpenter.node_pool
        for i, instance_type in enumerate(pool.instance_types):
            node = cloudfacts.ec2_instance_types().get(instance_type)
            if node and node.kubernetes_arch not in pool.architectures:
                yield Problem(
                    ("platform", region, "autoscaling", "karpenter", "node_pool", "instance_types", i),
                    f"{instance_type} is {node.kubernetes_arch}, not one of the pool's architectures "
                    f"({', '.join(pool.architectures)}): Karpenter would never launch it",
                )


# --- LimitRange ----------------------------------------------------------------------------------

#: Components whose containers platform_data checks one by one against their LimitRange.
_CHECKED_ELSEWHERE = ("Redis", "CloudNativePG")


def _value(resource: str, amount: int) -> float:
    """Millicores or MiB (the capacity model's units) as the quantity's own unit: cores or bytes."""
    return amount / 1000 if resource == "cpu" else amount * _MIB


def _limit_ranges(cfg: EnvironmentConfig, region: str) -> Iterator[Problem]:
    platform, cluster = cfg.platform[region], cfg.clusters.get(region)
    if cluster is None:
        return
    for entry in pinned_pods(platform, cluster, region):
        ns = platform.namespaces.get(entry.namespace or "")
        if ns is None or ns.limit_range is None or entry.amounts is None or entry.detail:
            continue
        if entry.component.startswith(_CHECKED_ELSEWHERE):
            continue
        bounds, amounts = ns.limit_range, entry.amounts
        for resource, path in (("cpu", amounts.cpu_path), ("memory", amounts.memory_path)):
            low = parse_quantity(getattr(bounds.min, resource))
            high = parse_quantity(getattr(bounds.max, resource))
            request, limit = (_of(amounts.requests, resource), _of(amounts.limits, resource))
            where = f"namespaces.{entry.namespace}.limit_range"
            if _value(resource, request) < low:
                yield Problem(
                    path,
                    f"{entry.component}'s {_amount(resource, request)} is below the min "
                    f"{getattr(bounds.min, resource)} of {where}",
                )
            if _value(resource, limit) > high:
                limit_path = (
                    (*path[:-2], "limits", path[-1])
                    if path[-2] == "requests"
                    else (*path[:-1], path[-1].replace("request", "limit"))
                )
                yield Problem(
                    limit_path,
                    f"{entry.component}'s {_amount(resource, limit)} is above the max "
                    f"{getattr(bounds.max, resource)} of {where}",
                )


# --- PostgreSQL memory ---------------------------------------------------------------------------


def _postgres_memory(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """What the server can allocate at once stays inside the memory it runs in.

    shared_buffers + wal_buffers + max_connections x work_mem + maintenance_work_mem is what the
    server holds with every connection sorting once (the usual sizing bound); effective_cache_size is
    the planner's guess of the cache it may use, never more than the memory there is.
    """
    s = cfg.database.settings
    at = ("database", "settings")
    peak = (
        memory_bytes(s.shared_buffers)
        + memory_bytes(s.wal_buffers)
        + s.max_connections * memory_bytes(s.work_mem)
        + memory_bytes(s.maintenance_work_mem)
    )
    formula = "shared_buffers + wal_buffers + max_connections x work_mem + maintenance_work_mem"
    homes: list[tuple[str, int]] = []
    rds = cfg.database.rds
    for field in ("instance_class", "replica_instance_class"):
        name = getattr(rds, field)
        node = cloudfacts.rds_instance_classes().get(name) if name else None
        if node:
            homes.append((f"database.rds.{field} {name}", node.memory_mib * _MIB))
    for region, platform in cfg.platform.items():
        for i, pg in enumerate(platform.postgres.clusters):
            limit = int(parse_quantity(pg.resources.memory_limit))
            homes.append((f"platform.{region}.postgres.clusters[{i}] memory_limit {pg.resources.memory_limit}", limit))
    for where, memory in homes:
        if peak > memory:
            yield Problem(at, f"{formula} = {peak // _MIB}MB exceeds the {memory // _MIB}MB of {where}")
        if memory_bytes(s.effective_cache_size) > memory:
            yield Problem(
                (*at, "effective_cache_size"),
                f"{s.effective_cache_size} exceeds the {memory // _MIB}MB of {where}",
            )

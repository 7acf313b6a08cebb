"""Configuration rejects what cannot fit, before synthesis: node types, pinned requests, pools, quotas.

Four rules, per AWS region, each reported at the field to change:

1. Every instance type a node group or the Karpenter pool names is one :mod:`tonebridge.capacity`
   knows, and it can address ``network.<region>.pods.max_pods_per_node`` pods. The cluster's VPC CNI
   runs with custom networking (pods take addresses from the pod subnets, never from the node's
   primary interface) and prefix delegation (``constructs/cluster.py`` ``_addons``), so a node
   addresses ``(ENIs - 1) x (IPv4 per ENI - 1) x 16 + 2`` pods. Without managed add-ons (the
   emulator, where no pod runs) the project does not configure the CNI, and the rule does not apply.
2. Every pod configuration pins to a pool fits one node of the pool's largest instance type.
3. Everything configuration pins to a pool fits the pool at its ``max_size``.
4. In a namespace with a quota, the claims and the requests and limits configuration puts there fit it.

Allocatable is :func:`tonebridge.capacity.allocatable` with the memory reservation of the larger of
``max_pods_per_node`` (what Karpenter schedules with) and the type's ENI pod limit (what nodeadm
reserves for on a managed node, whatever maxPods the kubelet gets): the rules err on the safe side
for small types (t3.medium: 110, not 17) and large ones (c5.4xlarge: 234, not 110) alike.

Only what configuration sets is counted (the resources fields and replica counts below); sidecars
and containers whose requests the constructs fix (exporters, config reloaders, Istio proxies) and
DaemonSets are left to the cluster-fit check, which reads the synthesized stacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import ceil

from tonebridge import capacity
from tonebridge.capacity import Resources
from tonebridge.config.compute import ClusterConfig, NodeGroupConfig
from tonebridge.config.errors import PathPart, Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.config.platform_observability import MONITORING_POOLS
from tonebridge.props.pools import APPLICATION_POOL, DATABASE_POOL, MANAGEMENT_POOL, SYSTEM_POOL
from tonebridge.props.types import ContainerResources
from tonebridge.quantities import parse_quantity

#: Claims per Redis pod: its data volume, which holds nodes.conf too (``constructs/redis.py``:
#: ``storage.volumeClaimTemplate``, ``nodeConfVolume: false``).
REDIS_CLAIMS_PER_POD = 1
#: Claims per Vault pod: raft data and audit log (``constructs/vault.py``).
VAULT_CLAIMS_PER_POD = 2
#: Containers of a Jenkins build agent pod besides Kaniko: the inbound agent (jnlp) and Trivy,
#: each with the agents' ``tool_resources`` (``constructs/jenkins.py`` ``build_pod``).
BUILD_POD_TOOL_CONTAINERS = 2


@dataclass(frozen=True)
class Amounts:
    """Per-pod requests and limits, and the fields that set the requests (for problem paths)."""

    requests: Resources
    limits: Resources
    cpu_path: tuple[PathPart, ...]
    memory_path: tuple[PathPart, ...]


@dataclass(frozen=True)
class PinnedPods:
    """Pods of one component as configuration places them.

    :param selector: the node labels the pods select; None where they are not pinned (they run
        wherever they fit, as controllers do on a cluster without a system pool).
    :param placement_path: the field that decides the placement (reported when no node group matches).
    :param pods: the most pods at once (an autoscaler's maximum, an agent cap).
    :param amounts: per-pod requests and limits; None where configuration sets none.
    :param namespace: where the pods and their claims live; None for namespaces the platform makes itself.
    :param claims_per_pod: PersistentVolumeClaims each pod makes.
    :param detail: how ``amounts`` is made up, where it is more than one container.
    """

    component: str
    selector: Mapping[str, str] | None
    placement_path: tuple[PathPart, ...]
    pods: int
    amounts: Amounts | None
    namespace: str | None
    claims_per_pod: int = 0
    detail: str = ""


def _millis(quantity: str) -> int:
    return ceil(parse_quantity(quantity) * 1000)


def _mib(quantity: str) -> int:
    return ceil(parse_quantity(quantity) / 2**20)


def _amounts(resources: ContainerResources, base: tuple[PathPart, ...]) -> Amounts:
    """A container's requests and limits; problems point at its ``cpu_request`` and ``memory_request``."""
    return Amounts(
        Resources(_millis(resources.cpu_request), _mib(resources.memory_request)),
        Resources(_millis(resources.cpu_limit), _mib(resources.memory_limit)),
        (*base, "cpu_request"),
        (*base, "memory_request"),
    )


def _pod(main: Amounts, *others: tuple[Amounts, int]) -> Amounts:
    """A pod of several containers: ``main`` plus ``count`` containers of each other amount; problems
    point at ``main``'s fields."""
    requests, limits = main.requests, main.limits
    for other, count in others:
        requests, limits = requests + count * other.requests, limits + count * other.limits
    return Amounts(requests, limits, main.cpu_path, main.memory_path)


def _carried(selector: Mapping[str, str], groups: Mapping[str, NodeGroupConfig]) -> bool:
    return any(group.labels.items() >= selector.items() for group in groups.values())


def pinned_pods(platform: PlatformConfig, cluster: ClusterConfig, region: str) -> list[PinnedPods]:
    """Who configuration pins where, in one region: the one table the pool and quota rules read.

    Placement mirrors the stacks: istiod goes to the application pool when a node group carries its
    label, else to the system pool (``pod_defaults.controller_placement``), Prometheus and Alertmanager
    to ``observability.node_pool``, the data stores (Redis, CloudNativePG, Elasticsearch) always to the
    database pool (their constructs' defaults), Jenkins to the management pool, Vault and Trivy's scan jobs where their
    ``node_selector`` says.
    """
    at: tuple[PathPart, ...] = ("platform", region)
    groups = cluster.node_groups
    controllers = next((pool[0] for pool in (APPLICATION_POOL, SYSTEM_POOL) if _carried(pool[0], groups)), None)
    management = MANAGEMENT_POOL[0] if _carried(MANAGEMENT_POOL[0], groups) else None
    database, node_groups = DATABASE_POOL[0], ("clusters", region, "node_groups")
    table: list[PinnedPods] = []
    istio = platform.istio
    if istio.enabled:
        table.append(
            PinnedPods(
                component="istiod",
                selector=controllers,
                placement_path=node_groups,
                pods=istio.istiod_autoscale.max,
                amounts=_amounts(istio.istiod_resources, (*at, "istio", "istiod_resources")),
                namespace=istio.namespace,
            )
        )
    vault = platform.secrets.vault
    if platform.secrets.enabled:
        table.append(
            PinnedPods(
                component="Vault",
                selector=dict(vault.node_selector),
                placement_path=(*at, "secrets", "vault", "node_selector"),
                pods=vault.replicas,
                amounts=_amounts(vault.resources, (*at, "secrets", "vault", "resources")),
                namespace=None,
                claims_per_pod=VAULT_CLAIMS_PER_POD,
            )
        )
    scanning = platform.scanning
    if scanning.enabled:
        table.append(
            PinnedPods(
                component="Trivy scan jobs",
                selector=dict(scanning.scan_job_node_selector),
                placement_path=(*at, "scanning", "scan_job_node_selector"),
                pods=scanning.concurrent_scan_jobs,
                amounts=_amounts(scanning.scan_job_resources, (*at, "scanning", "scan_job_resources")),
                namespace=None,
            )
        )
    for i, pg in enumerate(platform.postgres.clusters):
        table.append(
            PinnedPods(
                component=f"CloudNativePG {pg.namespace}/{pg.name}",
                selector=database,
                placement_path=node_groups,
                pods=pg.instances,
                amounts=_amounts(pg.resources, (*at, "postgres", "clusters", i, "resources")),
                namespace=pg.namespace,
                claims_per_pod=1,
            )
        )
    redis = platform.redis
    if redis.enabled:
        server = _amounts(redis.resources, (*at, "redis", "resources"))
        exporter = _amounts(redis.exporter_resources, (*at, "redis", "exporter_resources"))
        table.append(
            PinnedPods(
                component="Redis",
                selector=database,
                placement_path=node_groups,
                pods=redis.pods,
                amounts=_pod(server, (exporter, 1)),
                namespace=redis.namespace,
                claims_per_pod=REDIS_CLAIMS_PER_POD,
                detail=" (redis and its exporter)",
            )
        )
    table += _observability(platform, at, groups, node_groups)
    table += _ci(platform, at, management, node_groups)
    return table


def _observability(
    platform: PlatformConfig, at: tuple[PathPart, ...], groups: Mapping[str, NodeGroupConfig], node_groups: tuple
) -> list[PinnedPods]:
    """Prometheus and Alertmanager on ``observability.node_pool`` (unpinned where no node group carries
    it: ``observability_problems`` reports that); Elasticsearch on the database pool."""
    obs = platform.observability
    if not obs.enabled:
        return []
    metrics, logs = obs.metrics, obs.logs
    selector = MONITORING_POOLS[obs.node_pool][0]
    monitoring = selector if _carried(selector, groups) else None
    table = [
        PinnedPods(
            component="Prometheus",
            selector=monitoring,
            placement_path=node_groups,
            pods=metrics.prometheus_replicas,
            amounts=_amounts(metrics.prometheus_resources, (*at, "observability", "metrics", "prometheus_resources")),
            namespace=obs.namespace,
            claims_per_pod=1,
        ),
        PinnedPods(
            component="Alertmanager",
            selector=monitoring,
            placement_path=node_groups,
            pods=metrics.alertmanager_replicas,
            amounts=None,
            namespace=obs.namespace,
            claims_per_pod=1,
        ),
    ]
    if logs.enabled:
        table += [
            PinnedPods(
                component=f"Elasticsearch {role}",
                selector=DATABASE_POOL[0],
                placement_path=node_groups,
                pods=getattr(logs, role).count,
                amounts=_amounts(getattr(logs, role).resources, (*at, "observability", "logs", role, "resources")),
                namespace=logs.namespace,
                claims_per_pod=1,
            )
            for role in ("master", "data")
        ]
    return table


def _ci(
    platform: PlatformConfig, at: tuple[PathPart, ...], management: Mapping[str, str] | None, node_groups: tuple
) -> list[PinnedPods]:
    """The Jenkins controller and, at most ``max_agents`` at once, its build agents (the largest agent pod)."""
    ci = platform.ci
    if not ci.enabled:
        return []
    build = _amounts(ci.agents.build_resources, (*at, "ci", "agents", "build_resources"))
    tool = _amounts(ci.agents.tool_resources, (*at, "ci", "agents", "tool_resources"))
    agent = _pod(build, (tool, BUILD_POD_TOOL_CONTAINERS))
    return [
        PinnedPods(
            component="Jenkins controller",
            selector=management,
            placement_path=node_groups,
            pods=1,
            amounts=_amounts(ci.controller.resources, (*at, "ci", "controller", "resources")),
            namespace=ci.namespace,
            claims_per_pod=1,
        ),
        PinnedPods(
            component="Jenkins build agents",
            selector=management,
            placement_path=node_groups,
            pods=ci.agents.max_agents,
            amounts=agent,
            namespace=ci.agents_namespace,
            detail=f" (a build agent pod: Kaniko and {BUILD_POD_TOOL_CONTAINERS} containers of tool_resources)",
        ),
    ]


# --- formatting ---------------------------------------------------------------------------------


def _cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def _memory(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def _amount(resource: str, value: int) -> str:
    return _cpu(value) if resource == "cpu" else _memory(value)


def _of(resources: Resources, resource: str) -> int:
    return resources.cpu_millis if resource == "cpu" else resources.memory_mib


RESOURCES = ("cpu", "memory")
#: How a problem line names each resource after an amount ("1930m CPU", "2223Mi memory").
_NOUN = {"cpu": "CPU", "memory": "memory"}


# --- rule 1: instance types and the pods they can address ----------------------------------------


def _type_problems(
    types: Sequence[str], path: tuple[PathPart, ...], max_pods: int | None, addressing: bool, region: str
) -> Iterator[Problem]:
    for i, name in enumerate(types):
        try:
            limit = capacity.addressable_pods(name, custom_networking=True, prefix_delegation=True)
        except KeyError as unknown:
            yield Problem((*path, i), str(unknown.args[0]))
            continue
        if addressing and max_pods is not None and max_pods > limit:
            node = capacity.lookup(name)
            yield Problem(
                (*path, i),
                f"{name} addresses at most {limit} pods (VPC CNI custom networking with prefix delegation: "
                f"({node.enis} - 1) x ({node.ipv4_per_eni} - 1) x 16 + 2) but "
                f"network.{region}.pods.max_pods_per_node is {max_pods}",
            )


def _instance_type_problems(cfg: EnvironmentConfig, region: str, cluster: ClusterConfig) -> Iterator[Problem]:
    net = cfg.network.get(region)
    max_pods = net.pods.max_pods_per_node if net else None
    for name, group in cluster.node_groups.items():
        path = ("clusters", region, "node_groups", name, "instance_types")
        yield from _type_problems(group.instance_types, path, max_pods, cluster.managed_addons, region)
    platform = cfg.platform.get(region)
    if platform and cluster.karpenter.enabled:
        pool = platform.autoscaling.karpenter.node_pool
        path = ("platform", region, "autoscaling", "karpenter", "node_pool", "instance_types")
        yield from _type_problems(pool.instance_types, path, max_pods, cluster.managed_addons, region)


# --- rules 2 and 3: pools ----------------------------------------------------------------------------


def _known(types: Sequence[str]) -> list[str]:
    return [name for name in types if name in capacity.INSTANCE_TYPES]


def _pool_problems(table: list[PinnedPods], cluster: ClusterConfig, region: str, max_pods: int) -> Iterator[Problem]:
    pools: dict[tuple, list[PinnedPods]] = {}
    for entry in table:
        if entry.selector is not None:
            pools.setdefault(tuple(sorted(entry.selector.items())), []).append(entry)
    for selector, entries in pools.items():
        groups = {n: g for n, g in cluster.node_groups.items() if g.labels.items() >= dict(selector).items()}
        label = ", ".join(f"{key}={value}" for key, value in selector)
        if not groups:
            for entry in entries:
                yield Problem(
                    entry.placement_path,
                    f"{entry.component} runs on nodes labelled {label}, but no node group of "
                    f"clusters.{region} carries that label",
                )
            continue
        yield from _node_fit(entries, groups, max_pods)
        yield from _pool_fit(entries, groups, region, max_pods)


def _reserved_pods(name: str, max_pods: int) -> int:
    """The pod count whose reservation is the larger one (see the module's docstring)."""
    return max(max_pods, capacity.eni_max_pods(name))


def _room(name: str, max_pods: int) -> Resources:
    """One node's allocatable, reserved for :func:`_reserved_pods`."""
    return capacity.allocatable(name, _reserved_pods(name, max_pods))


def _pool_name(groups: Mapping[str, NodeGroupConfig]) -> str:
    return " + ".join(groups)


def _node_fit(entries: list[PinnedPods], groups: Mapping[str, NodeGroupConfig], max_pods: int) -> Iterator[Problem]:
    """Each pod fits one node of the pool's largest type."""
    types = _known([name for group in groups.values() for name in group.instance_types])
    if not types:
        return
    largest = max(types, key=lambda name: (_room(name, max_pods).memory_mib, name))
    room = _room(largest, max_pods)
    for entry in entries:
        if entry.amounts is None:
            continue
        for resource in RESOURCES:
            wanted, has = _of(entry.amounts.requests, resource), _of(room, resource)
            if wanted > has:
                path = entry.amounts.cpu_path if resource == "cpu" else entry.amounts.memory_path
                yield Problem(
                    path,
                    f"{_amount(resource, wanted)}{entry.detail} does not fit one {largest} of the "
                    f"{_pool_name(groups)} pool ({_amount(resource, has)} allocatable at "
                    f"{_reserved_pods(largest, max_pods)} pods)",
                )


def _pool_fit(
    entries: list[PinnedPods], groups: Mapping[str, NodeGroupConfig], region: str, max_pods: int
) -> Iterator[Problem]:
    """Everything pinned fits the pool at its max_size (each group sized by its smallest type)."""
    total, sizes = Resources(0, 0), []
    for group in groups.values():
        types = _known(group.instance_types)
        if not types:
            return
        smallest = min(types, key=lambda name: (_room(name, max_pods).memory_mib, name))
        total += group.max_size * _room(smallest, max_pods)
        sizes.append(f"{group.max_size} x {smallest}")
    counted = [entry for entry in entries if entry.amounts is not None]
    first = next(iter(groups))
    for resource in RESOURCES:
        pinned = sum(entry.pods * _of(entry.amounts.requests, resource) for entry in counted)
        if pinned > _of(total, resource):
            parts = ", ".join(
                f"{entry.component} {entry.pods} x {_amount(resource, _of(entry.amounts.requests, resource))}"
                for entry in counted
            )
            yield Problem(
                ("clusters", region, "node_groups", first, "max_size"),
                f"the {_pool_name(groups)} pool at max_size ({', '.join(sizes)}) has "
                f"{_amount(resource, _of(total, resource))} {_NOUN[resource]} allocatable, but "
                f"{_amount(resource, pinned)} {_NOUN[resource]} is pinned to it ({parts})",
            )


# --- rule 4: quotas ---------------------------------------------------------------------------------


def _quota_problems(table: list[PinnedPods], platform: PlatformConfig, region: str) -> Iterator[Problem]:
    for name, ns in platform.namespaces.items():
        quota = ns.quota
        if quota is None:
            continue
        at = ("platform", region, "namespaces", name, "quota")
        here = [entry for entry in table if entry.namespace == name]
        claimed = [entry for entry in here if entry.claims_per_pod]
        claims = sum(entry.pods * entry.claims_per_pod for entry in claimed)
        if claims > quota.persistentvolumeclaims:
            parts = ", ".join(f"{e.component} {e.pods} pods x {e.claims_per_pod}" for e in claimed)
            yield Problem(
                (*at, "persistentvolumeclaims"),
                f"{claims} claims would exist in {name} ({parts}), over the quota's {quota.persistentvolumeclaims}",
            )
        counted = [entry for entry in here if entry.amounts is not None]
        for kind in ("requests", "limits"):
            for resource in RESOURCES:
                field = f"{kind}_{resource}"
                pinned = sum(entry.pods * _of(getattr(entry.amounts, kind), resource) for entry in counted)
                allowed = parse_quantity(getattr(quota, field))
                if Decimal(pinned) > (allowed * 1000 if resource == "cpu" else allowed / 2**20):
                    parts = ", ".join(
                        f"{e.component} {e.pods} x {_amount(resource, _of(getattr(e.amounts, kind), resource))}"
                        for e in counted
                    )
                    yield Problem(
                        (*at, field),
                        f"{_amount(resource, pinned)} of {kind}.{resource} in {name} ({parts}), "
                        f"over the quota's {getattr(quota, field)}",
                    )


def capacity_problems(cfg: EnvironmentConfig) -> list[Problem]:
    """Everything of ``cfg`` that could not fit its nodes, pools or quotas."""
    problems: list[Problem] = []
    for region, cluster in cfg.clusters.items():
        problems.extend(_instance_type_problems(cfg, region, cluster))
        platform, net = cfg.platform.get(region), cfg.network.get(region)
        if platform is None or net is None:
            continue
        table = pinned_pods(platform, cluster, region)
        problems.extend(_pool_problems(table, cluster, region, net.pods.max_pods_per_node))
        problems.extend(_quota_problems(table, platform, region))
    return problems

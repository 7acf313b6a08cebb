"""Rules ``scheduling`` and ``capacity``: every pod has a pool to land on, a node there it fits, and room.

The scheduler's filters, evaluated against pools instead of nodes: a pool matches a pod when one of
its nodes could carry labels that satisfy the pod's node selector and required node affinity, and
the pod tolerates every ``NoSchedule``/``NoExecute`` taint of the pool. A pod then has to fit one
node of a matching pool beside that pool's DaemonSets.

Capacity is counted per pool from the pods pinned to it (exactly one pool matches them) and the
DaemonSets that land on it; a Job's pods must fit a node but run to completion, so they are not
counted. Pods that several pools accept are shown in a separate ``shared`` column and are not added
to any pool; each group of pools that shares pods must hold them together with what is pinned to
those pools. The pool that carries the cluster autoscaler must hold what is pinned to it at its minimum
size too: nothing else grows the managed groups, so pods there that start short may take the autoscaler
with them. Other managed groups grow on demand, up to their maximum (Karpenter grows only its own pools).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tonebridge.capacity import Resources, allocatable
from tonebridge.quantities import parse_quantity
from tools.fit.model import ClusterView, Pool, Problem, Workload, object_ref
from tools.fit.mutation import admitted_template
from tools.fit.pools import ARCH_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL
from tools.fit.resources import pod_resources

HOSTNAME_LABEL = "kubernetes.io/hostname"
#: Controllers whose pods run to completion and are not counted in a pool's load.
TRANSIENT_KINDS = ("Job", "CronJob")
#: Effects that keep a pod off a node; PreferNoSchedule only steers the scheduler.
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")
_MIB = Decimal(1024 * 1024)

#: A label's possible values on a pool's nodes: a set (one of them per node), or None for any value.
NodeLabels = Mapping[str, frozenset[str] | None]
Requirement = tuple[str, str, tuple[str, ...]]


# --- what a pool's nodes carry -----------------------------------------------------------------------


def node_labels(pool: Pool, region: str) -> dict[str, frozenset[str] | None]:
    """Every label a node of ``pool`` may carry, with the values it may have.

    The kubelet sets the OS, architecture (also under their ``beta.`` names) and hostname; the cloud
    provider the instance type, zone and region.
    """
    labels: dict[str, frozenset[str] | None] = {key: frozenset([value]) for key, value in pool.labels.items()}
    if isinstance(pool, Pool):
        labels |= {key: frozenset(values) for key, values in pool.label_choices.items()}
    labels.setdefault(INSTANCE_TYPE_LABEL, frozenset(pool.instance_types))
    labels.setdefault(ARCH_LABEL, frozenset(["amd64"]))
    labels.setdefault(ZONE_LABEL, None)
    labels |= {
        "kubernetes.io/os": frozenset(["linux"]),
        "beta.kubernetes.io/os": frozenset(["linux"]),
        "beta.kubernetes.io/arch": labels[ARCH_LABEL],
        "topology.kubernetes.io/region": frozenset([region]),
        HOSTNAME_LABEL: None,
    }
    return labels


def _holds(operator: str, values: tuple[str, ...], value: str) -> bool:
    """One node selector requirement against a label that is present with ``value``."""
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return True
    if operator in ("Gt", "Lt"):
        try:
            number, bound = int(value), int(values[0])
        except (ValueError, IndexError):
            return False
        return number > bound if operator == "Gt" else number < bound
    return False  # DoesNotExist, with the label present


def satisfiable(labels: NodeLabels, requirements: Iterable[Requirement]) -> bool:
    """Whether some node with ``labels`` meets every requirement (requirements on one key together)."""
    by_key: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for key, operator, values in requirements:
        by_key[key].append((operator, values))
    for key, rules in by_key.items():
        if key not in labels:
            if any(operator not in ("NotIn", "DoesNotExist") for operator, _ in rules):
                return False
        elif labels[key] is None:
            if any(operator == "DoesNotExist" for operator, _ in rules):
                return False
        elif not any(all(_holds(op, vals, value) for op, vals in rules) for value in labels[key]):
            return False
    return True


def _expressions(term: Mapping[str, Any]) -> list[Requirement]:
    return [(e["key"], e["operator"], tuple(e.get("values") or ())) for e in term.get("matchExpressions") or []]


def selector_matches(spec: Mapping[str, Any], labels: NodeLabels) -> bool:
    """The node selector and every required node affinity term the scheduler applies, against one pool."""
    selector = [(key, "In", (value,)) for key, value in (spec.get("nodeSelector") or {}).items()]
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not affinity:
        return satisfiable(labels, selector)
    # Terms are ORed; a term without expressions matches no node (matchFields name single nodes: ignored).
    return any(
        (term.get("matchExpressions") or term.get("matchFields"))
        and satisfiable(labels, [*selector, *_expressions(term)])
        for term in affinity.get("nodeSelectorTerms") or []
    )


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, str]) -> bool:
    """The API's ``Toleration.ToleratesTaint``: an empty key with ``Exists`` tolerates every taint."""
    if toleration.get("effect") and toleration["effect"] != taint["effect"]:
        return False
    if toleration.get("key") and toleration["key"] != taint["key"]:
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return True
    return bool(toleration.get("key")) and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated(spec: Mapping[str, Any], pool: Pool) -> list[Mapping[str, str]]:
    """The pool's blocking taints the pod does not tolerate."""
    tolerations = spec.get("tolerations") or []
    return [
        taint
        for taint in pool.taints
        if taint["effect"] in BLOCKING_EFFECTS and not any(tolerates(t, taint) for t in tolerations)
    ]


def taint_text(taint: Mapping[str, str]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint['key']}{value}:{taint['effect']}"


# --- what a pod requests --------------------------------------------------------------------------------


def pod_requests(spec: Mapping[str, Any]) -> Resources:
    """What the scheduler reserves for one pod (:func:`tools.fit.resources.pod_resources`), rounded up."""
    requests = pod_resources(spec, "requests")
    return Resources(
        math.ceil(requests.get("cpu", Decimal(0)) * 1000), math.ceil(requests.get("memory", Decimal(0)) / _MIB)
    )


def resources_text(amount: Resources) -> str:
    cores = amount.cpu_millis / 1000
    cpu = f"{cores:g} CPU" if amount.cpu_millis % 1000 == 0 else f"{amount.cpu_millis}m CPU"
    return f"{cpu}, {amount.memory_mib}Mi memory"


# --- placement -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One workload's pods: what each requests and the pools that accept them."""

    workload: Workload
    spec: Mapping[str, Any]
    requests: Resources
    pools: tuple[Pool, ...]


def placements(view: ClusterView) -> list[Placement]:
    """Every workload with the pools whose labels and taints admit its pods."""
    labels = {pool.name: node_labels(pool, view.region) for pool in view.pools}
    found = []
    for workload in view.workloads:
        spec = admitted_template(view, workload).get("spec", {})
        pools = tuple(p for p in view.pools if selector_matches(spec, labels[p.name]) and not untolerated(spec, p))
        found.append(Placement(workload, spec, pod_requests(spec), pools))
    return found


def daemonset_load(found: Sequence[Placement]) -> dict[str, Resources]:
    """Pool name -> what its DaemonSets request on each node."""
    load: dict[str, Resources] = defaultdict(lambda: Resources(0, 0))
    for placement in found:
        if placement.workload.daemonset:
            for pool in placement.pools:
                load[pool.name] += placement.requests
    return load


def node_size(pool: Pool) -> tuple[str, Resources]:
    """The instance type a pod must fit: a managed group's smallest, the largest Karpenter may launch."""
    sized = [(name, allocatable(name, pool.max_pods)) for name in pool.instance_types]
    pick = max if pool.kind == "karpenter" else min
    return pick(sized, key=lambda item: (item[1].cpu_millis, item[1].memory_mib))


# --- the rule ---------------------------------------------------------------------------------------------


def _no_pool(view: ClusterView, placement: Placement) -> str:
    """Why no pool takes the pod: its selector, or the taints of the pools its selector matches."""
    spec = placement.spec
    selected = [p for p in view.pools if selector_matches(spec, node_labels(p, view.region))]
    if not selected:
        parts = [f"{k}={v}" for k, v in (spec.get("nodeSelector") or {}).items()]
        what = f"node selector {', '.join(parts)}" if parts else ""
        if (spec.get("affinity") or {}).get("nodeAffinity"):
            what = f"{what} and required node affinity" if what else "required node affinity"
        return f"{what} matches no pool ({', '.join(p.name for p in view.pools)})"
    blocked = "; ".join(f"{p.name} ({', '.join(taint_text(t) for t in untolerated(spec, p))})" for p in selected)
    return f"tolerates no taint of the pools its node selector matches: {blocked}"


def _too_big(placement: Placement, ds: Mapping[str, Resources]) -> str | None:
    """Why the pod fits no node of its pools (None when one fits), with the largest room offered."""
    rooms = []
    for pool in placement.pools:
        name, node = node_size(pool)
        room = node if placement.workload.daemonset else node - ds.get(pool.name, Resources(0, 0))
        if placement.requests.fits_in(room):
            return None
        rooms.append((room, pool, name, node))
    room, pool, name, node = max(rooms, key=lambda r: (r[0].memory_mib, r[0].cpu_millis))
    besides = "" if room == node else f" less its DaemonSets' {resources_text(node - room)}"
    return (
        f"requests {resources_text(placement.requests)}; no node of its pools has room: "
        f"{pool.name} ({name}) allocates {resources_text(node)}{besides}"
    )


def _anti_affinity_keys(placement: Placement) -> set[str]:
    """Topology keys of required anti-affinity terms that select the workload's own pods."""
    workload = placement.workload
    own = {key: frozenset([value]) for key, value in workload.pod_labels.items()}
    keys = set()
    terms = ((placement.spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or []
    for term in terms:
        # Only terms over the pod's own namespace can select its siblings.
        if term.get("namespaceSelector") is not None or workload.namespace not in (
            term.get("namespaces") or [workload.namespace]
        ):
            continue
        selector = term.get("labelSelector") or {}
        requirements = [(k, "In", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
        requirements += _expressions(selector)
        if requirements and satisfiable(own, requirements):
            keys.add(term["topologyKey"])
    return keys


def _spread_problems(view: ClusterView, placement: Placement) -> list[Problem]:
    """Replicas that required anti-affinity puts on separate nodes or zones, against how many there are."""
    workload, replicas = placement.workload, placement.workload.most_replicas
    problems = []
    for key in sorted(_anti_affinity_keys(placement)):
        if key == HOSTNAME_LABEL and all(p.kind == "node-group" for p in placement.pools):
            nodes = sum(p.max_size or 0 for p in placement.pools)
            if replicas > nodes:
                pools = ", ".join(p.name for p in placement.pools)
                problems.append(
                    view.problem(
                        workload.namespace,
                        workload.ref,
                        "capacity",
                        f"{replicas} replicas need {replicas} nodes (required anti-affinity on {key}); "
                        f"{pools} has at most {nodes}",
                    )
                )
        elif key == ZONE_LABEL:
            zones: set[str] = set()
            for pool in placement.pools:
                zones |= node_labels(pool, view.region)[ZONE_LABEL] or set()
            if zones and replicas > len(zones):
                problems.append(
                    view.problem(
                        workload.namespace,
                        workload.ref,
                        "scheduling",
                        f"{replicas} replicas need {replicas} zones (required anti-affinity on {key}); "
                        f"its pools span {len(zones)}",
                    )
                )
    return problems


def check(view: ClusterView) -> list[Problem]:
    """Pods no pool takes or no node fits, and pools their pinned pods overflow."""
    found = placements(view)
    ds = daemonset_load(found)
    problems = []
    for placement in found:
        workload = placement.workload
        if not workload.daemonset and workload.most_replicas == 0:
            continue
        if not placement.pools:
            problems.append(view.problem(workload.namespace, workload.ref, "scheduling", _no_pool(view, placement)))
            continue
        too_big = _too_big(placement, ds)
        if too_big:
            problems.append(view.problem(workload.namespace, workload.ref, "scheduling", too_big))
        problems.extend(_spread_problems(view, placement))
    table = capacity_table(view, found)
    problems.extend(p for row in table for p in row.problems(view))
    problems.extend(_shared_problems(view, found, table))
    return problems


# --- capacity ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolCapacity:
    """One pool's load and room, at its minimum and maximum size.

    :param node: allocatable of the node type it is sized by (see :func:`node_size`).
    :param daemonsets: what its DaemonSets request on every node.
    :param nodes_min / nodes_max: nodes at each end; for Karpenter, those the pinned pods need.
    :param requests_min: pinned pods at their desired replicas, plus DaemonSets on ``nodes_min`` nodes.
    :param requests_max: pinned pods at their most replicas, plus DaemonSets on ``nodes_max`` nodes.
    :param offered_min / offered_max: allocatable of that many nodes; Karpenter's limits at max, and
        nothing at min (it launches nodes for pods that wait).
    :param shared: desired-replica requests of pods that this pool and others accept.
    :param hosts_autoscaler: the cluster autoscaler is pinned to it, so it must hold its pods at its minimum size.
    """

    pool: Pool
    instance_type: str
    node: Resources
    daemonsets: Resources
    nodes_min: int
    nodes_max: int | None
    requests_min: Resources
    requests_max: Resources
    offered_min: Resources | None
    offered_max: Resources | None
    shared: Resources
    hosts_autoscaler: bool = False

    @property
    def headroom_min(self) -> Resources | None:
        return None if self.offered_min is None else self.offered_min - self.requests_min

    @property
    def headroom_max(self) -> Resources | None:
        return None if self.offered_max is None else self.offered_max - self.requests_max

    @property
    def ref(self) -> str:
        return object_ref("nodegroup" if self.pool.kind == "node-group" else "nodepool", self.pool.name)

    def problems(self, view: ClusterView) -> list[Problem]:
        """DaemonSets that fill a node, and pinned pods beyond the pool at its maximum (or minimum) size."""
        found = []
        if not self.daemonsets.fits_in(self.node):
            found.append(
                f"its DaemonSets request {resources_text(self.daemonsets)} on every node; "
                f"a {self.instance_type} allocates {resources_text(self.node)}"
            )
        for at, nodes, requests, offered in (
            ("maximum", self.nodes_max, self.requests_max, self.offered_max),
            ("minimum", self.nodes_min, self.requests_min, self.offered_min if self.hosts_autoscaler else None),
        ):
            if offered is not None and not requests.fits_in(offered):
                where = (
                    f"allocatable on {nodes} x {self.instance_type}"
                    if self.pool.kind == "node-group"
                    else "its limits allow"
                )
                found.append(
                    f"pods pinned to it request {resources_text(requests)} at its {at} size; "
                    f"{where}: {resources_text(offered)}"
                )
                break
        return [view.problem(None, self.ref, "capacity", why) for why in found]


def _stays(workload: Workload) -> bool:
    """Whether its pods hold their requests for good: not a DaemonSet (counted per node), nor a Job's
    pods, which run to completion (a Job still has to fit a node, but leaves the pool as it was)."""
    return not workload.daemonset and workload.kind not in TRANSIENT_KINDS


def _pinned(found: Sequence[Placement], pool: Pool, *, most: bool) -> Resources:
    total = Resources(0, 0)
    for placement in found:
        workload = placement.workload
        if _stays(workload) and placement.pools == (pool,):
            total += placement.requests * (workload.most_replicas if most else workload.replicas)
    return total


#: Releases whose pods scale the managed node groups: the pool they run on cannot rely on them to grow it.
AUTOSCALER_ORIGINS = frozenset({"chart cluster-autoscaler"})


def _hosts_autoscaler(found: Sequence[Placement], pool: Pool) -> bool:
    return any(p.workload.origin in AUTOSCALER_ORIGINS and p.pools == (pool,) for p in found)


def _nodes_for(load: Resources, room: Resources) -> int:
    """Nodes of ``room`` each that ``load`` needs (Karpenter's count, packed perfectly)."""
    if load == Resources(0, 0):
        return 0
    if room.cpu_millis <= 0 or room.memory_mib <= 0:
        return 10**6
    return max(math.ceil(load.cpu_millis / room.cpu_millis), math.ceil(load.memory_mib / room.memory_mib))


def _limits(pool: Pool) -> Resources | None:
    if pool.cpu_limit is None and pool.memory_limit is None:
        return None
    unbounded = 10**12
    cpu = math.floor(parse_quantity(pool.cpu_limit) * 1000) if pool.cpu_limit else unbounded
    memory = math.floor(parse_quantity(pool.memory_limit) / _MIB) if pool.memory_limit else unbounded
    return Resources(cpu, memory)


def capacity_table(view: ClusterView, found: Sequence[Placement] | None = None) -> list[PoolCapacity]:
    """Every pool's requests and allocatable at its minimum and maximum size."""
    found = placements(view) if found is None else found
    ds = daemonset_load(found)
    rows = []
    for pool in view.pools:
        instance_type, node = node_size(pool)
        per_node = ds.get(pool.name, Resources(0, 0))
        at_min, at_max = _pinned(found, pool, most=False), _pinned(found, pool, most=True)
        shared = Resources(0, 0)
        for placement in found:
            if _stays(placement.workload) and pool in placement.pools and len(placement.pools) > 1:
                shared += placement.requests * placement.workload.replicas
        if pool.kind == "karpenter":
            nodes_min, nodes_max = _nodes_for(at_min, node - per_node), _nodes_for(at_max, node - per_node)
            offered_min, offered_max = None, _limits(pool)
        else:
            nodes_min, nodes_max = pool.min_size, pool.max_size
            offered_min, offered_max = node * pool.min_size, node * (pool.max_size or 0)
        rows.append(
            PoolCapacity(
                pool=pool,
                instance_type=instance_type,
                node=node,
                daemonsets=per_node,
                nodes_min=nodes_min,
                nodes_max=nodes_max,
                requests_min=at_min + per_node * nodes_min,
                requests_max=at_max + per_node * (nodes_max or 0),
                offered_min=offered_min,
                offered_max=offered_max,
                shared=shared,
                hosts_autoscaler=_hosts_autoscaler(found, pool),
            )
        )
    return rows


def _shared_problems(view: ClusterView, found: Sequence[Placement], table: Sequence[PoolCapacity]) -> list[Problem]:
    """Each group of pools that shares pods must hold them beside what is pinned to its members (at max)."""
    rows = {row.pool.name: row for row in table}
    groups = {
        tuple(p.name for p in placement.pools)
        for placement in found
        if _stays(placement.workload) and len(placement.pools) > 1
    }
    problems = []
    for group in sorted(groups):
        members = [rows[name] for name in group]
        if any(row.offered_max is None for row in members):
            continue
        room = Resources(0, 0)
        for row in members:
            room += row.offered_max - row.requests_max
        shared = Resources(0, 0)
        for placement in found:
            names = {p.name for p in placement.pools}
            if _stays(placement.workload) and len(names) > 1 and names <= set(group):
                shared += placement.requests * placement.workload.most_replicas
        if not shared.fits_in(room):
            problems.append(
                view.problem(
                    None,
                    object_ref("pools", "+".join(group)),
                    "capacity",
                    f"pods they share request {resources_text(shared)} at most replicas; "
                    f"beside their pinned pods they have {resources_text(room)} left at maximum size",
                )
            )
    return problems


def _cell(amount: Resources | None) -> str:
    if amount is None:
        return "-"
    return f"{amount.cpu_millis / 1000:.2f} CPU / {amount.memory_mib / 1024:.1f} GiB"


def format_table(rows: Sequence[PoolCapacity]) -> str:
    """The capacity table as Markdown (CPU in cores, memory in GiB)."""
    header = (
        "| Pool | Nodes | Node allocatable | DaemonSets per node | Requests at min | Allocatable at min "
        "| Headroom at min | Requests at max | Allocatable at max | Headroom at max | Shared |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in rows:
        pool = row.pool
        if pool.kind == "karpenter":
            nodes = f"{row.nodes_min}-{row.nodes_max} x {row.instance_type} (Karpenter, as pods need)"
        else:
            nodes = f"{pool.min_size}-{pool.max_size} x {row.instance_type}"
        cells = [
            pool.name,
            nodes,
            _cell(row.node),
            _cell(row.daemonsets),
            _cell(row.requests_min),
            _cell(row.offered_min),
            _cell(row.headroom_min),
            _cell(row.requests_max),
            _cell(row.offered_max),
            _cell(row.headroom_max),
            _cell(row.shared),
        ]
        lines.append("| " + " | ".join(cells) + " |\n")
    return header + "".join(lines)

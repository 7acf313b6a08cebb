"""Rules ``limit-range`` and ``quota``: every pod and claim within its namespace's LimitRanges and ResourceQuotas.

LimitRanger's validation (``plugin/pkg/admission/limitranger/admission.go``) runs on the pod as
admitted (:func:`~tools.fit.mutation.admitted_template`, so Istio's containers too):
``type: Container`` bounds every container and init container (``min``: a request at least it;
``max``: a limit at most it; ``maxLimitRequestRatio``); ``type: Pod`` bounds the pod's aggregate;
``type: PersistentVolumeClaim`` bounds each claim's ``requests.storage``.

ResourceQuota (``pkg/quota/v1/evaluator/core``): per namespace, the sum over every pod that will run
there at its workload's :attr:`~tools.fit.model.Workload.most_replicas` of the pod's
requests and limits (sidecar-aware, as :func:`tools.fit.resources.pod_resources`), ``pods``, and over every claim
(:meth:`~tools.fit.model.ClusterView.all_claims`) of ``persistentvolumeclaims``,
``requests.storage`` and their ``<class>.storageclass.storage.k8s.io/`` forms (a claim without a
class gets the default class, as the DefaultStorageClass plugin does before quota). A quota that
counts cpu or memory also refuses any pod with a container that does not state it
(``podEvaluator.Constraints``). A DaemonSet runs one pod on each node it can land on: the nodes of
every pool its node selector, required node affinity and tolerations admit, at the pool's maximum
(a Karpenter pool: as many of its smallest instance type as its cpu limit, else memory limit,
allows; a pool with neither counts one node — its size has no bound to check against).

Not modelled: scoped quotas (``scopes``/``scopeSelector``; none in this project: such a quota is
skipped), object counts (``services``, ``count/…``) and extended resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tonebridge import capacity
from tonebridge.quantities import parse_quantity
from tools.fit.model import Claim, ClusterView, Pool, Problem, Workload, object_ref
from tools.fit.mutation import admitted_template
from tools.fit.resources import Amounts, amounts, pod_resources
from tools.fit.scheduling import node_labels, selector_matches, untolerated

_STORAGE_CLASS = ".storageclass.storage.k8s.io/"
_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
#: Quota names ``podEvaluator.Constraints`` requires every container to state.
_MUST_STATE = {
    "cpu": ("requests", "cpu"),
    "requests.cpu": ("requests", "cpu"),
    "memory": ("requests", "memory"),
    "requests.memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}
_TOP = 3
_GI, _MI = Decimal(1024**3), Decimal(1024**2)


def _quantity(value: Any) -> Decimal:
    return parse_quantity(str(value))


def format_amount(resource: str, amount: Decimal) -> str:
    """``amount`` of ``resource`` the way a reader writes it: ``2.5 CPU``, ``512Mi``, ``12``."""
    if resource.endswith("cpu"):
        return f"{amount.normalize():f} CPU" if amount >= 1 else f"{(amount * 1000).normalize():f}m CPU"
    if resource.endswith(("memory", "storage")):
        if amount >= _GI:
            return f"{(amount / _GI).quantize(Decimal('0.01')).normalize():f}Gi"
        return f"{(amount / _MI).quantize(Decimal('0.01')).normalize():f}Mi"
    return f"{amount.normalize():f}"


# --- where DaemonSet pods run ---------------------------------------------------------------------


def most_nodes(pool: Pool) -> int:
    """The most nodes a pool can have (see the module's note on Karpenter pools)."""
    if pool.kind != "karpenter":
        return pool.max_size if pool.max_size is not None else pool.min_size
    types = [capacity.lookup(t) for t in pool.instance_types]
    if pool.cpu_limit is not None and types:
        return max(1, int(_quantity(pool.cpu_limit) // min(t.vcpus for t in types)))
    if pool.memory_limit is not None and types:
        return max(1, int(_quantity(pool.memory_limit) // (min(t.memory_mib for t in types) * _MI)))
    return 1


def pod_count(view: ClusterView, workload: Workload) -> int:
    """Pods of ``workload`` at its most: replicas, or for a DaemonSet the nodes it can land on."""
    if not workload.daemonset:
        return workload.most_replicas
    spec = admitted_template(view, workload).get("spec") or {}
    # The scheduler's own filters (tools.fit.scheduling): node selector, required affinity, taints.
    return sum(
        most_nodes(pool)
        for pool in view.pools
        if selector_matches(spec, node_labels(pool, view.region)) and not untolerated(spec, pool)
    )


# --- LimitRange ------------------------------------------------------------------------------------


def _shown(resource: str, amounts: Amounts) -> str:
    return format_amount(resource, amounts[resource])


def _bound_problems(
    what: str, bounds: Mapping[str, Any], requests: Amounts, limits: Amounts, range_name: str
) -> list[str]:
    """LimitRanger's ``minConstraint``/``maxConstraint``/``limitRequestRatioConstraint`` for one container or pod."""
    found = []
    of = f"of LimitRange {range_name}"
    for resource, value in (bounds.get("min") or {}).items():
        least = _quantity(value)
        if resource not in requests:
            found.append(f"{what}: no {resource} request, but LimitRange {range_name} requires at least {value}")
        elif requests[resource] < least:
            found.append(f"{what}: {resource} request {_shown(resource, requests)} is below the min {value} {of}")
        elif resource in limits and limits[resource] < least:
            found.append(f"{what}: {resource} limit {_shown(resource, limits)} is below the min {value} {of}")
    for resource, value in (bounds.get("max") or {}).items():
        most = _quantity(value)
        if resource not in limits:
            found.append(f"{what}: no {resource} limit, but LimitRange {range_name} allows at most {value}")
        elif limits[resource] > most:
            found.append(f"{what}: {resource} limit {_shown(resource, limits)} is above the max {value} {of}")
        elif resource in requests and requests[resource] > most:
            found.append(f"{what}: {resource} request {_shown(resource, requests)} is above the max {value} {of}")
    for resource, value in (bounds.get("maxLimitRequestRatio") or {}).items():
        if not requests.get(resource) or not limits.get(resource):
            found.append(
                f"{what}: LimitRange {range_name} bounds the {resource} limit/request ratio by {value}: set both"
            )
            continue
        ratio = (limits[resource] / requests[resource]).normalize()
        if ratio > _quantity(value):
            found.append(
                f"{what}: {resource} limit/request ratio {ratio:f} is above the maxLimitRequestRatio {value} {of}"
            )
    return found


def _pod_limit_problems(view: ClusterView, workload: Workload, limit_range: dict[str, Any]) -> list[Problem]:
    spec = admitted_template(view, workload).get("spec") or {}
    name = limit_range["metadata"]["name"]
    lines = []
    for item in limit_range.get("spec", {}).get("limits", []):
        if item.get("type") == "Container":
            for key in ("containers", "initContainers"):
                for container in spec.get(key) or []:
                    resources = container.get("resources") or {}
                    requests, limits = amounts(resources.get("requests")), amounts(resources.get("limits"))
                    lines += _bound_problems(f"container {container.get('name')}", item, requests, limits, name)
        elif item.get("type") == "Pod":
            lines += _bound_problems("pod", item, pod_resources(spec, "requests"), pod_resources(spec, "limits"), name)
    return [view.problem(workload.namespace, workload.ref, "limit-range", line) for line in lines]


def _claim_limit_problems(view: ClusterView, claim: Claim, limit_range: dict[str, Any]) -> list[Problem]:
    """``PersistentVolumeClaimValidateLimitFunc``: the claim's storage request within min and max."""
    name, size = limit_range["metadata"]["name"], _quantity(claim.size)
    lines = []
    for item in limit_range.get("spec", {}).get("limits", []):
        if item.get("type") != "PersistentVolumeClaim":
            continue
        least, most = (item.get(bound, {}).get("storage") for bound in ("min", "max"))
        if least is not None and size < _quantity(least):
            lines.append(f"storage request {claim.size} is below the min {least} of LimitRange {name}")
        if most is not None and size > _quantity(most):
            lines.append(f"storage request {claim.size} is above the max {most} of LimitRange {name}")
    ref = object_ref("PersistentVolumeClaim", claim.name)
    return [view.problem(claim.namespace, ref, "limit-range", line) for line in lines]


# --- ResourceQuota ---------------------------------------------------------------------------------


def _contributor(origin: str, fallback: str) -> str:
    """Who to name for a usage: the custom resource or release that makes it, else the object itself."""
    if origin.startswith("operator "):
        return origin.rsplit("/", 1)[-1]
    if origin.startswith("chart "):
        return origin.split(" ", 1)[1]
    return fallback


class _Usage:
    """What a namespace uses, per quota resource name, and who uses it."""

    def __init__(self) -> None:
        self.by: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def add(self, resource: str, who: str, amount: Decimal) -> None:
        self.by[resource][who] += amount

    def total(self, resource: str) -> Decimal:
        return sum(self.by.get(resource, {}).values(), Decimal(0))

    def top(self, resource: str) -> str:
        ranked = sorted(self.by[resource].items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{who}: {format_amount(resource, amount)}" for who, amount in ranked[:_TOP])
        rest = len(ranked) - _TOP
        return shown + (f", {rest} more" if rest > 0 else "")


def _default_class(view: ClusterView) -> str | None:
    for storage_class in view.of_kind("StorageClass", "storage.k8s.io"):
        if (storage_class["metadata"].get("annotations") or {}).get(_DEFAULT_CLASS) == "true":
            return storage_class["metadata"]["name"]
    return None


#: Run-to-completion pods: bootstrap, backup and scan Jobs come and go, they do not all run at once.
_RUN_TO_COMPLETION = ("Job", "CronJob")


def _pod_usage(view: ClusterView, workload: Workload) -> dict[str, Decimal]:
    """What the workload's pods count against a quota: pods, and each pod's requests and limits."""
    pods = pod_count(view, workload)
    if not pods:
        return {}
    spec = admitted_template(view, workload).get("spec") or {}
    usage = {"pods": Decimal(pods)}
    for kind in ("requests", "limits"):
        for resource, amount in pod_resources(spec, kind).items():
            usage[f"{kind}.{resource}"] = amount * pods
    return usage


def _usage(view: ClusterView, namespace: str) -> _Usage:
    """The long-running pods of the namespace, plus its largest run-to-completion workload (the quota must
    admit any one of them while everything else runs), and every claim."""
    usage = _Usage()
    jobs = []
    for workload in view.workloads:
        if workload.namespace != namespace:
            continue
        amounts = _pod_usage(view, workload)
        if workload.kind in _RUN_TO_COMPLETION:
            jobs.append((workload, amounts))
            continue
        for resource, amount in amounts.items():
            usage.add(resource, _contributor(workload.origin, workload.name), amount)
    if jobs:
        largest, amounts = max(jobs, key=lambda job: (job[1].get("requests.cpu", 0), job[1].get("requests.memory", 0)))
        for resource, amount in amounts.items():
            usage.add(resource, _contributor(largest.origin, largest.name), amount)
    default = _default_class(view)
    for claim in view.all_claims():
        if claim.namespace != namespace:
            continue
        who = _contributor(claim.origin, claim.name)
        size = _quantity(claim.size)
        storage_class = claim.storage_class or default
        for prefix in ("", f"{storage_class}{_STORAGE_CLASS}" if storage_class else None):
            if prefix is not None:
                usage.add(f"{prefix}persistentvolumeclaims", who, Decimal(1))
                usage.add(f"{prefix}requests.storage", who, size)
    return usage


#: Quota names that count the same usage as another (``cpu`` is ``requests.cpu``).
_ALIASES = {
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "count/pods": "pods",
    "count/persistentvolumeclaims": "persistentvolumeclaims",
}


def _quota_why(resource: str, used: Decimal, hard: str, usage: _Usage, counted: str) -> str:
    if counted.endswith("persistentvolumeclaims"):
        noun = "PersistentVolumeClaims"
        prefix = counted.removesuffix("persistentvolumeclaims")
        what = f"{used.normalize():f} {prefix.split('.', 1)[0] + ' ' if prefix else ''}{noun}"
        return f"{what} ({usage.top(counted)}) exceed the quota's {hard}"
    if counted == "pods":
        return f"{used.normalize():f} pods ({usage.top(counted)}) exceed the quota's {hard}"
    return f"{resource} {format_amount(counted, used)} ({usage.top(counted)}) exceeds the quota's {hard}"


def _quota_problems(view: ClusterView, quota: dict[str, Any], usage: _Usage) -> list[Problem]:
    namespace = quota["metadata"].get("namespace")
    ref = object_ref("ResourceQuota", quota["metadata"]["name"])
    problems = []
    for resource, hard in sorted((quota.get("spec", {}).get("hard") or {}).items()):
        counted = _ALIASES.get(resource, resource)
        if counted not in usage.by:
            continue
        used = usage.total(counted)
        if used > _quantity(hard):
            problems.append(
                view.problem(namespace, ref, "quota", _quota_why(resource, used, str(hard), usage, counted))
            )
    return problems


def _unstated(view: ClusterView, workload: Workload, quota: dict[str, Any]) -> list[Problem]:
    hard = quota.get("spec", {}).get("hard") or {}
    required = {_MUST_STATE[r] for r in hard if r in _MUST_STATE}
    spec = admitted_template(view, workload).get("spec") or {}
    problems = []
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            resources = container.get("resources") or {}
            missing = sorted(f"{kind}.{name}" for kind, name in required if name not in (resources.get(kind) or {}))
            if missing:
                why = (
                    f"container {container.get('name')} sets no {', '.join(missing)} and no LimitRange gives a "
                    f"default: ResourceQuota {quota['metadata']['name']} counts it, so the API server refuses the pod"
                )
                problems.append(view.problem(workload.namespace, workload.ref, "quota", why))
    return problems


def check(view: ClusterView) -> list[Problem]:
    """Every container, pod and claim outside its LimitRange, and every quota its namespace exceeds."""
    problems: list[Problem] = []
    for limit_range in view.of_kind("LimitRange", ""):
        namespace = limit_range["metadata"].get("namespace")
        for workload in view.workloads:
            if workload.namespace == namespace:
                problems.extend(_pod_limit_problems(view, workload, limit_range))
        for claim in view.all_claims():
            if claim.namespace == namespace:
                problems.extend(_claim_limit_problems(view, claim, limit_range))
    usages: dict[str, _Usage] = {}
    for quota in view.of_kind("ResourceQuota", ""):
        spec = quota.get("spec", {})
        if spec.get("scopes") or spec.get("scopeSelector"):
            continue
        namespace = quota["metadata"].get("namespace", "default")
        if namespace not in usages:
            usages[namespace] = _usage(view, namespace)
        problems.extend(_quota_problems(view, quota, usages[namespace]))
        for workload in view.workloads:
            if workload.namespace == namespace and pod_count(view, workload):
                problems.extend(_unstated(view, workload, quota))
    return problems

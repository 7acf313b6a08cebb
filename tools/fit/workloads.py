"""The pods and claims core objects cause: controllers, bare pods, claims, autoscalers.

A Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or bare Pod becomes one :class:`Workload`
with its pod template as the API server receives it; a CronJob's pods are those of its
``jobTemplate``. A StatefulSet's ``volumeClaimTemplates`` become per-replica claim templates; a
standalone PersistentVolumeClaim becomes a :class:`Claim`. An ``autoscaling/v2``
HorizontalPodAutoscaler raises its target's ``max_replicas`` to its ``maxReplicas``.
"""

from __future__ import annotations

from typing import Any

from tools.fit.model import POD_CONTROLLERS, Claim, Workload

#: What the API server writes into an absent ``spec.replicas`` (apps/v1 defaults) and a Job's ``parallelism``.
DEFAULT_REPLICAS = 1


def namespace_of(obj: dict[str, Any]) -> str:
    """Where a namespaced object lives: its namespace, or ``default`` as the API server assumes."""
    return obj.get("metadata", {}).get("namespace") or "default"


def claim_of(template: dict[str, Any], namespace: str, origin: str, name: str | None = None) -> Claim:
    """A claim (template) from a PersistentVolumeClaim's ``metadata`` and ``spec``."""
    spec = template.get("spec", {}) or {}
    return Claim(
        namespace=namespace,
        name=name or template.get("metadata", {}).get("name", ""),
        size=str(((spec.get("resources") or {}).get("requests") or {}).get("storage", "")),
        storage_class=spec.get("storageClassName"),
        access_modes=tuple(spec.get("accessModes") or ("ReadWriteOnce",)),
        origin=origin,
    )


def origin_of(obj: dict[str, Any]) -> str:
    """Who sends the object: ``chart <release>`` for what Helm labels as its own, else ``manifest``."""
    labels = obj.get("metadata", {}).get("labels") or {}
    if labels.get("app.kubernetes.io/managed-by") == "Helm" or "helm.sh/chart" in labels:
        return f"chart {labels.get('app.kubernetes.io/instance') or labels.get('release', '?')}"
    return "manifest"


def _replicas(kind: str, spec: dict[str, Any]) -> int:
    if kind == "DaemonSet":
        return 1  # pods per node
    if kind == "Job":
        return int(spec.get("parallelism", DEFAULT_REPLICAS))
    return int(spec.get("replicas", DEFAULT_REPLICAS))


def _controller(obj: dict[str, Any]) -> Workload:
    kind, spec, namespace, origin = obj["kind"], obj.get("spec", {}), namespace_of(obj), origin_of(obj)
    # A CronJob's pods are its jobTemplate's; each run is one Job.
    pods = spec.get("jobTemplate", {}).get("spec", {}) if kind == "CronJob" else spec
    return Workload(
        kind=kind,
        namespace=namespace,
        name=obj["metadata"]["name"],
        template=pods.get("template", {}),
        replicas=_replicas("Job" if kind == "CronJob" else kind, pods),
        claim_templates=tuple(claim_of(t, namespace, origin) for t in spec.get("volumeClaimTemplates", []) or []),
        origin=origin,
    )


def _bare_pod(obj: dict[str, Any]) -> Workload:
    meta = obj["metadata"]
    return Workload(
        kind="Pod",
        namespace=namespace_of(obj),
        name=meta["name"],
        template={"metadata": {"labels": dict(meta.get("labels") or {})}, "spec": obj.get("spec", {})},
        origin=origin_of(obj),
    )


def _apply_autoscalers(objects: list[dict[str, Any]], workloads: list[Workload]) -> None:
    by_ref = {(w.namespace, w.kind, w.name): w for w in workloads}
    for hpa in objects:
        if hpa.get("kind") != "HorizontalPodAutoscaler" or hpa.get("apiVersion") != "autoscaling/v2":
            continue
        target = hpa["spec"]["scaleTargetRef"]
        workload = by_ref.get((namespace_of(hpa), target["kind"], target["name"]))
        if workload is not None:
            workload.max_replicas = int(hpa["spec"]["maxReplicas"])


def _test_hook(obj: dict[str, Any]) -> bool:
    """A chart's test hook: Helm creates it only on ``helm test``, never on install."""
    hooks = (obj.get("metadata", {}).get("annotations") or {}).get("helm.sh/hook", "")
    return any(h.strip().startswith("test") for h in hooks.split(","))


def workloads_of(objects: list[dict[str, Any]]) -> tuple[list[Workload], list[Claim]]:
    """Every core controller's and bare pod's pods, and every standalone claim, among ``objects``."""
    workloads: list[Workload] = []
    claims: list[Claim] = []
    for obj in objects:
        if _test_hook(obj):
            continue
        kind, group = obj.get("kind"), obj.get("apiVersion", "").rpartition("/")[0]
        if kind in (*POD_CONTROLLERS, "CronJob") and group in ("apps", "batch", ""):
            workloads.append(_controller(obj))
        elif kind == "Pod" and group == "":
            workloads.append(_bare_pod(obj))
        elif kind == "PersistentVolumeClaim" and group == "":
            claims.append(claim_of(obj, namespace_of(obj), origin_of(obj)))
    _apply_autoscalers(objects, workloads)
    return workloads, claims

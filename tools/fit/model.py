"""What the cluster-fit rules read: workloads, claims, pools, and one view per cluster.

Plain data, no cdktf. Builders (:mod:`tools.fit.view`, :mod:`tools.fit.render`,
:mod:`tools.fit.operators`) fill a :class:`ClusterView`; each rule module is a function
``check(view) -> list[Problem]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.fit.control_plane import ControlPlaneReach

#: Pod controllers whose ``spec.template`` is a pod template.
POD_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing the cluster would refuse or could not run, as one line.

    :param namespace: the object's namespace; ``-`` for cluster-scoped objects.
    :param obj: ``<kind>/<name>`` with the kind in lower case (``statefulset/redis-leader``).
    :param rule: which check: admission, pod-security, quota, limit-range, scheduling, capacity,
        volume, network, webhook, gateway, chart-schema, chart-render, api-server, object-schema,
        unread-value.
    """

    env: str
    region: str
    namespace: str
    obj: str
    rule: str
    why: str

    def line(self) -> str:
        return f"{self.env}/{self.region}: {self.namespace}/{self.obj}: {self.rule}: {self.why}"


def object_ref(kind: str, name: str) -> str:
    """``<kind>/<name>``, the object part of a problem line."""
    return f"{kind.lower()}/{name}"


@dataclass(frozen=True)
class Claim:
    """A PersistentVolumeClaim that will exist (written by us, or created by a StatefulSet or an operator).

    :param size: the requested storage as Kubernetes writes it (``10Gi``).
    :param storage_class: its class; None means the cluster's default class.
    :param origin: who makes it (``manifest``, ``chart <release>``, ``operator <Kind> <ns>/<name>``).
    """

    namespace: str
    name: str
    size: str
    storage_class: str | None
    access_modes: tuple[str, ...] = ("ReadWriteOnce",)
    origin: str = "manifest"


@dataclass
class Workload:
    """Pods of one controller as the API server will receive them.

    :param kind / namespace / name: the controller (``StatefulSet``, ``Deployment``, ``DaemonSet``,
        ``Job``, ``Pod``, …) or, for operator-made pods, the object the operator creates.
    :param template: the pod template (``{"metadata": {...}, "spec": {...}}``) before admission
        (no LimitRange defaults, no sidecar injection: the rules apply those).
    :param replicas: pods at the desired size; for a DaemonSet, pods per node (1).
    :param max_replicas: the most pods it can scale to (an HPA's ``maxReplicas``), else ``replicas``.
    :param claim_templates: claims made per replica (a StatefulSet's ``volumeClaimTemplates``).
    :param origin: who makes the pods (``manifest``, ``chart <release>``, ``operator <Kind> <ns>/<name>``).
    """

    kind: str
    namespace: str
    name: str
    template: dict[str, Any]
    replicas: int = 1
    max_replicas: int | None = None
    claim_templates: tuple[Claim, ...] = ()
    origin: str = "manifest"

    @property
    def daemonset(self) -> bool:
        return self.kind == "DaemonSet"

    @property
    def pod_spec(self) -> dict[str, Any]:
        return self.template.get("spec", {})

    @property
    def pod_labels(self) -> dict[str, str]:
        return dict(self.template.get("metadata", {}).get("labels", {}) or {})

    @property
    def ref(self) -> str:
        return object_ref(self.kind, self.name)

    @property
    def most_replicas(self) -> int:
        return max(self.replicas, self.max_replicas or 0)

    def containers(self, *, init: bool = True) -> Iterator[dict[str, Any]]:
        """Containers, then (with ``init``) init containers, of the pod template."""
        yield from self.pod_spec.get("containers", []) or []
        if init:
            yield from self.pod_spec.get("initContainers", []) or []

    def claims(self) -> list[Claim]:
        """The claims its replicas make: ``<template>-<name>-<ordinal>`` like a StatefulSet, or, for a template
        named with ``{pod}``, after the pod itself (operators that make bare pods name claims that way)."""
        return [
            Claim(t.namespace, self._claim_name(t.name, i), t.size, t.storage_class, t.access_modes, self.origin)
            for i in range(self.most_replicas)
            for t in self.claim_templates
        ]

    def _claim_name(self, template: str, ordinal: int) -> str:
        if "{pod}" in template:
            return template.format(pod=self.name)
        return f"{template}-{self.name}-{ordinal}"


@dataclass(frozen=True)
class Pool:
    """Nodes pods can land on: a managed node group, or a Karpenter NodePool.

    :param labels / taints: what every node of the pool carries (taints as ``{key, value, effect}``
        with Kubernetes effect names).
    :param instance_types: the types its nodes may be; a managed group of several is sized by its smallest.
    :param min_size / max_size: nodes (managed group); a Karpenter pool has none and is bound by
        ``cpu_limit`` / ``memory_limit`` instead.
    :param max_pods: the kubelet's maxPods, which EKS uses to reserve memory for the kubelet.
    :param label_choices: label -> the values a node of the pool may carry, one of them per node (the
        zone of its subnet, the instance type it was launched as, a Karpenter requirement with several
        values). Labels in ``labels`` are on every node with that one value.
    """

    name: str
    kind: str  # "node-group" or "karpenter"
    labels: Mapping[str, str]
    taints: tuple[Mapping[str, str], ...]
    instance_types: tuple[str, ...]
    max_pods: int
    min_size: int = 0
    max_size: int | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None
    subnet_tier: str = "private"
    label_choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class ClusterView:
    """Everything one region's cluster will hold, for the rules to read.

    :param objects: every object that reaches the API server: our manifests, our custom resources,
        and what the charts render (templates and their CRDs).
    :param workloads: every controller's pods (charts' and operators' included).
    :param claims: standalone claims (written or rendered as PersistentVolumeClaim); claims that
        workloads make are :meth:`all_claims`.
    :param pools: node groups and Karpenter pools.
    :param chart_values: release name -> the values it is installed with (after Helm's merge), for
        rules that read how a chart is configured (Istio's sidecar resources, …).
    :param control_plane: what the EKS control plane can reach through the infrastructure stack's security
        groups (admission webhooks); None where the view has no cluster to read it from.
    :param problems: what building the view already found (rendering, chart schemas, API rules).
    """

    env: str
    region: str
    kubernetes_version: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    chart_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    control_plane: ControlPlaneReach | None = None
    problems: list[Problem] = field(default_factory=list)

    def problem(self, namespace: str | None, obj: str, rule: str, why: str) -> Problem:
        return Problem(self.env, self.region, namespace or "-", obj, rule, why)

    def of_kind(self, kind: str, api_group: str | None = None) -> list[dict[str, Any]]:
        """Objects of ``kind`` (and, if given, of that API group: ``""`` is the core group)."""
        found = []
        for obj in self.objects:
            if obj.get("kind") != kind:
                continue
            if api_group is not None:
                group = obj.get("apiVersion", "").rpartition("/")[0]
                if group != api_group:
                    continue
            found.append(obj)
        return found

    def namespaces(self) -> dict[str, dict[str, str]]:
        """Namespace name -> its labels (``kubernetes.io/metadata.name`` included, as the API server sets it)."""
        found = {}
        for obj in self.of_kind("Namespace", ""):
            name = obj["metadata"]["name"]
            found[name] = {**(obj["metadata"].get("labels") or {}), "kubernetes.io/metadata.name": name}
        return found

    def all_claims(self) -> list[Claim]:
        return [*self.claims, *(c for w in self.workloads for c in w.claims())]

"""A namespace's ResourceQuota and per-container LimitRange (spec §3.2, §12.2).

The quota caps what the namespace may request and use in total; the limit range bounds each
container and gives containers that state nothing a request and a limit. Both go together: once
a quota covers cpu and memory the API server rejects pods without requests and limits, and the
limit range's defaults are what lets such pods in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.kube import Dependencies, kube_object
from tonebridge.props.namespaces import LimitRangeSettings, ResourceQuotaSettings
from tonebridge.quantities import ordering_problems, quantity_problem

#: LimitRange bounds in the order they must hold: each at most the next.
LIMIT_ORDER = ("min", "defaultRequest", "default", "max")
_RESOURCES = ("cpu", "memory")
#: ResourceQuota ``spec.hard`` keys and the quota settings' fields they come from (spec §3.2, §12.2).
QUOTA_FIELDS = {
    "requests.cpu": "requests_cpu",
    "requests.memory": "requests_memory",
    "limits.cpu": "limits_cpu",
    "limits.memory": "limits_memory",
    "persistentvolumeclaims": "persistentvolumeclaims",
}
#: LimitRange bounds and the limit range settings' fields they come from.
LIMIT_FIELDS = {"max": "max", "min": "min", "default": "default", "defaultRequest": "default_request"}


def _check_amounts(owner: str, amounts: Mapping[str, str]) -> None:
    for key, value in amounts.items():
        problem = quantity_problem(value)
        if problem:
            raise ValueError(f"{owner}: {key}: {problem}")


@dataclass(frozen=True)
class ResourceLimitsProps:
    """:param namespace: the namespace both objects live in.
    :param quota_hard: ResourceQuota ``spec.hard`` (``requests.cpu``, ``limits.memory``,
        ``persistentvolumeclaims``, ...); empty for no quota.
    :param quota_name: the ResourceQuota's name.
    :param container_limits: LimitRange bounds of type Container: ``min``, ``defaultRequest``,
        ``default``, ``max``, each ``{"cpu": ..., "memory": ...}``; empty for no limit range.
        Each bound must be at most the next (``min ≤ defaultRequest ≤ default ≤ max``).
    :param limit_range_name: the LimitRange's name.
    """

    namespace: str
    quota_hard: Mapping[str, str] = field(default_factory=dict)
    quota_name: str = "quota"
    container_limits: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    limit_range_name: str = "resource-limits"

    @classmethod
    def of(
        cls, namespace: str, quota: ResourceQuotaSettings | None, limit_range: LimitRangeSettings | None
    ) -> ResourceLimitsProps:
        """The props of a namespace's configured quota and limit range (either may be absent)."""
        hard: dict[str, str] = {}
        if quota:
            hard = {key: str(getattr(quota, attr)) for key, attr in QUOTA_FIELDS.items()}
        limits: dict[str, dict[str, str]] = {}
        if limit_range:
            limits = {bound: getattr(limit_range, attr).model_dump() for bound, attr in LIMIT_FIELDS.items()}
        return cls(
            namespace=namespace,
            quota_hard=hard,
            quota_name=quota.name if quota else "quota",
            container_limits=limits,
            limit_range_name=limit_range.name if limit_range else "resource-limits",
        )

    def __post_init__(self) -> None:
        if not self.namespace:
            raise ValueError("namespace is required")
        if not self.quota_hard and not self.container_limits:
            raise ValueError(f"{self.namespace}: quota_hard or container_limits is required")
        _check_amounts(f"{self.namespace} quota_hard", self.quota_hard)
        unknown = set(self.container_limits) - set(LIMIT_ORDER)
        if unknown:
            raise ValueError(f"{self.namespace} container_limits: unknown bounds {sorted(unknown)}")
        for bound, amounts in self.container_limits.items():
            _check_amounts(f"{self.namespace} container_limits.{bound}", amounts)
        for resource in _RESOURCES:
            values = {bound: amounts.get(resource) for bound, amounts in self.container_limits.items()}
            for bound, reason in ordering_problems(values, LIMIT_ORDER):
                raise ValueError(f"{self.namespace} container_limits.{bound}.{resource}: {reason}")


class ResourceLimits(Construct):
    """Attributes: ``quota`` and ``limit_range`` (kubernetes_manifest resources, or None)."""

    def __init__(
        self, scope: Construct, id_: str, props: ResourceLimitsProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, id_)
        self.quota: Manifest | None = None
        self.limit_range: Manifest | None = None
        metadata = {"namespace": props.namespace}
        if props.quota_hard:
            self.quota = kube_object(
                self,
                {
                    "apiVersion": "v1",
                    "kind": "ResourceQuota",
                    "metadata": {**metadata, "name": props.quota_name},
                    "spec": {"hard": dict(props.quota_hard)},
                },
                depends_on=depends_on,
                construct_id="quota",
            )
        if props.container_limits:
            given = props.container_limits
            limits = {bound: dict(given[bound]) for bound in LIMIT_ORDER if bound in given}
            self.limit_range = kube_object(
                self,
                {
                    "apiVersion": "v1",
                    "kind": "LimitRange",
                    "metadata": {**metadata, "name": props.limit_range_name},
                    "spec": {"limits": [{"type": "Container", **limits}]},
                },
                depends_on=depends_on,
                construct_id="limit-range",
            )

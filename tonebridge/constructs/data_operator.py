"""The shape the data tier's operators share (CloudNativePG, the OT redis-operator): a pinned Helm chart
released into a ``restricted`` namespace of its own, with replicas (leader election), placement and
resources. Each operator's module sets its own defaults, release name and chart values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from constructs import Construct

from tonebridge.charts import HelmChart
from tonebridge.constructs.kube import ChartReleaseProps
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import check_replicas
from tonebridge.props.pools import SYSTEM_POOL, Toleration


@dataclass(frozen=True)
class DataOperatorProps:
    """A data-tier operator.

    :param kubernetes_version: the cluster's ``1.NN`` (pod security profile version).
    :param namespace: its own namespace, created here with ``restricted`` pod security.
    :param replicas: operator replicas (leader election; 2 so that a node drain never stops it).
    :param chart: the pinned chart.
    :param node_selector / tolerations: the system pool by default.
    :param resources: the operator container's requests and limits.
    """

    #: What the replica check calls it ("cnpg operator").
    what: ClassVar[str] = "operator"

    kubernetes_version: str
    namespace: str
    chart: HelmChart
    resources: Mapping[str, Mapping[str, str]]
    replicas: int = 2
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(SYSTEM_POOL[0]))
    tolerations: Sequence[Toleration] = SYSTEM_POOL[1]

    def __post_init__(self) -> None:
        check_replicas(self.what, self.replicas)

    def placement(self) -> dict[str, Any]:
        """The chart values every operator chart names alike: resources, node selector, tolerations."""
        return {
            "resources": {k: dict(v) for k, v in self.resources.items()},
            "nodeSelector": dict(self.node_selector),
            "tolerations": [t.manifest() for t in self.tolerations],
        }


class DataOperator(Construct):
    """Namespace (restricted) and the operator's Helm release. Attributes: ``namespace``, ``release``."""

    #: The Helm release's name, and the function that renders the chart's values from the props.
    release_name: ClassVar[str]
    values: ClassVar[Callable[[Any], dict[str, Any]]]

    def __init__(self, scope: Construct, construct_id: str, props: DataOperatorProps) -> None:
        super().__init__(scope, construct_id)
        release = ChartReleaseProps(
            release_name=self.release_name,
            chart=props.chart,
            namespace=props.namespace,
            values=type(self).values(props),
        )
        self.namespace, self.release = namespaced_release(self, "operator", release, props.kubernetes_version)

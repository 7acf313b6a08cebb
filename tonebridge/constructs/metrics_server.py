"""metrics-server: the resource metrics API (``metrics.k8s.io``) that HorizontalPodAutoscalers and
``kubectl top`` read. Two replicas with a PodDisruptionBudget, because HPAs stop scaling while
the API is down."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.charts import METRICS_SERVER
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, Dependencies
from tonebridge.constructs.pod_defaults import disruption_budget, restricted_container_context
from tonebridge.props.autoscaling import MetricsServerSettings


@dataclass(frozen=True)
class MetricsServerProps:
    """:param settings: the configured replicas (default 2, 1-5 checked by the settings model; with more
        than one, a PodDisruptionBudget keeps one running); ``enabled`` is the stack's choice whether to
        add it at all.
    :param namespace: default kube-system.
    :param node_selector, tolerations: placement (default none).
    :param resources: default 100m/200Mi requested (the chart's), 400Mi limit.
    """

    settings: MetricsServerSettings = field(default_factory=MetricsServerSettings)
    namespace: str = "kube-system"
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}}
    )


def metrics_server_values(props: MetricsServerProps) -> dict[str, Any]:
    replicas = props.settings.replicas
    values: dict[str, Any] = {
        "replicas": replicas,
        "podDisruptionBudget": disruption_budget(replicas, minAvailable=1),
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": dict(props.node_selector),
        "tolerations": [dict(t) for t in props.tolerations],
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {**restricted_container_context(), "runAsUser": 1000},
        "resources": {k: dict(v) for k, v in props.resources.items()},
    }
    if replicas > 1:
        # One replica per node, so that a node drain never takes the API away.
        values["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "metrics-server"}},
                    }
                ]
            }
        }
    return values


class MetricsServer(Construct):
    """Attributes: ``release`` (ChartRelease), ``values``."""

    def __init__(self, scope: Construct, id_: str, props: MetricsServerProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.values = metrics_server_values(props)
        self.release = ChartRelease(
            self,
            "chart",
            ChartReleaseProps(
                release_name="metrics-server", chart=METRICS_SERVER, namespace=props.namespace, values=self.values
            ),
            depends_on=depends_on,
        )

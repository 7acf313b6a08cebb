"""The cluster autoscaler (spec §10.1) from the kubernetes/autoscaler chart.

It scales the managed node groups, which it finds by the tags TonebridgeCluster puts on them
(``k8s.io/cluster-autoscaler/enabled`` and ``k8s.io/cluster-autoscaler/<cluster>``), and it takes
AWS credentials from its IRSA role only. The image is the one for the cluster's minor version: the
autoscaler embeds the scheduler of that version and simulates it. k8s.gcr.io is frozen, so the
image comes from registry.k8s.io.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.charts import CLUSTER_AUTOSCALER
from tonebridge.constructs.kube import Dependencies, chart_release
from tonebridge.constructs.pod_defaults import check_replicas, restricted_container_context
from tonebridge.props.autoscaling import ClusterAutoscalerSettings

IMAGE_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
#: Flags the construct sets from typed props; ``extra_args`` may not override them.
OWN_FLAGS = ("expander", "cloud-provider", "node-group-auto-discovery", "v", "stderrthreshold")
_MINOR_RE = re.compile(r"^1\.\d{1,2}$")
_FLAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(_[0-9]+)?$")


@dataclass(frozen=True)
class ClusterAutoscalerProps:
    """Props of :class:`ClusterAutoscaler`.

    :param cluster_name: the EKS cluster; discovery tags name it (required).
    :param region: AWS region of the cluster's Auto Scaling groups (required).
    :param kubernetes_version: the cluster's ``1.NN`` (required).
    :param role_arn: IRSA role the service account is annotated with (required).
    :param namespace, service_account: where it runs; the IRSA role trusts exactly this pair
        (default kube-system / cluster-autoscaler).
    :param settings: the configured image version, expander, flags and replicas
        (:class:`~tonebridge.props.autoscaling.ClusterAutoscalerSettings`, default spec §10.1); the
        image's minor must equal ``kubernetes_version``. Two replicas: one leads, one stands by.
    :param node_selector, tolerations: placement (default: anywhere, no tolerations).
    :param resources: requests and limits (default 100m/300Mi requested, 600Mi limit).
    """

    cluster_name: str
    region: str
    kubernetes_version: str
    role_arn: str
    settings: ClusterAutoscalerSettings = field(default_factory=ClusterAutoscalerSettings)
    namespace: str = "kube-system"
    service_account: str = "cluster-autoscaler"
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}}
    )

    def __post_init__(self) -> None:
        # The image version's form and the expander are the settings' field types; what is left is
        # the wiring, and the settings against it.
        settings = self.settings
        if not self.cluster_name:
            raise ValueError("cluster_autoscaler: cluster_name is required")
        if not _MINOR_RE.match(self.kubernetes_version):
            raise ValueError(f"cluster_autoscaler: kubernetes_version {self.kubernetes_version!r} must look like 1.NN")
        if settings.image_version.rsplit(".", 1)[0] != self.kubernetes_version:
            raise ValueError(
                f"cluster_autoscaler: image_version {settings.image_version} must have the cluster's minor "
                f"{self.kubernetes_version}"
            )
        check_replicas("cluster_autoscaler", settings.replicas)
        for flag in settings.extra_args:
            if not _FLAG_RE.match(flag):
                raise ValueError(f"cluster_autoscaler: extra_args {flag!r} must be a flag name without dashes")
            if flag in OWN_FLAGS:
                raise ValueError(f"cluster_autoscaler: extra_args {flag!r} is set by a field of its own")

    @property
    def image_tag(self) -> str:
        return f"v{self.settings.image_version}"


def cluster_autoscaler_values(props: ClusterAutoscalerProps) -> dict[str, Any]:
    """Chart values; the chart renders ``--node-group-auto-discovery=asg:tag=<tags>`` from ``autoDiscovery``."""
    settings = props.settings
    return {
        # The Deployment keeps the spec's name (the chart's default is <release>-aws-cluster-autoscaler).
        "fullnameOverride": "cluster-autoscaler",
        "cloudProvider": "aws",
        "awsRegion": props.region,
        "autoDiscovery": {
            "clusterName": props.cluster_name,
            "tags": ["k8s.io/cluster-autoscaler/enabled", f"k8s.io/cluster-autoscaler/{props.cluster_name}"],
        },
        "image": {"repository": IMAGE_REPOSITORY, "tag": props.image_tag},
        "extraArgs": {
            "v": settings.verbosity,
            "stderrthreshold": "info",
            "expander": settings.expander,
            "skip-nodes-with-local-storage": settings.skip_nodes_with_local_storage,
            "balance-similar-node-groups": settings.balance_similar_node_groups,
            **settings.extra_args,
        },
        "rbac": {
            "create": True,
            "serviceAccount": {
                "create": True,
                "name": props.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": props.role_arn},
            },
        },
        "replicaCount": settings.replicas,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": dict(props.node_selector),
        "tolerations": [dict(t) for t in props.tolerations],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": restricted_container_context(),
        "resources": {k: dict(v) for k, v in props.resources.items()},
    }


class ClusterAutoscaler(Construct):
    """The autoscaler's Helm release. Attributes: ``release`` (ChartRelease), ``values``."""

    def __init__(
        self, scope: Construct, construct_id: str, props: ClusterAutoscalerProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.values = cluster_autoscaler_values(props)
        chart = ("cluster-autoscaler", CLUSTER_AUTOSCALER, props.namespace)
        self.release = chart_release(self, "chart", chart, self.values, depends_on=depends_on)

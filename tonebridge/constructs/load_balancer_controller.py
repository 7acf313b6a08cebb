"""AWS Load Balancer Controller from its Helm chart: registers pods in target groups (TargetGroupBinding)
and turns Ingresses of class ``alb`` into ALBs.

Its IRSA role (least privilege, resources tagged for this cluster only) is made with the cluster
in the infrastructure stack; this release only names it on the service account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.charts import AWS_LOAD_BALANCER_CONTROLLER
from tonebridge.constructs.kube import Dependencies, chart_release
from tonebridge.constructs.pod_defaults import restricted_container_context, restricted_pod_context

INGRESS_CLASS = "alb"
_SA_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class LoadBalancerControllerProps:
    """Props of :class:`LoadBalancerController`.

    cluster_name, region, vpc_id: where the controller makes load balancers (tokens allowed).
    role_arn: its IRSA role, trusting exactly ``<namespace>/<service_account>``.
    replicas: at least 2 in production; a PodDisruptionBudget keeps one up from 2 on.
    node_selector, tolerations: the system pool.
    resources: container requests/limits.
    """

    cluster_name: str
    region: str
    vpc_id: str
    role_arn: str
    namespace: str = "kube-system"
    service_account: str = "aws-load-balancer-controller"
    replicas: int = 2
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    resources: Mapping[str, Any] = field(
        default_factory=lambda: {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        }
    )

    def __post_init__(self) -> None:
        if not self.cluster_name or not self.region or not self.vpc_id:
            raise ValueError("cluster_name, region and vpc_id are required")
        if not self.role_arn:
            raise ValueError("role_arn: the controller needs its IRSA role")
        if not _SA_RE.match(self.service_account):
            raise ValueError(f"service_account {self.service_account!r} is not a service account name")
        if self.replicas < 1:
            raise ValueError("replicas must be at least 1")
        if "requests" not in self.resources:
            raise ValueError("resources: requests are required")


class LoadBalancerController(Construct):
    """Attributes: ``release`` (for ``depends_on`` of Ingresses), ``ingress_class``."""

    def __init__(
        self, scope: Construct, id_: str, props: LoadBalancerControllerProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, id_)
        self.ingress_class = INGRESS_CLASS
        values: dict[str, Any] = {
            "clusterName": props.cluster_name,
            "region": props.region,
            "vpcId": props.vpc_id,
            "replicaCount": props.replicas,
            "serviceAccount": {
                "create": True,
                "name": props.service_account,
                "annotations": {"eks.amazonaws.com/role-arn": props.role_arn},
            },
            "ingressClass": INGRESS_CLASS,
            "createIngressClassResource": True,
            "defaultTargetType": "ip",
            "resources": dict(props.resources),
            "nodeSelector": dict(props.node_selector),
            "tolerations": list(props.tolerations),
            "priorityClassName": "system-cluster-critical",
            "podSecurityContext": restricted_pod_context(fsGroup=65534),
            "securityContext": restricted_container_context(),
            # Only Ingresses of class alb (and Services that ask for it) get load balancers.
            "enableServiceMutatorWebhook": False,
        }
        if props.replicas > 1:
            values["podDisruptionBudget"] = {"maxUnavailable": 1}
        chart = ("aws-load-balancer-controller", AWS_LOAD_BALANCER_CONTROLLER, props.namespace)
        self.release = chart_release(self, "release", chart, values, depends_on=depends_on).release

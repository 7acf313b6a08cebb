"""TargetGroupBindings: the Istio gateway's pods behind the Terraform-owned ALB (spec §2.2).

The ALB, its target groups and security group rules live in the infrastructure stack
(:mod:`tonebridge.constructs.edge_load_balancer`); the AWS Load Balancer Controller only keeps the
target groups' pod IPs current. ``networking`` is left out on purpose: Terraform already admits the
ALB's security group on the gateway's ports, so the controller changes no security group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from tonebridge.constructs.istio import GATEWAY_STATUS_PORT
from tonebridge.constructs.kube import CustomResources, Dependencies
from tonebridge.kubeapi import DNS_LABEL

#: The controller's stable TargetGroupBinding API.
TARGET_GROUP_BINDING_API = "elbv2.k8s.aws/v1beta1"


@dataclass(frozen=True)
class EdgeBindingProps:
    """Props of :class:`EdgeBinding`.

    namespace, service: the Istio gateway's namespace and Service.
    gateway_target_group_arn, status_target_group_arn: from the infrastructure stack (tokens).
    service_port: the Service's HTTP port (the gateway target group's).
    """

    namespace: str
    service: str
    gateway_target_group_arn: str
    status_target_group_arn: str
    service_port: int = 80

    def __post_init__(self) -> None:
        for name in ("namespace", "service"):
            if not DNS_LABEL.match(getattr(self, name)):
                raise ValueError(f"{name} {getattr(self, name)!r} is not a DNS label")
        if not self.gateway_target_group_arn or not self.status_target_group_arn:
            raise ValueError("both target group ARNs are required")


def target_group_binding(name: str, props: EdgeBindingProps, arn: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": TARGET_GROUP_BINDING_API,
        "kind": "TargetGroupBinding",
        "metadata": {"name": name, "namespace": props.namespace},
        "spec": {"serviceRef": {"name": props.service, "port": port}, "targetGroupARN": arn, "targetType": "ip"},
    }


class EdgeBinding(Construct):
    """Two bindings: ``edge-gateway`` (traffic) and ``edge-status`` (readiness, for Route53's checks).

    Give ``depends_on`` the controller's release (it installs the CRD). Attributes: ``resources``.
    """

    def __init__(self, scope: Construct, id_: str, props: EdgeBindingProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.resources = CustomResources(
            self,
            "bindings",
            release_name="edge-target-groups",
            namespace=props.namespace,
            objects=[
                target_group_binding("edge-gateway", props, props.gateway_target_group_arn, props.service_port),
                target_group_binding("edge-status", props, props.status_target_group_arn, GATEWAY_STATUS_PORT),
            ],
            depends_on=depends_on,
        )

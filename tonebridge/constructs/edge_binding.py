"""The Istio gateway's pods behind the Terraform-owned ALB (spec §2.2): its ``Gateway`` and TargetGroupBindings.

The ALB, its target groups and security group rules live in the infrastructure stack
(:mod:`tonebridge.constructs.edge_load_balancer`); the AWS Load Balancer Controller only keeps the
target groups' pod IPs current. ``networking`` is left out on purpose: Terraform already admits the
ALB's security group on the gateway's ports, so the controller changes no security group.

The gateway chart deploys Envoy and its Service only: without a ``networking.istio.io`` ``Gateway``
selecting its pods, istiod gives them no listener, the ALB's connections to port 80 are refused, and the
readiness port (15021) stays green all the same. So the same release renders the ``Gateway`` ``edge``:
plain HTTP on the port the traffic target group uses, for the hosts the ALB forwards. The applications'
VirtualServices (from Git, through Argo CD) bind to it as ``<namespace>/edge`` (``istio-system/edge``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.constructs.istio import GATEWAY_STATUS_PORT, NETWORKING_API
from tonebridge.constructs.kube import CustomResources, Dependencies
from tonebridge.kubeapi import DNS_LABEL

#: The controller's stable TargetGroupBinding API.
TARGET_GROUP_BINDING_API = "elbv2.k8s.aws/v1beta1"
#: The Gateway's name: VirtualServices name it ``<namespace>/edge`` in ``spec.gateways``.
EDGE_GATEWAY = "edge"


@dataclass(frozen=True)
class EdgeBindingProps:
    """Props of :class:`EdgeBinding`.

    namespace, service: the Istio gateway's namespace and Service.
    gateway_target_group_arn, status_target_group_arn: from the infrastructure stack (tokens).
    hosts: the Host headers the ALB forwards (:func:`tonebridge.features.edge_hosts.forwarded_hosts`).
    selector: the gateway pods' labels a Gateway selects (:func:`~tonebridge.constructs.istio.gateway_selector`).
    service_port: the Service's HTTP port (the gateway target group's), where the Gateway listens.
    """

    namespace: str
    service: str
    gateway_target_group_arn: str
    status_target_group_arn: str
    hosts: Sequence[str] = field(default_factory=tuple)
    selector: Mapping[str, str] = field(default_factory=dict)
    service_port: int = 80

    def __post_init__(self) -> None:
        for name in ("namespace", "service"):
            if not DNS_LABEL.match(getattr(self, name)):
                raise ValueError(f"{name} {getattr(self, name)!r} is not a DNS label")
        if not self.gateway_target_group_arn or not self.status_target_group_arn:
            raise ValueError("both target group ARNs are required")
        if not self.hosts or not self.selector:
            raise ValueError("the Gateway needs the hosts the edge forwards and the gateway pods' selector")


def target_group_binding(name: str, props: EdgeBindingProps, arn: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": TARGET_GROUP_BINDING_API,
        "kind": "TargetGroupBinding",
        "metadata": {"name": name, "namespace": props.namespace},
        "spec": {"serviceRef": {"name": props.service, "port": port}, "targetGroupARN": arn, "targetType": "ip"},
    }


def edge_gateway(props: EdgeBindingProps) -> dict[str, Any]:
    """Gateway ``edge``: the gateway pods listen on the traffic target group's port for the edge's hosts.
    Plain HTTP: TLS ends at the ALB (and CloudFront before it); the ALB reaches the pods inside the VPC."""
    return {
        "apiVersion": NETWORKING_API,
        "kind": "Gateway",
        "metadata": {"name": EDGE_GATEWAY, "namespace": props.namespace},
        "spec": {
            "selector": dict(props.selector),
            "servers": [
                {
                    "port": {"number": props.service_port, "name": "http", "protocol": "HTTP"},
                    "hosts": list(props.hosts),
                }
            ],
        },
    }


class EdgeBinding(Construct):
    """The Gateway ``edge`` and two bindings: ``edge-gateway`` (traffic) and ``edge-status`` (readiness, for
    Route53's checks).

    Give ``depends_on`` the controller's release (the TargetGroupBinding CRD), Istio's base release (the
    Gateway CRD) and the gateway's release. Attributes: ``resources``.
    """

    def __init__(self, scope: Construct, id_: str, props: EdgeBindingProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.resources = CustomResources(
            self,
            "bindings",
            release_name="edge-target-groups",
            namespace=props.namespace,
            objects=[
                edge_gateway(props),
                target_group_binding("edge-gateway", props, props.gateway_target_group_arn, props.service_port),
                target_group_binding("edge-status", props, props.status_target_group_arn, GATEWAY_STATUS_PORT),
            ],
            depends_on=depends_on,
        )

"""The mesh and the edge's way in (spec §3.3, §2.2): Istio with STRICT mutual TLS, and where the region
has a public edge, the AWS Load Balancer Controller and the binding of the Istio gateway's pods to the
infrastructure stack's ALB target groups.

:func:`add_mesh` takes Istio's settings (:mod:`tonebridge.props.istio`) and the STRICT namespaces and
their port exceptions, which the stack resolves from other parts of the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from tonebridge.constructs.edge_binding import EdgeBinding, EdgeBindingProps
from tonebridge.constructs.istio import Istio, IstioProps, MtlsPortException
from tonebridge.constructs.load_balancer_controller import LoadBalancerController, LoadBalancerControllerProps
from tonebridge.features.foundation import ClusterWiring, Foundation, Placement
from tonebridge.props.istio import IstioSettings

if TYPE_CHECKING:
    from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer


@dataclass(frozen=True)
class Mesh:
    """Istio and the edge's load balancer controller, where this region runs them (Prometheus scrapes both)."""

    istio: Istio | None
    load_balancer_controller: LoadBalancerController | None


def add_mesh(
    scope: Construct,
    settings: IstioSettings,
    base: Foundation,
    wiring: ClusterWiring,
    *,
    placement: Placement,
    strict_mtls_namespaces: Sequence[str],
    mtls_port_exceptions: Sequence[MtlsPortException],
    edge: EdgeLoadBalancer | None,
) -> Mesh:
    """Istio where enabled; with it and ``edge`` (the infrastructure stack's ALB, None where the region has
    no public edge), the load balancer controller (two replicas; Prometheus scrapes it) and the gateway's
    binding to the ALB's target groups."""
    if not settings.enabled:
        return Mesh(istio=None, load_balancer_controller=None)
    istio = Istio(
        scope,
        "istio",
        IstioProps(
            kubernetes_version=wiring.settings.version,
            settings=settings,
            **placement.props(),
            strict_mtls_namespaces=list(strict_mtls_namespaces),
            mtls_port_exceptions=list(mtls_port_exceptions),
        ),
        depends_on=base.namespace_objects(strict_mtls_namespaces),
    )
    if edge is None:
        return Mesh(istio=istio, load_balancer_controller=None)
    cluster, vpc_id = wiring.cluster, wiring.vpc.vpc_id
    role = cluster.service_account_roles["load-balancer-controller"].arn
    props = LoadBalancerControllerProps(cluster.name, wiring.region, vpc_id, role, replicas=2, **placement.props())
    controller = LoadBalancerController(scope, "load-balancer-controller", props)
    # The gateway's pods into the ALB's target groups (traffic and status).
    groups = (edge.gateway_target_group_arn, edge.status_target_group_arn)
    binding = EdgeBindingProps(settings.namespace, istio.gateway_service, *groups)
    EdgeBinding(scope, "edge", binding, depends_on=[controller.release, istio.gateway.release])
    return Mesh(istio=istio, load_balancer_controller=controller)

"""The mesh and the edge's way in (spec §3.3, §2.2): Istio with STRICT mutual TLS, and where the region
has a public edge, the AWS Load Balancer Controller and the binding of the Istio gateway's pods to the
infrastructure stack's ALB target groups.

:func:`add_mesh` takes Istio's settings (:mod:`tonebridge.props.istio`) and the STRICT namespaces and
their port exceptions, which the stack resolves from other parts of the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from constructs import Construct

from tonebridge.constructs.edge_binding import EdgeBinding, EdgeBindingProps
from tonebridge.constructs.istio import Istio, IstioProps, MtlsPortException
from tonebridge.constructs.load_balancer_controller import LoadBalancerController, LoadBalancerControllerProps
from tonebridge.constructs.postgres.cnpg import METRICS_PORT, POSTGRES_PORT, STATUS_PORT
from tonebridge.features.foundation import ClusterWiring, Foundation, Placement
from tonebridge.props.istio import IstioSettings
from tonebridge.props.namespaces import NamespaceSettings

if TYPE_CHECKING:
    from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer


class InNamespace(Protocol):
    """A CloudNativePG cluster, as far as the mesh is concerned: its name and namespace."""

    name: str
    namespace: str


class IntegrationTarget(Protocol):
    """A service CI's integration tests call: namespace, service (pods labelled ``app``), port."""

    namespace: str
    service: str
    port: int


class IntegrationTests(Protocol):
    """Where CI's integration tests run (outside the mesh) and what they call."""

    agents_namespace: str
    test_targets: Sequence[IntegrationTarget]


def strict_mtls_namespaces(settings: IstioSettings, namespaces: Mapping[str, NamespaceSettings]) -> list[str]:
    """``istio.strict_mtls_namespaces``, or by default every namespace with sidecar injection: staging
    gets the same STRICT mTLS as production."""
    if settings.strict_mtls_namespaces is not None:
        return list(settings.strict_mtls_namespaces)
    return [name for name, ns in namespaces.items() if ns.meshed]


def mtls_port_exceptions(
    strict: Sequence[str], postgres_clusters: Iterable[InNamespace], ci: IntegrationTests | None
) -> list[MtlsPortException]:
    """The few ports of STRICT namespaces that must also accept clients outside the mesh (each narrowed
    further by a NetworkPolicy, each with its reason). CloudNativePG instances: the operator (5432, 8000)
    and Prometheus (9187) are outside the mesh; PostgreSQL itself admits TLS connections only
    (``hostssl``). CI's integration-test targets (``ci``, None where CI is off): the test pods are outside
    the mesh, and only they and the gateway are admitted to that port by NetworkPolicy."""
    exceptions = [
        MtlsPortException(
            namespace=cluster.namespace,
            name=f"cnpg-{cluster.name}",
            match_labels={"cnpg.io/cluster": cluster.name},
            ports=(POSTGRES_PORT, STATUS_PORT, METRICS_PORT),
            reason="CloudNativePG's operator and Prometheus are outside the mesh; "
            "PostgreSQL accepts TLS only (hostssl)",
        )
        for cluster in postgres_clusters
        if cluster.namespace in strict
    ]
    if ci is not None:
        exceptions += [
            MtlsPortException(
                namespace=target.namespace,
                name=f"ci-tests-{target.service}",
                match_labels={"app": target.service},
                ports=(target.port,),
                reason=f"CI's integration tests (namespace {ci.agents_namespace}, outside the mesh); "
                "the NetworkPolicy admits only them and the gateway",
            )
            for target in ci.test_targets
            if target.namespace in strict
        ]
    return exceptions


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
    edge_hosts: Sequence[str] = (),
) -> Mesh:
    """Istio where enabled; with it and ``edge`` (the infrastructure stack's ALB, None where the region has
    no public edge), the load balancer controller (two replicas; Prometheus scrapes it), the gateway's
    binding to the ALB's target groups and its Gateway ``edge`` for ``edge_hosts`` (the hosts the ALB forwards)."""
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
    # The gateway's pods into the ALB's target groups (traffic and status), and their listener (Gateway ``edge``).
    groups = (edge.gateway_target_group_arn, edge.status_target_group_arn)
    binding = EdgeBindingProps(
        settings.namespace, istio.gateway_service, *groups, hosts=list(edge_hosts), selector=istio.gateway_selector
    )
    # Istio's base release installs the Gateway CRD, the controller's the TargetGroupBinding CRD.
    EdgeBinding(scope, "edge", binding, depends_on=[controller.release, istio.base.release, istio.gateway.release])
    return Mesh(istio=istio, load_balancer_controller=controller)

"""Observability (spec §7.1-§7.3): the region's :class:`~tonebridge.constructs.observability.ObservabilityStack`
as ``platform.<region>.observability`` (:class:`~tonebridge.props.observability.ObservabilitySettings`)
describes it, given what other features built.

It runs after the secrets path (its two secrets come from Vault through the Vault Secrets Operator)
and before the data tier (CloudNativePG's PodMonitor needs the Prometheus Operator's CRDs, which come
with ``metrics_release``). Prometheus scrapes what the mesh feature deployed; the Vault side (the
monitoring role, Vault's CA bundle in the monitoring namespace) is the settings' ``vault_grant()``,
given to Vault's bootstrap by the secrets feature.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from tonebridge.constructs.cert_manager import CertManagerProps
from tonebridge.constructs.istio import IstioProps
from tonebridge.constructs.load_balancer_controller import LoadBalancerControllerProps
from tonebridge.constructs.observability import MonitoredCluster, ObservabilityStack, VaultAuthMethod
from tonebridge.constructs.observability.flows import ScrapeTarget

if TYPE_CHECKING:
    from constructs import Construct

    from tonebridge.constructs.istio import Istio
    from tonebridge.constructs.load_balancer_controller import LoadBalancerController
    from tonebridge.constructs.vault import Vault
    from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator
    from tonebridge.props.observability import ObservabilitySettings


class Foundation(Protocol):
    """The cluster foundation's namespaces and StorageClasses, for ``depends_on``."""

    def namespace_objects(self, names: Iterable[str]) -> list: ...

    def storage_class_objects(self, names: Iterable[str]) -> list: ...


class Mesh(Protocol):
    """Istio and the edge's load balancer controller, where the region runs them (Prometheus scrapes both)."""

    @property
    def istio(self) -> Istio | None: ...

    @property
    def load_balancer_controller(self) -> LoadBalancerController | None: ...


class Secrets(Protocol):
    """Spec §8.2's secrets path: Vault and the Vault Secrets Operator that copies the two secrets."""

    @property
    def vault(self) -> Vault: ...

    @property
    def operator(self) -> VaultSecretsOperator: ...


def scrape_targets(mesh: Mesh) -> list[ScrapeTarget]:
    """What Prometheus scrapes outside the isolated namespaces, as the platform deploys it: CoreDNS (the
    chart's ServiceMonitor), and the pods annotated ``prometheus.io/scrape`` by their charts: cert-manager
    (always beside Vault, which observability needs), istiod and the ingress gateway, Istio's CNI agent,
    the load balancer controller."""
    targets = [
        ScrapeTarget("coredns", "kube-system", 9153, {"k8s-app": "kube-dns"}),
        ScrapeTarget("cert-manager", CertManagerProps.namespace, 9402, {"app.kubernetes.io/instance": "cert-manager"}),
    ]
    istio = mesh.istio
    if istio is not None:
        control, cni = istio.namespace.name, istio.cni_namespace.name
        targets += [
            ScrapeTarget("istiod", control, 15014, {"app": "istiod"}),
            ScrapeTarget("istio-ingressgateway", control, 15020, {"app": IstioProps.gateway_name}),
            ScrapeTarget("istio-cni", cni, 15014, {"app.kubernetes.io/name": "istio-cni"}),
        ]
    if mesh.load_balancer_controller is not None:
        labels = {"app.kubernetes.io/name": "aws-load-balancer-controller"}
        targets.append(
            ScrapeTarget("aws-load-balancer-controller", LoadBalancerControllerProps.namespace, 8080, labels)
        )
    return targets


def add_observability(
    scope: Construct,
    settings: ObservabilitySettings,
    cluster: MonitoredCluster,
    base: Foundation,
    mesh: Mesh,
    secrets: Secrets | None,
    auth: VaultAuthMethod,
) -> ObservabilityStack | None:
    """The region's observability stack, or None where ``settings`` leave it off: scrapes ``mesh``'s
    components, reads its secrets from ``secrets`` (Vault through the operator, logging in with ``auth``),
    after the namespaces and StorageClasses of ``base`` it uses."""
    if not settings.enabled:
        return None
    if secrets is None:
        raise ValueError("observability reads its secrets from Vault: platform secrets must be enabled")
    depends_on = [
        *base.namespace_objects([settings.namespace, *cluster.scrape_namespaces]),
        *base.storage_class_objects([settings.metrics.storage_class, settings.logs.storage_class]),
        secrets.operator.release,
        secrets.vault.certificates,
    ]
    return ObservabilityStack(
        scope,
        "observability",
        settings,
        cluster,
        secrets.vault,
        auth,
        scrape_targets=scrape_targets(mesh),
        depends_on=depends_on,
    )

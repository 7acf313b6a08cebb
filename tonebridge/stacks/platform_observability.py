"""The platform stack's observability (spec §7.1-§7.3): ``platform.<region>.observability`` mapped
onto :class:`~tonebridge.constructs.observability.ObservabilityStack`.

Called from ``PlatformStack.__init__`` after the secrets path (its secrets come from Vault through
the Vault Secrets Operator) and before the data tier (CloudNativePG's PodMonitor needs the
Prometheus Operator's CRDs). The Vault side (a ``monitoring`` role reading exactly the two secrets,
Vault's CA bundle in the monitoring namespace) is given to Vault's bootstrap by
:func:`observability_vault_role` and :func:`vault_namespaces`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tonebridge.config.platform import PlatformConfig
from tonebridge.config.platform_observability import MONITORING_POOLS, ObservabilityConfig
from tonebridge.constructs.cert_manager import CertManagerProps
from tonebridge.constructs.istio import IstioProps
from tonebridge.constructs.load_balancer_controller import LoadBalancerControllerProps
from tonebridge.constructs.observability import ObservabilityProps, ObservabilityStack
from tonebridge.constructs.observability.flows import ScrapeTarget
from tonebridge.constructs.observability.logs import LogsProps, NodeSet
from tonebridge.constructs.observability.metrics import MetricsProps
from tonebridge.constructs.vault_login import VaultLogin
from tonebridge.props.pools import pool_placement
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.stacks.platform import PlatformStack
    from tonebridge.stacks.platform_parts import Foundation, Mesh, Secrets

GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a secret's name
ALERT_WEBHOOK_SECRET = "alertmanager-webhook"  # noqa: S105 - a secret's name


def _data_path(mount: str, path: str) -> str:
    return f"{mount}/data/{path}"


def observability_vault_role(platform: PlatformConfig) -> VaultRole | None:
    """The monitoring namespace's Vault role for the bootstrap: read-only on exactly its two secrets."""
    obs = platform.observability
    if not obs.enabled:
        return None
    admin, webhook = obs.dashboards.admin, obs.metrics.receiver.webhook
    return VaultRole(
        role=obs.vault_role,
        service_account=obs.vault_service_account,
        namespace=obs.namespace,
        paths=(_data_path(admin.mount, admin.path), _data_path(webhook.mount, webhook.path)),
        subject="Grafana's admin login and the alert webhook",
    )


def vault_namespaces(platform: PlatformConfig) -> list[str]:
    """Namespaces that need Vault's CA bundle for the observability stack's VaultConnection."""
    obs = platform.observability
    return [obs.namespace] if obs.enabled else []


def monitoring_placement(stack: PlatformStack, obs: ObservabilityConfig) -> dict[str, Any]:
    """Node selector and tolerations of ``obs.node_pool`` (the configuration guarantees its node
    group; this is the last guard)."""
    groups = stack.env.clusters[stack.region].node_groups.values()
    placement = pool_placement(MONITORING_POOLS[obs.node_pool], (group.labels for group in groups))
    if placement is None:
        raise ValueError(f"{stack.region}: observability runs on the {obs.node_pool} pool, which this cluster lacks")
    node_selector, tolerations = placement
    return {"node_selector": node_selector, "tolerations": tolerations}


def observability_props(
    stack: PlatformStack, obs: ObservabilityConfig, mesh: Mesh, secrets: Secrets | None
) -> ObservabilityProps:
    cfg = stack.config
    receiver = obs.metrics.receiver
    app = cfg.secrets.application
    placement = monitoring_placement(stack, obs)
    if secrets is None:
        raise ValueError(
            f"{stack.region}: observability reads its secrets from Vault: platform secrets must be enabled"
        )
    vault = secrets.vault
    metrics = MetricsProps(
        obs.metrics,
        namespace=obs.namespace,
        agents_namespace=obs.agents_namespace,
        grafana_admin_secret=GRAFANA_ADMIN_SECRET,
        receiver_secret=ALERT_WEBHOOK_SECRET,
        grafana_replicas=obs.dashboards.replicas,
        **placement,
    )
    lg = obs.logs
    logs = None
    if lg.enabled:
        logs = LogsProps(
            namespace=lg.namespace,
            agents_namespace=obs.agents_namespace,
            version=lg.version,
            node_sets=[
                NodeSet("master", lg.master.count, ["master"], lg.master.storage_size, lg.master.resources.manifest()),
                NodeSet("data", lg.data.count, ["data", "ingest"], lg.data.storage_size, lg.data.resources.manifest()),
            ],
            storage_class=lg.storage_class,
            kibana_count=lg.kibana_count,
            retention_days=lg.retention_days,
            rollover_size=lg.rollover_size,
            rollover_age=lg.rollover_age,
        )
    return ObservabilityProps(
        kubernetes_version=stack.kubernetes_version,
        metrics=metrics,
        vault_login=VaultLogin(
            namespace=obs.namespace,
            address=vault.address,
            role=obs.vault_role,
            service_account=obs.vault_service_account,
            name="monitoring-vault",
            ca_secret=vault.ca_bundle_secret,
            auth_mount=app.auth_mount,
            audience=app.audience,
        ),
        grafana_admin=obs.dashboards.admin,
        alert_webhook=receiver.webhook,
        logs=logs,
        operator_namespace=lg.operator_namespace,
        scrape_namespaces=isolated_namespaces(cfg),
        node_cidr=str(stack.env.network[stack.region].vpc_cidr),
        scrape_targets=scrape_targets(stack, mesh),
        **placement,
    )


def scrape_targets(stack: PlatformStack, mesh: Mesh) -> list[ScrapeTarget]:
    """What Prometheus scrapes outside the isolated namespaces, as the platform deploys it: CoreDNS (the
    chart's ServiceMonitor), and the pods annotated ``prometheus.io/scrape`` by their charts: cert-manager
    (always beside Vault, which observability needs), istiod and the ingress gateway, Istio's CNI agent,
    the load balancer controller."""
    cfg = stack.config
    targets = [ScrapeTarget("coredns", "kube-system", 9153, {"k8s-app": "kube-dns"})]
    targets.append(
        ScrapeTarget("cert-manager", CertManagerProps.namespace, 9402, {"app.kubernetes.io/instance": "cert-manager"})
    )
    if mesh.istio is not None:
        istio = cfg.istio
        targets += [
            ScrapeTarget("istiod", istio.namespace, 15014, {"app": "istiod"}),
            ScrapeTarget("istio-ingressgateway", istio.namespace, 15020, {"app": IstioProps.gateway_name}),
            ScrapeTarget("istio-cni", istio.cni_namespace, 15014, {"app.kubernetes.io/name": "istio-cni"}),
        ]
    if mesh.load_balancer_controller is not None:
        labels = {"app.kubernetes.io/name": "aws-load-balancer-controller"}
        targets.append(
            ScrapeTarget("aws-load-balancer-controller", LoadBalancerControllerProps.namespace, 8080, labels)
        )
    return targets


def add_observability(
    stack: PlatformStack, base: Foundation, mesh: Mesh, secrets: Secrets | None
) -> ObservabilityStack | None:
    """The region's observability stack, or None where it is off: scrapes ``mesh``'s components, reads its
    secrets from ``secrets`` (Vault through the operator)."""
    obs = stack.config.observability
    if not obs.enabled:
        return None
    depends_on = [
        *base.namespace_objects([obs.namespace, *isolated_namespaces(stack.config)]),
        *base.storage_class_objects([obs.metrics.storage_class, obs.logs.storage_class]),
    ]
    if secrets is not None:
        depends_on += [secrets.operator.release, secrets.vault.certificates]
    props = observability_props(stack, obs, mesh, secrets)
    return ObservabilityStack(stack, "observability", props, depends_on=depends_on)


def isolated_namespaces(platform: PlatformConfig) -> list[str]:
    """Namespaces that deny ingress by default (spec §8.1): Prometheus needs a policy there."""
    return [name for name, ns in platform.namespaces.items() if ns.network_isolation is not None]

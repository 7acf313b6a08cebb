"""ObservabilityStack (spec §7.1-§7.3): metrics, alerts, dashboards and logs of one cluster.

Composition, in apply order:

1. The agents' namespace (privileged, with its reason): node-exporter and Filebeat need host
   network, PID and paths, which no other namespace of the platform admits.
2. The monitoring namespace's Vault login and its two secrets (Grafana's admin login, the alert
   webhook's URL), copied from Vault by the Vault Secrets Operator: no credential in code or state.
3. kube-prometheus-stack (metrics.py), pinned, into the monitoring namespace (created elsewhere,
   ``restricted``); its CRDs (PrometheusRule, ServiceMonitor, PodMonitor) arrive with it, so the
   rule files and every PodMonitor (CloudNativePG's) depend on ``metrics_release``.
4. The dashboards ConfigMap (dashboards.py).
5. The ECK operator in its own ``restricted`` namespace, then Elasticsearch and Kibana in the logs
   namespace and Filebeat in the agents' namespace (logs.py).
6. Where a namespace denies traffic by default, a policy that lets Prometheus's pods (namespace
   monitoring) reach the metrics ports; the flows the stack needs are declared for the fit check
   (flows.py).
7. Given the node range (``node_cidr``), the monitoring namespace itself denies by default and admits
   exactly its declared flows (:class:`FlowIsolation`): scrapes, alerts, Grafana's data sources, the
   Kubernetes API, the operator's admission webhook, Alertmanager's peers and receiver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import ECK_OPERATOR, KUBE_PROMETHEUS_STACK
from tonebridge.constructs.flow_declarations import declare_flows, declared_flows
from tonebridge.constructs.flow_policies import FlowIsolation
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, CustomResources, kube_object
from tonebridge.constructs.namespace import Namespace, NamespaceProps, namespaced_release
from tonebridge.constructs.network_policies import NAMESPACE_LABEL
from tonebridge.constructs.observability import dashboards, flows, logs, metrics
from tonebridge.constructs.observability.dashboards import dashboards_config_map
from tonebridge.constructs.pod_defaults import check_replicas
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.props.observability import MONITORING_POOLS, ObservabilitySettings
from tonebridge.props.pools import pool_placement

AGENTS_REASON = (
    "node agents of the observability stack: node-exporter reads host metrics with hostNetwork, "
    "hostPID and host paths; Filebeat reads the kubelet's container logs from host paths as root"
)


@dataclass(frozen=True)
class MonitoredCluster:
    """What the stack resolves about the cluster it watches: wiring, not configuration.

    :param kubernetes_version: the cluster's ``1.NN`` (pod security pinning).
    :param node_group_labels: labels of the cluster's node groups; the settings' ``node_pool`` must be
        one of them (spec §2.2: management) for Prometheus, Alertmanager, Grafana, kube-state-metrics
        and both operators.
    :param node_cidr: where node addresses and the EKS control plane's interfaces live (the VPC's
        range): kubelets, node-exporter, the API server, the webhook's caller. Given, the monitoring
        namespace denies by default and admits its declared flows only; None leaves it open.
    :param scrape_namespaces: namespaces that deny ingress by default, where Prometheus needs a way in.
        The metrics ports it may reach there are ``settings.metrics.scrape_ports``.
    """

    kubernetes_version: str
    node_group_labels: Sequence[Mapping[str, str]]
    node_cidr: str | None = None
    scrape_namespaces: Sequence[str] = ()

    def placement(self, pool: str) -> tuple[dict[str, str], list[dict[str, str]]]:
        """Node selector and tolerations of the monitoring pool ``pool`` (the configuration guarantees
        its node group; this is the last guard)."""
        placement = pool_placement(MONITORING_POOLS[pool], self.node_group_labels)
        if placement is None:
            raise ValueError(f"observability runs on the {pool} pool, which this cluster lacks")
        return placement


class VaultEndpoint(Protocol):
    """The Vault the monitoring namespace logs in to (the Vault construct): its https URL, and the
    secret holding its CA in every namespace that talks to it."""

    @property
    def address(self) -> str: ...

    @property
    def ca_bundle_secret(self) -> str: ...


class VaultAuthMethod(Protocol):
    """The Kubernetes auth method every Vault role uses (the configuration's ``secrets.application``)."""

    @property
    def auth_mount(self) -> str: ...

    @property
    def audience(self) -> str: ...


def scrape_policy(namespace: str, monitoring: str, ports: Sequence[int]) -> dict:
    """Ingress from Prometheus's pods in namespace ``monitoring`` to every pod of ``namespace`` on
    the metrics ``ports`` (no other pod of the monitoring namespace gets in)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-monitoring-scrape", "namespace": namespace},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: monitoring}},
                            "podSelector": {"matchLabels": dict(metrics.PROMETHEUS_POD_LABELS)},
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": port} for port in ports],
                }
            ],
        },
    }


class ObservabilityStack(Construct):
    """Spec §7's stack of one cluster as ``settings`` (the configuration's ``observability``) describe it.

    :param cluster: the watched cluster (version, node groups, node range, default-deny namespaces).
    :param vault: where the two secrets come from; ``auth``: Vault's Kubernetes auth method.
    :param scrape_targets: pods of namespaces without a default deny that Prometheus scrapes (CoreDNS,
        istiod, cert-manager, ...): its egress to them is declared and admitted port by port.
    :param dashboards: generated dashboards (spec §7.3's by default).

    Attributes: ``agents_namespace``, ``metrics_release`` (give it to ``depends_on`` of anything
    that creates PodMonitors or ServiceMonitors), ``secrets`` (release of the Vault objects),
    ``rules``, ``dashboards``, ``operator_release`` and ``logs`` (None without logs), ``objects``
    (every custom resource, by kind and name)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: ObservabilitySettings,
        cluster: MonitoredCluster,
        vault: VaultEndpoint,
        auth: VaultAuthMethod,
        *,
        scrape_targets: Sequence[flows.ScrapeTarget] = (),
        dashboards: Sequence[dashboards.Dashboard] = (dashboards.INFRASTRUCTURE_OVERVIEW,),
        operator_replicas: int = 1,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        check_replicas("eck operator", operator_replicas)
        self.settings = settings
        namespace = settings.namespace
        node_selector, tolerations = cluster.placement(settings.node_pool)
        self.agents_namespace = Namespace(
            self,
            "agents-namespace",
            NamespaceProps(
                name=settings.agents_namespace,
                kubernetes_version=cluster.kubernetes_version,
                pod_security="privileged",
                reason=AGENTS_REASON,
            ),
        )
        login = VaultLogin(
            namespace=namespace,
            address=vault.address,
            role=settings.vault_role,
            service_account=settings.vault_service_account,
            name="monitoring-vault",
            ca_secret=vault.ca_bundle_secret,
            auth_mount=auth.auth_mount,
            audience=auth.audience,
        )
        account = kube_object(self, login_service_account(login), depends_on=depends_on, construct_id="vault-account")
        vault_objects = [
            *login_objects(login),
            *(
                static_secret(login, name=secret, mount=ref.mount, path=ref.path)
                for secret, ref in (
                    (metrics.GRAFANA_ADMIN_SECRET, settings.dashboards.admin),
                    (metrics.RECEIVER_SECRET, settings.metrics.receiver.webhook),
                )
            ),
        ]
        self.secrets = CustomResources(
            self,
            "vault-secrets",
            release_name="monitoring-vault-secrets",
            namespace=namespace,
            objects=vault_objects,
            depends_on=[*depends_on, account],
        ).release
        self.metrics_release = ChartRelease(
            self,
            "kube-prometheus-stack",
            ChartReleaseProps(
                release_name="kube-prometheus-stack",
                chart=KUBE_PROMETHEUS_STACK,
                namespace=namespace,
                values=metrics.stack_values(settings, node_selector, tolerations),
                # Grafana and Alertmanager start once Vault, initialised by hand (docs/security.md, "Vault
                # bootstrap"), serves their secrets; the CRDs are installed either way.
                wait=False,
            ),
            depends_on=[*depends_on, self.agents_namespace.manifest, self.secrets],
        ).release
        rules = metrics.prometheus_rules(namespace, settings.metrics.rules)
        self.rules = CustomResources(
            self,
            "rules",
            release_name="monitoring-rules",
            namespace=namespace,
            objects=rules,
            depends_on=[self.metrics_release],
        ).release
        self.dashboards = kube_object(
            self,
            dashboards_config_map(namespace, dashboards, metrics.DASHBOARD_LABEL),
            depends_on=depends_on,
            construct_id="dashboards",
        )
        ports = settings.metrics.scrape_ports
        for scraped in cluster.scrape_namespaces:
            kube_object(
                self,
                scrape_policy(scraped, namespace, ports),
                depends_on=depends_on,
                construct_id=f"scrape-policy-{scraped}",
            )
        #: The monitoring namespace's default deny (None without ``node_cidr``); see :meth:`admit_declared`.
        self.isolation: FlowIsolation | None = None
        monitoring_flows = [
            *flows.scrape_flows(namespace, cluster.scrape_namespaces, ports),
            *flows.dashboard_flows(namespace),
        ]
        if cluster.node_cidr is None:
            declare_flows(self, monitoring_flows)
        else:
            # Default deny in monitoring; exactly the declared flows are admitted (proved by the fit check).
            monitoring_flows += flows.monitoring_flows(namespace, cluster.node_cidr, scrape_targets)
            self.isolation = FlowIsolation(
                self, "monitoring-isolation", namespace, monitoring_flows, per_end=True, depends_on=depends_on
            )
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in [*vault_objects, *rules]}
        self.operator_release = None
        self.logs = None
        if settings.logs.enabled:
            self._logs(cluster.kubernetes_version, operator_replicas, (node_selector, tolerations))

    def admit_declared(self) -> None:
        """Admit, on the monitoring namespace's side, every flow its stack declares that touches it
        (the data tier's scrapes: CloudNativePG's PodMonitor, the Redis exporter), once those are built."""
        if self.isolation is not None:
            self.isolation.admit(declared_flows(self))

    def _logs(
        self, kubernetes_version: str, operator_replicas: int, placement: tuple[dict[str, str], list[dict[str, str]]]
    ) -> None:
        settings = self.settings
        lp = settings.logs
        operator = Construct(self, "eck")
        _, self.operator_release = namespaced_release(
            operator,
            "operator",
            ChartReleaseProps(
                release_name="elastic-operator",
                chart=ECK_OPERATOR,
                namespace=lp.operator_namespace,
                values=logs.operator_values(operator_replicas, *placement),
            ),
            kubernetes_version,
        )
        namespace = Namespace(
            self, "logs-namespace", NamespaceProps(name=lp.namespace, kubernetes_version=kubernetes_version)
        )
        stack = [logs.elasticsearch(lp), logs.kibana(lp)]
        self.logs = CustomResources(
            self,
            "elastic-stack",
            release_name="elastic-stack",
            namespace=lp.namespace,
            objects=stack,
            depends_on=[self.operator_release, namespace.manifest],
        ).release
        agents = self.agents_namespace.manifest
        core = [
            kube_object(self, o, depends_on=[agents])
            for o in [*logs.filebeat_rbac(settings), logs.filebeat_ilm_config_map(settings)]
        ]
        shipper = [logs.filebeat(settings)]
        CustomResources(
            self,
            "log-shipper",
            release_name="filebeat",
            namespace=settings.agents_namespace,
            objects=shipper,
            depends_on=[self.operator_release, agents, *core, self.logs],
        )
        # Default deny in the logs namespace; exactly the declared flows are admitted (proved by the fit check).
        FlowIsolation(
            self,
            "logs-isolation",
            lp.namespace,
            [
                *flows.log_flows(lp.namespace, settings.agents_namespace, lp.operator_namespace, logs.ELASTICSEARCH),
                *flows.elasticsearch_cluster_flows(lp.namespace, logs.ELASTICSEARCH),
            ],
            depends_on=[namespace.manifest],
        )
        self.objects |= {(o["kind"], o["metadata"]["name"]): o for o in [*stack, *shipper]}

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
from dataclasses import dataclass, field

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import ECK_OPERATOR, KUBE_PROMETHEUS_STACK
from tonebridge.constructs.flow_declarations import declare_flows, declared_flows
from tonebridge.constructs.flow_policies import FlowIsolation
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, CustomResources, kube_object
from tonebridge.constructs.namespace import Namespace, NamespaceProps, namespaced_release
from tonebridge.constructs.network_policies import NAMESPACE_LABEL
from tonebridge.constructs.observability import dashboards, flows, logs, metrics
from tonebridge.constructs.pod_defaults import check_replicas
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.props.observability import VaultSecretRef

AGENTS_REASON = (
    "node agents of the observability stack: node-exporter reads host metrics with hostNetwork, "
    "hostPID and host paths; Filebeat reads the kubelet's container logs from host paths as root"
)


@dataclass(frozen=True)
class ObservabilityProps:
    """:param kubernetes_version: the cluster's ``1.NN`` (pod security pinning).
    :param metrics: kube-prometheus-stack (its namespace is created elsewhere).
    :param vault_login: the monitoring namespace's login to Vault (VSO).
    :param grafana_admin / alert_webhook: where the two secrets live in Vault.
    :param logs: Elasticsearch, Kibana and Filebeat; None leaves logs out.
    :param scrape_namespaces: namespaces that deny ingress by default, where Prometheus needs a way in.
        The metrics ports it may reach there are ``metrics.settings.scrape_ports``.
    :param dashboards: generated dashboards (spec §7.3's by default).
    :param node_cidr: where node addresses and the EKS control plane's interfaces live (the VPC's
        range): kubelets, node-exporter, the API server, the webhook's caller. Given, the monitoring
        namespace denies by default and admits its declared flows only; None leaves it open.
    :param scrape_targets: pods of namespaces without a default deny that Prometheus scrapes (CoreDNS,
        istiod, cert-manager, ...): its egress to them is declared and admitted port by port.
    :param node_selector / tolerations: the monitoring pool (spec §2.2: management) of Prometheus,
        Alertmanager, Grafana, kube-state-metrics and both operators.
    """

    kubernetes_version: str
    metrics: metrics.MetricsProps
    vault_login: VaultLogin
    grafana_admin: VaultSecretRef
    alert_webhook: VaultSecretRef
    logs: logs.LogsProps | None = None
    operator_namespace: str = "elastic-system"
    operator_replicas: int = 1
    scrape_namespaces: Sequence[str] = ()
    dashboards: Sequence[dashboards.Dashboard] = (dashboards.INFRASTRUCTURE_OVERVIEW,)
    node_cidr: str | None = None
    scrape_targets: Sequence[flows.ScrapeTarget] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = ()

    def __post_init__(self) -> None:
        check_replicas("eck operator", self.operator_replicas)
        if self.vault_login.namespace != self.metrics.namespace:
            raise ValueError("observability: the Vault login must be the monitoring namespace's")
        if self.logs and self.logs.agents_namespace != self.metrics.agents_namespace:
            raise ValueError("observability: node-exporter and Filebeat share the agents' namespace")


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
    """Attributes: ``agents_namespace``, ``metrics_release`` (give it to ``depends_on`` of anything
    that creates PodMonitors or ServiceMonitors), ``secrets`` (release of the Vault objects),
    ``rules``, ``dashboards``, ``operator_release`` and ``logs`` (None without logs), ``objects``
    (every custom resource, by kind and name)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: ObservabilityProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        m = props.metrics
        self.agents_namespace = Namespace(
            self,
            "agents-namespace",
            NamespaceProps(
                name=m.agents_namespace,
                kubernetes_version=props.kubernetes_version,
                pod_security="privileged",
                reason=AGENTS_REASON,
            ),
        )
        login = props.vault_login
        account = kube_object(self, login_service_account(login), depends_on=depends_on, construct_id="vault-account")
        vault_objects = [
            *login_objects(login),
            static_secret(
                login, name=m.grafana_admin_secret, mount=props.grafana_admin.mount, path=props.grafana_admin.path
            ),
            static_secret(
                login, name=m.receiver_secret, mount=props.alert_webhook.mount, path=props.alert_webhook.path
            ),
        ]
        self.secrets = CustomResources(
            self,
            "vault-secrets",
            release_name="monitoring-vault-secrets",
            namespace=m.namespace,
            objects=vault_objects,
            depends_on=[*depends_on, account],
        ).release
        self.metrics_release = ChartRelease(
            self,
            "kube-prometheus-stack",
            ChartReleaseProps(
                release_name="kube-prometheus-stack",
                chart=KUBE_PROMETHEUS_STACK,
                namespace=m.namespace,
                values=metrics.stack_values(m),
                # Grafana and Alertmanager start once Vault, initialised by hand (README, "Vault
                # bootstrap"), serves their secrets; the CRDs are installed either way.
                wait=False,
            ),
            depends_on=[*depends_on, self.agents_namespace.manifest, self.secrets],
        ).release
        rules = metrics.prometheus_rules(m.namespace, m.settings.rules)
        self.rules = CustomResources(
            self,
            "rules",
            release_name="monitoring-rules",
            namespace=m.namespace,
            objects=rules,
            depends_on=[self.metrics_release],
        ).release
        self.dashboards = kube_object(
            self,
            dashboards.dashboards_config_map(m.namespace, props.dashboards, m.dashboard_label),
            depends_on=depends_on,
            construct_id="dashboards",
        )
        for namespace in props.scrape_namespaces:
            kube_object(
                self,
                scrape_policy(namespace, m.namespace, m.settings.scrape_ports),
                depends_on=depends_on,
                construct_id=f"scrape-policy-{namespace}",
            )
        #: The monitoring namespace's default deny (None without ``node_cidr``); see :meth:`admit_declared`.
        self.isolation: FlowIsolation | None = None
        monitoring_flows = [
            *flows.scrape_flows(m.namespace, props.scrape_namespaces, m.settings.scrape_ports),
            *flows.dashboard_flows(m.namespace),
        ]
        if props.node_cidr is None:
            declare_flows(self, monitoring_flows)
        else:
            # Default deny in monitoring; exactly the declared flows are admitted (proved by the fit check).
            monitoring_flows += flows.monitoring_flows(m.namespace, props.node_cidr, props.scrape_targets)
            self.isolation = FlowIsolation(
                self, "monitoring-isolation", m.namespace, monitoring_flows, per_end=True, depends_on=depends_on
            )
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in [*vault_objects, *rules]}
        self.operator_release = None
        self.logs = None
        if props.logs:
            self._logs(props.logs, props)

    def admit_declared(self) -> None:
        """Admit, on the monitoring namespace's side, every flow its stack declares that touches it
        (the data tier's scrapes: CloudNativePG's PodMonitor, the Redis exporter), once those are built."""
        if self.isolation is not None:
            self.isolation.admit(declared_flows(self))

    def _logs(self, lp: logs.LogsProps, props: ObservabilityProps) -> None:
        operator = Construct(self, "eck")
        _, self.operator_release = namespaced_release(
            operator,
            "operator",
            ChartReleaseProps(
                release_name="elastic-operator",
                chart=ECK_OPERATOR,
                namespace=props.operator_namespace,
                values=logs.operator_values(props.operator_replicas, props.node_selector, props.tolerations),
            ),
            props.kubernetes_version,
        )
        namespace = Namespace(
            self, "logs-namespace", NamespaceProps(name=lp.namespace, kubernetes_version=props.kubernetes_version)
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
            for o in [*logs.filebeat_rbac(lp), logs.filebeat_ilm_config_map(lp)]
        ]
        shipper = [logs.filebeat(lp)]
        CustomResources(
            self,
            "log-shipper",
            release_name="filebeat",
            namespace=lp.agents_namespace,
            objects=shipper,
            depends_on=[self.operator_release, agents, *core, self.logs],
        )
        # Default deny in the logs namespace; exactly the declared flows are admitted (proved by the fit check).
        FlowIsolation(
            self,
            "logs-isolation",
            lp.namespace,
            [
                *flows.log_flows(lp.namespace, lp.agents_namespace, props.operator_namespace, lp.name),
                *flows.elasticsearch_cluster_flows(lp.namespace, lp.name),
            ],
            depends_on=[namespace.manifest],
        )
        self.objects |= {(o["kind"], o["metadata"]["name"]): o for o in [*stack, *shipper]}

"""Network flows the observability stack needs (:mod:`tonebridge.flows`), declared for the fit check.

Only namespaces with a default deny constrain anything; every flow that crosses into one is
declared, and the flows inside the stack (Grafana to Prometheus, Filebeat, Kibana and the ECK
operator to Elasticsearch) are declared too, so that a default deny added to ``monitoring``,
``logging`` or the agents' namespace later is proved to keep them working.

Pod labels are the ones the operators and charts set: Prometheus's pods as the Prometheus
Operator labels them (the chart's PodDisruptionBudget selects the same two), Grafana's by the
Grafana chart's selector, Elasticsearch's, Kibana's and Filebeat's as ECK labels them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tonebridge.constructs.observability.logs import FILEBEAT, KIBANA
from tonebridge.constructs.observability.metrics import PROMETHEUS_POD_LABELS, PROMETHEUS_PORT
from tonebridge.flows import Endpoint, Flow

#: Elasticsearch's HTTP API (ECK's ``<name>-es-http`` service), what every client uses.
ELASTICSEARCH_PORT = 9200
#: Selector labels of the Grafana subchart's pods (release kube-prometheus-stack).
GRAFANA_POD_LABELS = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"}
#: The ECK operator chart's selector labels (release elastic-operator).
ECK_OPERATOR_POD_LABELS = {
    "app.kubernetes.io/name": "elastic-operator",
    "app.kubernetes.io/instance": "elastic-operator",
}


def prometheus(namespace: str) -> Endpoint:
    return Endpoint("prometheus", namespace=namespace, pod_labels=PROMETHEUS_POD_LABELS)


def scrape_flows(monitoring: str, scraped: Sequence[str], ports: Sequence[int]) -> list[Flow]:
    """Prometheus to every pod of each default-deny namespace in ``scraped``, on each metrics port."""
    return [
        Flow(
            prometheus(monitoring),
            Endpoint(f"{namespace}-pods", namespace=namespace),
            port,
            f"Prometheus scrapes metrics port {port} in {namespace}",
        )
        for namespace in scraped
        for port in ports
    ]


def dashboard_flows(monitoring: str) -> list[Flow]:
    """Grafana queries Prometheus (the chart's data source)."""
    grafana = Endpoint("grafana", namespace=monitoring, pod_labels=GRAFANA_POD_LABELS)
    return [Flow(grafana, prometheus(monitoring), PROMETHEUS_PORT, "Grafana queries Prometheus")]


def log_flows(logs_namespace: str, agents_namespace: str, operator_namespace: str, cluster: str) -> list[Flow]:
    """Filebeat ships logs, Kibana reads them, the ECK operator manages the cluster: all over 9200."""
    elasticsearch = Endpoint(
        "elasticsearch",
        namespace=logs_namespace,
        pod_labels={"elasticsearch.k8s.elastic.co/cluster-name": cluster},
    )
    clients = [
        (
            Endpoint(FILEBEAT, namespace=agents_namespace, pod_labels={"beat.k8s.elastic.co/name": FILEBEAT}),
            "Filebeat ships container logs",
        ),
        (
            Endpoint(KIBANA, namespace=logs_namespace, pod_labels={"kibana.k8s.elastic.co/name": KIBANA}),
            "Kibana reads and writes its indices",
        ),
        (
            Endpoint("eck-operator", namespace=operator_namespace, pod_labels=ECK_OPERATOR_POD_LABELS),
            "the ECK operator manages users, settings and health",
        ),
    ]
    return [Flow(client, elasticsearch, ELASTICSEARCH_PORT, purpose) for client, purpose in clients]


#: Elasticsearch's transport port (node to node: cluster state, shard replication).
TRANSPORT_PORT = 9300


def elasticsearch_cluster_flows(logs_namespace: str, cluster: str) -> list[Flow]:
    """Elasticsearch nodes talk to each other on the transport port (masters, data nodes)."""
    elasticsearch = Endpoint(
        "elasticsearch",
        namespace=logs_namespace,
        pod_labels={"elasticsearch.k8s.elastic.co/cluster-name": cluster},
    )
    return [Flow(elasticsearch, elasticsearch, TRANSPORT_PORT, "cluster state and shard replication")]


# --- the monitoring namespace behind a default deny ------------------------------------------------

#: The release name every kube-prometheus-stack label below carries.
RELEASE = "kube-prometheus-stack"
#: Alertmanager's pods as the Prometheus Operator labels them (the chart's Service selects these two).
ALERTMANAGER_POD_LABELS = {"app.kubernetes.io/name": "alertmanager", "alertmanager": f"{RELEASE}-alertmanager"}
#: The operator Deployment's selector labels (its Service and ServiceMonitor select the same two).
OPERATOR_POD_LABELS = {"app": f"{RELEASE}-operator", "release": RELEASE}
#: kube-state-metrics' selector labels (subchart, release kube-prometheus-stack).
KUBE_STATE_METRICS_POD_LABELS = {"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": RELEASE}
#: The admission webhook's certificate Jobs (``admission-create`` / ``admission-patch`` hooks) share this label.
WEBHOOK_JOB_LABELS = {
    "app.kubernetes.io/component": "prometheus-operator-webhook",
    "app.kubernetes.io/instance": RELEASE,
}
#: The operator's HTTPS port (``prometheusOperator.tls.internalPort``): admission webhook and its metrics.
OPERATOR_PORT = 10250
#: Ports of the stack's own pods: Alertmanager's API, its gossip, the config reloaders, Grafana, kube-state-metrics.
ALERTMANAGER_PORT, ALERTMANAGER_MESH_PORT, RELOADER_PORT = 9093, 9094, 8080
GRAFANA_PORT, KUBE_STATE_METRICS_PORT = 3000, 8080
#: The kubelet's authenticated port (metrics, cAdvisor) and node-exporter's (host network) on each node.
KUBELET_PORT, NODE_EXPORTER_PORT = 10250, 9100
#: Where Alertmanager delivers: the webhook URL lives in Vault, so its host is not known here; HTTPS only.
RECEIVERS = "0.0.0.0/0"


@dataclass(frozen=True)
class ScrapeTarget:
    """Pods of another namespace Prometheus scrapes (a ServiceMonitor or the annotated-pods job).

    :param name: what they are, for problem lines. :param pod_labels: none = every pod of the namespace.
    """

    name: str
    namespace: str
    port: int
    pod_labels: Mapping[str, str] = field(default_factory=dict)

    def flow(self, monitoring: str) -> Flow:
        end = Endpoint(self.name, namespace=self.namespace, pod_labels=dict(self.pod_labels))
        return Flow(prometheus(monitoring), end, self.port, f"Prometheus scrapes {self.name}")


def _component(name: str, namespace: str, labels: Mapping[str, str]) -> Endpoint:
    return Endpoint(name, namespace=namespace, pod_labels=dict(labels))


def monitoring_flows(monitoring: str, node_cidr: str, targets: Sequence[ScrapeTarget] = ()) -> list[Flow]:
    """Everything the monitoring namespace sends and receives besides DNS and the scrapes of isolated
    namespaces (:func:`scrape_flows`), as the rendered chart's pods, Services and ServiceMonitors need it.

    ``node_cidr`` holds the node addresses (kubelets, node-exporter on the host network) and the EKS
    control plane's network interfaces (the API server's endpoints, and the source of its calls to the
    operator's admission webhook): the VPC's range. Pods live in the separate pod range, so it admits no pod.
    """
    prom = prometheus(monitoring)
    alertmanager = _component("alertmanager", monitoring, ALERTMANAGER_POD_LABELS)
    grafana = _component("grafana", monitoring, GRAFANA_POD_LABELS)
    operator = _component("prometheus-operator", monitoring, OPERATOR_POD_LABELS)
    state = _component("kube-state-metrics", monitoring, KUBE_STATE_METRICS_POD_LABELS)
    jobs = _component("admission-webhook-jobs", monitoring, WEBHOOK_JOB_LABELS)
    nodes = Endpoint("nodes and control plane", cidr=node_cidr)
    api = "the Kubernetes API (service discovery, watches, the API server's metrics)"
    flows = [Flow(client, nodes, 443, api) for client in (prom, operator, state, grafana, jobs)]
    flows += [
        Flow(prom, nodes, KUBELET_PORT, "Prometheus scrapes the kubelets (and cAdvisor)"),
        Flow(prom, nodes, NODE_EXPORTER_PORT, "Prometheus scrapes node-exporter (host network)"),
        Flow(nodes, operator, OPERATOR_PORT, "the API server calls the operator's admission webhook"),
        Flow(prom, alertmanager, ALERTMANAGER_PORT, "Prometheus sends alerts (and scrapes Alertmanager)"),
        Flow(prom, alertmanager, RELOADER_PORT, "Prometheus scrapes Alertmanager's config reloader"),
        Flow(prom, prom, PROMETHEUS_PORT, "Prometheus scrapes itself (every replica)"),
        Flow(prom, prom, RELOADER_PORT, "Prometheus scrapes its config reloader"),
        Flow(prom, grafana, GRAFANA_PORT, "Prometheus scrapes Grafana"),
        Flow(prom, state, KUBE_STATE_METRICS_PORT, "Prometheus scrapes kube-state-metrics"),
        Flow(prom, operator, OPERATOR_PORT, "Prometheus scrapes the operator"),
        Flow(grafana, alertmanager, ALERTMANAGER_PORT, "Grafana's Alertmanager data source"),
        Flow(alertmanager, Endpoint("alert receivers", cidr=RECEIVERS), 443, "Alertmanager delivers to its webhook"),
    ]
    flows += [
        Flow(alertmanager, alertmanager, ALERTMANAGER_MESH_PORT, "Alertmanager peers gossip", protocol)
        for protocol in ("TCP", "UDP")
    ]
    return [*flows, *(target.flow(monitoring) for target in targets)]

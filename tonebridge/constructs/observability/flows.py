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

from collections.abc import Sequence

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

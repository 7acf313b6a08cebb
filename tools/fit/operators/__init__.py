"""The pods and claims operators create from the custom resources the cluster holds.

Only these operators make pods from our resources: the OT redis-operator (RedisCluster), CloudNativePG
(Cluster), ECK (Elasticsearch, Kibana, Beat), the Prometheus Operator (Prometheus, Alertmanager, rendered by
kube-prometheus-stack) and the Jenkins kubernetes plugin (the JCasC cloud's agent pod templates). Any other
custom resource makes no pod and is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.fit.model import Workload
from tools.fit.operators import cnpg, eck, jenkins, prometheus, redis

Derive = Callable[[dict[str, Any], list[dict[str, Any]]], list[Workload]]

#: (API group, kind) -> what its operator makes of one resource (the resource, every object of the cluster).
DERIVATIONS: dict[tuple[str, str], Derive] = {
    ("redis.redis.opstreelabs.in", "RedisCluster"): redis.redis_cluster,
    ("postgresql.cnpg.io", "Cluster"): lambda cr, _: cnpg.cnpg_cluster(cr),
    ("elasticsearch.k8s.elastic.co", "Elasticsearch"): lambda cr, _: eck.elasticsearch(cr),
    ("kibana.k8s.elastic.co", "Kibana"): lambda cr, _: eck.kibana(cr),
    ("beat.k8s.elastic.co", "Beat"): lambda cr, _: eck.beat(cr),
    ("monitoring.coreos.com", "Prometheus"): prometheus.prometheus,
    ("monitoring.coreos.com", "Alertmanager"): prometheus.alertmanager,
}


def derived_workloads(objects: list[dict[str, Any]], chart_values: dict[str, dict]) -> list[Workload]:
    """Every workload the operators derive from ``objects`` (our resources and the rendered charts').

    Each operator's settings are taken from its rendered Deployment (environment, flags) and Jenkins' from
    the rendered JCasC ConfigMap, which is what the operators themselves read; ``chart_values`` (release ->
    merged values) only supplies the Jenkins agents' working directory, which the plugin reads from its own
    defaults rather than from the ConfigMap.
    """
    workloads = []
    for obj in objects:
        derive = DERIVATIONS.get((obj.get("apiVersion", "").rpartition("/")[0], obj.get("kind", "")))
        if derive is not None:
            workloads.extend(derive(obj, objects))
    return [*workloads, *jenkins.agent_pods(objects, chart_values)]

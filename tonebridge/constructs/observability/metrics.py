"""Metrics (spec §7.1): kube-prometheus-stack's values, the spec's scrape jobs, the rule files and
Alertmanager's routing, as plain data built from the settings (props/observability.py).

* Intervals: ``scrape_interval`` and ``evaluation_interval`` as the spec's ``global`` (15s).
* Alertmanager serves on 9093 (the spec's ``alertmanager:9093``); Prometheus finds it through the
  operator, which writes the ``alerting`` section.
* The spec's three jobs (API servers, nodes, annotated pods) are ``additionalScrapeConfigs``. The
  spec lists them without the relabelling that makes them scrape the right targets: the API-server
  job keeps only ``default/kubernetes:https`` (otherwise it would scrape every endpoint over
  HTTPS), the node job talks HTTPS to the kubelet with the service account's CA and token, and
  the pod job honours ``prometheus.io/path`` and ``prometheus.io/port`` besides the spec's
  ``prometheus.io/scrape=true``.
* Rule files are ``PrometheusRule`` objects (cluster health; error rate and latency of the
  services), which the operator loads as the spec's ``/etc/prometheus/rules/*.yml``.
* Alertmanager's webhook URL carries a token: it is read from a file (``url_file``) of a secret
  that the Vault Secrets Operator fills from Vault, never written here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from tonebridge.constructs.pod_defaults import (
    EVERY_NODE_TOLERATIONS,
    disruption_budget,
    restricted_container_context,
    restricted_pod_context,
)
from tonebridge.props.observability import AlertReceiverSettings, AlertRules, ObservabilitySettings

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
#: Where the operator mounts ``alertmanagerSpec.secrets`` in Alertmanager's pods.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"
#: Prometheus image's user and the chart's group (the chart's defaults).
PROMETHEUS_UID, PROMETHEUS_GID = 1000, 2000
#: Grafana image's user and group.
GRAFANA_UID = 472
#: cAdvisor series of containers only: the kubelet also reports each pod's own cgroup (container="", image="")
#: beside its containers', so an unfiltered sum by node counts every pod about twice (the chart's own recording
#: rules select the same way).
_CONTAINERS = 'job="kubelet", metrics_path="/metrics/cadvisor", container!="", image!=""'
#: Real disks only: not the in-memory and container overlay filesystems.
_DISKS = 'fstype!~"tmpfs|overlay"'
#: The Prometheus custom resource the chart creates (``<fullname>-prometheus``, fullname = release name).
PROMETHEUS_NAME = "kube-prometheus-stack-prometheus"
#: Labels the Prometheus Operator puts on that resource's pods (the chart's own PodDisruptionBudget
#: selects them by these two).
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": PROMETHEUS_NAME}
#: Ports: Prometheus's web and API (Grafana's data source), Elasticsearch's HTTP API.
PROMETHEUS_PORT = 9090


def _resources(cpu: str, memory: str, memory_limit: str | None = None) -> dict[str, dict[str, str]]:
    """Requests (what the scheduler and the capacity table count) and a memory limit."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit or memory}}


#: Requests of the stack's smaller pods, so that the pool they are placed on is sized by what they
#: need (the chart sets none). Where the chart's values.yaml suggests a size in its comments
#: (operator 100m/100Mi, Alertmanager 400Mi, Grafana 100m/128Mi, kube-state-metrics 10m/32Mi,
#: node-exporter 100m/30Mi, limits 50Mi) that is the request; the rest is this project's sizing.
COMPONENT_RESOURCES: dict[str, dict[str, dict[str, str]]] = {
    "operator": _resources("100m", "100Mi", "200Mi"),
    "config_reloader": _resources("10m", "50Mi"),
    "webhook_job": _resources("10m", "32Mi", "64Mi"),
    "alertmanager": _resources("50m", "400Mi", "512Mi"),
    "grafana": _resources("100m", "128Mi", "512Mi"),
    "grafana_sidecar": _resources("10m", "64Mi", "128Mi"),
    "kube_state_metrics": _resources("10m", "32Mi", "256Mi"),
    "node_exporter": _resources("100m", "30Mi", "50Mi"),
}


#: Secrets of the monitoring namespace that the Vault Secrets Operator fills: Grafana's admin login
#: (keys ``admin-user``, ``admin-password``) and Alertmanager's webhook URL (key ``receiver.webhook_key``).
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a secret's name
RECEIVER_SECRET = "alertmanager-webhook"  # noqa: S105 - a secret's name
#: Label of the ConfigMaps Grafana's dashboard sidecar loads.
DASHBOARD_LABEL = ("grafana_dashboard", "1")


def scrape_configs() -> list[dict[str, Any]]:
    """Spec §7.1's three jobs, with the relabelling that makes each scrape what it names."""
    in_cluster = {
        "scheme": "https",
        "tls_config": {"ca_file": f"{SERVICE_ACCOUNT_DIR}/ca.crt"},
        "bearer_token_file": f"{SERVICE_ACCOUNT_DIR}/token",
    }
    return [
        {
            "job_name": "kubernetes-apiservers",
            "kubernetes_sd_configs": [{"role": "endpoints"}],
            **in_cluster,
            "relabel_configs": [
                {
                    "source_labels": [
                        "__meta_kubernetes_namespace",
                        "__meta_kubernetes_service_name",
                        "__meta_kubernetes_endpoint_port_name",
                    ],
                    "action": "keep",
                    "regex": "default;kubernetes;https",
                }
            ],
        },
        {
            "job_name": "kubernetes-nodes",
            "kubernetes_sd_configs": [{"role": "node"}],
            **in_cluster,
            "relabel_configs": [{"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"}],
        },
        {
            "job_name": "kubernetes-pods",
            "kubernetes_sd_configs": [{"role": "pod"}],
            "relabel_configs": [
                {
                    "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                    "action": "keep",
                    "regex": "true",
                },
                {
                    "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
                    "action": "replace",
                    "target_label": "__metrics_path__",
                    "regex": "(.+)",
                },
                {
                    "source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                    "action": "replace",
                    "regex": "([^:]+)(?::\\d+)?;(\\d+)",
                    "replacement": "$1:$2",
                    "target_label": "__address__",
                },
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        },
    ]


def alertmanager_config(receiver: AlertReceiverSettings, secret: str) -> dict[str, Any]:
    """One route to the configured receiver, whose URL is key ``webhook_key`` of secret ``secret``;
    the chart's always-firing Watchdog goes nowhere."""
    url_file = f"{ALERTMANAGER_SECRETS_DIR}/{secret}/{receiver.webhook_key}"
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": receiver.name,
            "group_by": ["alertname", "namespace", "severity"],
            "group_wait": receiver.group_wait,
            "group_interval": receiver.group_interval,
            "repeat_interval": receiver.repeat_interval,
            "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}],
        },
        "receivers": [
            {
                "name": receiver.name,
                "webhook_configs": [{"url_file": url_file, "send_resolved": receiver.send_resolved}],
            },
            {"name": "null"},
        ],
        "inhibit_rules": [
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity = "warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
    }


def _rule(alert: str, expr: str, duration: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def prometheus_rules(namespace: str, t: AlertRules) -> list[dict[str, Any]]:
    """The rule files: cluster health, and error rate and latency of ``t.services``."""
    d = t.for_duration
    cluster = [
        _rule(
            "NodeNotReady",
            'kube_node_status_condition{condition="Ready",status="true"} == 0',
            d,
            "critical",
            "Node {{ $labels.node }} is not Ready.",
        ),
        _rule(
            "NodeHighCpu",
            f"sum(rate(container_cpu_usage_seconds_total{{{_CONTAINERS}}}[5m])) by (node)"
            f' / sum(kube_node_status_allocatable{{resource="cpu"}}) by (node) > {t.node_cpu_ratio}',
            d,
            "warning",
            "Node {{ $labels.node }} uses more than " + f"{t.node_cpu_ratio:.0%} of its allocatable CPU.",
        ),
        _rule(
            "NodeHighMemory",
            f"sum(container_memory_working_set_bytes{{{_CONTAINERS}}}) by (node)"
            f' / sum(kube_node_status_allocatable{{resource="memory"}}) by (node) > {t.node_memory_ratio}',
            d,
            "warning",
            "Node {{ $labels.node }} uses more than " + f"{t.node_memory_ratio:.0%} of its allocatable memory.",
        ),
        _rule(
            "NodeDiskFilling",
            f"(node_filesystem_size_bytes{{{_DISKS}}} - node_filesystem_free_bytes{{{_DISKS}}})"
            f" / node_filesystem_size_bytes{{{_DISKS}}} > {t.disk_usage_ratio}",
            d,
            "warning",
            "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is more than "
            + f"{t.disk_usage_ratio:.0%} full.",
        ),
        _rule(
            "PersistentVolumeFilling",
            f"kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > {t.disk_usage_ratio}",
            d,
            "warning",
            "Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} is filling up.",
        ),
        _rule(
            "PodCrashLooping",
            "increase(kube_pod_container_status_restarts_total[15m]) > 3",
            d,
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} restarts repeatedly.",
        ),
    ]
    services: list[dict[str, Any]] = []
    for service in t.services:
        where = f'destination_workload="{service}",destination_workload_namespace="{t.services_namespace}"'
        title = "".join(part.capitalize() for part in service.split("-"))
        services += [
            _rule(
                f"{title}HighErrorRate",
                f'sum(rate(istio_requests_total{{{where},response_code=~"5.."}}[5m]))'
                f" / sum(rate(istio_requests_total{{{where}}}[5m])) > {t.error_rate}",
                d,
                "critical",
                f"{service}: more than {t.error_rate:.0%} of requests fail with 5xx.",
            ),
            _rule(
                f"{title}HighLatency",
                "histogram_quantile(0.99, sum(rate("
                f"istio_request_duration_milliseconds_bucket{{{where}}}[5m])) by (le)) > {t.latency_p99_ms}",
                d,
                "warning",
                f"{service}: p99 latency above {t.latency_p99_ms} ms.",
            ),
        ]
    return [
        {
            "apiVersion": PROMETHEUS_RULE_API,
            "kind": "PrometheusRule",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"groups": [{"name": name, "rules": rules}]},
        }
        for name, rules in (("cluster-health", cluster), ("tonebridge-services", services))
    ]


def _volume(storage_class: str, size: str) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": storage_class,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
            }
        }
    }


def _disruption_budget(replicas: int) -> dict[str, Any]:
    """At most one pod down at a time. The chart's default ``minAvailable: 1`` is set to null, which
    deletes it in Helm's merge: the API server refuses a budget with both fields."""
    return disruption_budget(replicas, maxUnavailable=1, minAvailable=None)


def stack_values(
    settings: ObservabilitySettings,
    node_selector: Mapping[str, str] = MappingProxyType({}),
    tolerations: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """kube-prometheus-stack's values (keys of its values.yaml and of its subcharts'): ``settings.metrics``
    in ``settings.namespace`` with ``settings.dashboards.replicas`` Grafanas, node-exporter in
    ``settings.agents_namespace``; the operators, Prometheus, Alertmanager, Grafana and
    kube-state-metrics placed by ``node_selector`` and ``tolerations`` (the monitoring pool)."""
    s = settings.metrics
    placement = {"nodeSelector": dict(node_selector), "tolerations": [dict(t) for t in tolerations]}
    container = restricted_container_context()
    label, value = DASHBOARD_LABEL
    # EKS runs the control plane: its scheduler, controller manager, etcd and (node-local) kube-proxy
    # cannot be scraped from inside, so neither their monitors nor their rules are installed.
    hidden = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
    return {
        **{component: {"enabled": False} for component in hidden},
        # Their default rules follow the components' ``enabled`` (no separate switch is read).
        "defaultRules": {"create": True},
        "prometheusOperator": {
            **placement,
            "resources": COMPONENT_RESOURCES["operator"],
            "prometheusConfigReloader": {"resources": COMPONENT_RESOURCES["config_reloader"]},
            "securityContext": restricted_pod_context(uid=65534, gid=65534),
            "containerSecurityContext": container,
            "admissionWebhooks": {
                # The release does not wait for its pods (Grafana waits for Vault), so on the first
                # install the rule files may arrive before the webhook serves: skip it then, and only then.
                "failurePolicy": "IgnoreOnInstallOnly",
                "patch": {
                    **placement,
                    "resources": COMPONENT_RESOURCES["webhook_job"],
                    "securityContext": restricted_pod_context(uid=2000, gid=2000),
                },
            },
        },
        "prometheus": {
            "podDisruptionBudget": _disruption_budget(s.prometheus_replicas),
            "prometheusSpec": {
                "replicas": s.prometheus_replicas,
                "scrapeInterval": s.scrape_interval,
                "evaluationInterval": s.evaluation_interval,
                "retention": s.retention,
                "retentionSize": s.retention_size,
                "storageSpec": _volume(s.storage_class, s.storage_size),
                "additionalScrapeConfigs": scrape_configs(),
                # Every PrometheusRule, ServiceMonitor and PodMonitor of the cluster (CloudNativePG's
                # PodMonitor included), not only those labelled with this release.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "resources": s.prometheus_resources.manifest(),
                "securityContext": restricted_pod_context(uid=PROMETHEUS_UID, gid=PROMETHEUS_GID),
                **placement,
            },
        },
        "alertmanager": {
            "service": {"port": s.alertmanager_port},
            "podDisruptionBudget": _disruption_budget(s.alertmanager_replicas),
            "config": alertmanager_config(s.receiver, RECEIVER_SECRET),
            "alertmanagerSpec": {
                "replicas": s.alertmanager_replicas,
                "resources": COMPONENT_RESOURCES["alertmanager"],
                "secrets": [RECEIVER_SECRET],
                "storage": _volume(s.storage_class, s.alertmanager_storage_size),
                "securityContext": restricted_pod_context(uid=PROMETHEUS_UID, gid=PROMETHEUS_GID),
                **placement,
            },
        },
        "grafana": {
            "replicas": settings.dashboards.replicas,
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "defaultDashboardsEnabled": True,
            "resources": COMPONENT_RESOURCES["grafana"],
            "sidecar": {
                "dashboards": {"enabled": True, "label": label, "labelValue": value},
                "resources": COMPONENT_RESOURCES["grafana_sidecar"],
                "securityContext": container,
            },
            # Dashboards are provisioned from ConfigMaps and the login from a secret: no volume, and
            # so no root init container that chowns one (the chart renders that only with a volume).
            "persistence": {"enabled": False},
            "securityContext": restricted_pod_context(uid=GRAFANA_UID, gid=GRAFANA_UID),
            "containerSecurityContext": container,
            "grafana.ini": {
                "analytics": {"check_for_updates": False, "reporting_enabled": False},
                "auth.anonymous": {"enabled": False},
                "users": {"allow_sign_up": False},
            },
            **placement,
        },
        "kube-state-metrics": {
            **placement,
            "resources": COMPONENT_RESOURCES["kube_state_metrics"],
            "securityContext": restricted_pod_context(uid=65534, gid=65534),
            "containerSecurityContext": container,
        },
        # Host network, host PID and host paths: the agents' namespace, whose pod security says why.
        "prometheus-node-exporter": {
            "namespaceOverride": settings.agents_namespace,
            "resources": COMPONENT_RESOURCES["node_exporter"],
            "tolerations": [dict(t) for t in EVERY_NODE_TOLERATIONS],
        },
    }

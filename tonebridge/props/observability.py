"""Settings of the observability stack (spec §7.1-§7.3), the construct's input as they are the
configuration's schema: ``platform.<region>.observability`` is :class:`ObservabilitySettings` (metrics
with its alert rules and receiver, dashboards, logs, the cloud-side alarms), with the spec's values as
defaults where the spec gives them, and
:class:`~tonebridge.constructs.observability.ObservabilityStack` takes that same object beside the
wiring the stack resolves (the cluster's version and node range, Vault, placement). Each rule on a
setting is declared once, here, as a field constraint; cross-field rules that need the rest of the
configuration (the namespace exists, secrets are on, the pool has a node group) are in
``config/platform_observability.py``; the construct checks only its wiring.

* ``metrics``: kube-prometheus-stack (Prometheus, Alertmanager, the Prometheus Operator, node-exporter).
* ``dashboards``: Grafana with the spec's "Infrastructure Overview" dashboard.
* ``logs``: the ECK operator, Elasticsearch and Kibana, Filebeat on every node.
* ``cloud_alarms``: CloudWatch alarms (infrastructure stack) for what Prometheus cannot see.

Secrets (Grafana's admin login, Alertmanager's webhook URL) live in Vault and reach the cluster
through the Vault Secrets Operator, as the monitoring namespace's own Vault role.

Placement (``node_pool``): spec §2.2 puts monitoring in the private-management subnets, so
Prometheus, Alertmanager, Grafana, the Prometheus Operator, kube-state-metrics and the ECK operator
run on the management pool by default; its node group must exist in the region's cluster.

cdktf-free (the rules layer): config imports it as a field type, the construct as its input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.props.pools import MANAGEMENT_POOL, SYSTEM_POOL, Toleration
from tonebridge.props.types import ContainerResources, DnsLabel, Quantity, StrictModel
from tonebridge.props.vault import VaultPath, VaultRole

#: Prometheus durations as its configuration writes them ("15s", "1m", "30d").
Duration = Annotated[str, Field(pattern=r"^[1-9]\d*(ms|s|m|h|d|w|y)$")]
Port = Annotated[int, Field(ge=1, le=65535)]
#: Elastic Stack version (spec §7.2: 8.11.0, past its end of life: the current release of that line).
StackVersion = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
#: Pools the monitoring stack may run on, by ``node_pool`` name (selector and tolerations).
MONITORING_POOLS: dict[str, tuple[dict[str, str], tuple[Toleration, ...]]] = {
    "management": MANAGEMENT_POOL,
    "system": SYSTEM_POOL,
}
#: Node groups of the management pool sit in this subnet tier (spec §2.2).
MANAGEMENT_TIER = "management"


class AlertRules(StrictModel):
    """Alert thresholds of the rule files (spec §7.1 ``rule_files``); ``services`` are Istio
    ``destination_workload`` names in ``services_namespace``."""

    services: list[DnsLabel] = Field(
        default_factory=lambda: ["api-gateway", "llm-service"],
        min_length=1,
        description="Workloads (Istio destination_workload) whose error rate and latency are alerted on.",
    )
    services_namespace: DnsLabel = Field(
        default="production", description="Namespace of those workloads (Istio destination_workload_namespace)."
    )
    error_rate: float = Field(default=0.05, gt=0, lt=1, description="Share of 5xx responses over 5 minutes.")
    latency_p99_ms: int = Field(default=2000, ge=10, description="99th percentile request latency.")
    node_cpu_ratio: float = Field(
        default=0.9, gt=0, le=1, description="Share of a node's allocatable CPU in use above which NodeHighCpu fires."
    )
    node_memory_ratio: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of a node's allocatable memory in use (working set) above which NodeHighMemory fires.",
    )
    disk_usage_ratio: float = Field(
        default=0.85,
        gt=0,
        lt=1,
        description="Share of a node filesystem or a persistent volume in use above which NodeDiskFilling or "
        "PersistentVolumeFilling fires.",
    )
    for_duration: Duration = Field(default="10m", description="How long a condition holds before it fires.")


class VaultSecretRef(StrictModel):
    """A Vault KV v2 secret (``mount``/``path``) that the Vault Secrets Operator copies into the
    monitoring namespace (spec §8.2's path)."""

    mount: VaultPath = Field(default="secret", description="Mount path of the KV v2 secrets engine.")
    path: VaultPath = Field(description="The secret's path under the mount (without `data/`).")


class AlertReceiverSettings(StrictModel):
    """Where Alertmanager (§7.1) sends alerts: a webhook whose URL (it carries a token) lives in Vault."""

    name: DnsLabel = Field(default="oncall", description="The receiver's name in Alertmanager's route.")
    webhook: VaultSecretRef = VaultSecretRef(path="monitoring/alertmanager")
    webhook_key: str = Field(
        default="url", pattern=r"^[A-Za-z0-9_.-]+$", description="Key of the Vault secret that holds the webhook URL."
    )
    group_wait: Duration = Field(
        default="30s", description="How long Alertmanager waits to gather a new group's alerts before notifying."
    )
    group_interval: Duration = Field(
        default="5m", description="How long it waits before notifying of alerts added to a group already notified."
    )
    repeat_interval: Duration = Field(
        default="4h", description="How long before an alert still firing is notified again."
    )
    send_resolved: bool = Field(default=True, description="Also notify when an alert stops firing.")


class MetricsSettings(StrictModel):
    """kube-prometheus-stack (Prometheus, Alertmanager, the Prometheus Operator, node-exporter) with spec
    §7.1's intervals, Alertmanager port and scrape jobs."""

    # The configuration's ``observability.metrics`` is, as it is, the input of metrics.stack_values.

    scrape_interval: Duration = Field(default="15s", description="How often Prometheus scrapes every target (§7.1).")
    evaluation_interval: Duration = Field(
        default="15s", description="How often Prometheus evaluates the alert rules (§7.1)."
    )
    alertmanager_port: Port = Field(
        default=9093, description="Port of Alertmanager's Service (§7.1 alertmanager:9093)."
    )
    prometheus_replicas: int = Field(
        default=2, ge=1, le=5, description="Prometheus servers, each scraping everything into its own volume."
    )
    alertmanager_replicas: int = Field(
        default=3, ge=1, le=5, description="Alertmanager peers; they deduplicate notifications between them."
    )
    retention: Duration = Field(default="15d", description="Age after which Prometheus deletes samples.")
    retention_size: str = Field(
        default="90GB",
        pattern=r"^\d+(MB|GB|TB)$",
        description="Size of stored samples beyond which Prometheus deletes the oldest; at most 90 % of "
        "`storage_size` (the WAL and compaction need the rest). Prometheus reads MB/GB/TB as binary (GB = GiB).",
    )
    storage_size: Quantity = Field(default="100Gi", description="Volume of each Prometheus replica.")
    alertmanager_storage_size: Quantity = Field(
        default="10Gi", description="Volume of each Alertmanager replica (silences and notification log)."
    )
    storage_class: DnsLabel = Field(
        default="fast-ssd", description="StorageClass of the Prometheus and Alertmanager volumes."
    )
    prometheus_resources: ContainerResources = ContainerResources(
        cpu_request="1", memory_request="4Gi", cpu_limit="2", memory_limit="8Gi"
    )
    rules: AlertRules = AlertRules()
    receiver: AlertReceiverSettings = AlertReceiverSettings()
    scrape_ports: list[Port] = Field(
        default_factory=lambda: [15020],
        description="Ports Prometheus may reach in namespaces with a default deny (15020: Istio's merged metrics).",
    )


class DashboardsSettings(StrictModel):
    """Grafana (spec §7.3); its admin login comes from Vault, never from configuration."""

    replicas: int = Field(
        default=1, ge=1, le=5, description="Grafana pods (no volume: dashboards come from ConfigMaps)."
    )
    admin: VaultSecretRef = VaultSecretRef(path="monitoring/grafana")


class NodeSetSettings(StrictModel):
    """One Elasticsearch node set of spec §7.2: ``master`` (master role) or ``data`` (data and ingest roles)."""

    count: int = Field(
        ge=1, le=50, description="Elasticsearch nodes of the set (the master set's count must be odd, for a quorum)."
    )
    storage_size: Quantity = Field(description="Data volume of each node.")
    resources: ContainerResources


class LogsSettings(StrictModel):
    """ECK (spec §7.2): Elasticsearch with the spec's node sets, Kibana, Filebeat on every node."""

    enabled: bool = Field(
        default=True, description="Run Elasticsearch, Kibana and Filebeat under the ECK operator (§7.2)."
    )
    namespace: DnsLabel = Field(
        default="logging",
        description="Namespace of Elasticsearch and Kibana, created by the stack with a default deny.",
    )
    operator_namespace: DnsLabel = Field(default="elastic-system", description="Namespace of the ECK operator.")
    version: StackVersion = Field(
        default=versions.version("elastic-stack"),
        description="Version of Elasticsearch, Kibana and Filebeat together (tonebridge/versions.yaml; §7.2's 8.11.0 "
        "is past its end of life).",
    )
    storage_class: DnsLabel = Field(default="fast-ssd", description="StorageClass of the Elasticsearch volumes.")
    master: NodeSetSettings = NodeSetSettings(
        count=3,
        storage_size="10Gi",
        resources=ContainerResources(cpu_request="500m", memory_request="2Gi", cpu_limit="1", memory_limit="2Gi"),
    )
    data: NodeSetSettings = NodeSetSettings(
        count=3,
        storage_size="100Gi",
        resources=ContainerResources(cpu_request="1", memory_request="8Gi", cpu_limit="2", memory_limit="8Gi"),
    )
    kibana_count: int = Field(default=2, ge=1, le=5, description="Kibana pods (on the application pool).")
    kibana_resources: ContainerResources = ContainerResources(
        cpu_request="500m", memory_request="1Gi", cpu_limit="1", memory_limit="2Gi"
    )
    retention_days: int = Field(default=30, ge=1, le=3650, description="Log indices are deleted after this.")
    rollover_size: str = Field(default="50gb", pattern=r"^\d+(mb|gb)$", description="Primary shard size.")
    rollover_age: str = Field(
        default="1d", pattern=r"^\d+[hd]$", description="Age at which an index rolls over even below `rollover_size`."
    )


class CloudAlarmsSettings(StrictModel):
    """CloudWatch alarms of the infrastructure stack for what Prometheus (§7.1) cannot see (RDS, NAT gateways,
    the EKS audit log), sent to an SNS topic under a customer key."""

    enabled: bool = Field(
        default=True, description="Create the alarms and their topic (where the observability stack is enabled)."
    )
    period_seconds: int = Field(
        default=300, ge=60, le=86400, description="Length of one evaluation period; a multiple of 60."
    )
    evaluation_periods: int = Field(
        default=3, ge=1, le=100, description="Consecutive periods past the threshold before an alarm fires."
    )
    rds_cpu_percent: float = Field(
        default=80, gt=0, le=100, description="Average CPU, in percent, above which an RDS instance alarms."
    )
    rds_free_storage_gib: int = Field(default=10, ge=1, description="Free storage below which an RDS instance alarms.")
    rds_replica_lag_seconds: int = Field(
        default=300, ge=1, description="Lag behind its primary above which the replica alarms."
    )
    nat_packets_dropped: int = Field(default=100, ge=1, description="Packets dropped per period.")
    nat_port_allocation_errors: int = Field(
        default=1, ge=1, description="Connections a NAT gateway refused per period for lack of source ports."
    )
    forbidden_api_calls: int = Field(
        default=50, ge=1, description="EKS API requests answered 403 per period (audit log) before the alarm fires."
    )


def _data_path(ref: VaultSecretRef) -> str:
    return f"{ref.mount}/data/{ref.path}"


class ObservabilitySettings(StrictModel):
    """The observability stack of one region (spec §7.1-§7.3); off unless enabled."""

    enabled: bool = Field(
        default=False,
        description="Deploy the stack in this region (metrics, dashboards, logs) and the cloud alarms; needs "
        "platform secrets.",
    )
    namespace: DnsLabel = Field(default="monitoring", description="One of platform.<region>.namespaces (spec §3.2).")
    agents_namespace: DnsLabel = Field(
        default="node-agents",
        description="node-exporter and Filebeat: host network, PID and paths, so a privileged namespace of their own.",
    )
    vault_role: DnsLabel = Field(
        default="monitoring",
        description="Vault Kubernetes auth role of the monitoring namespace; reads only Grafana's login and the "
        "alert webhook.",
    )
    vault_service_account: DnsLabel = Field(
        default="monitoring-vault", description="ServiceAccount the Vault Secrets Operator logs in with for that role."
    )
    node_pool: Literal["management", "system"] = Field(
        default="management",
        description="Pool of Prometheus, Alertmanager, Grafana and the operators (spec §2.2: the management tier).",
    )
    metrics: MetricsSettings = MetricsSettings()
    dashboards: DashboardsSettings = DashboardsSettings()
    logs: LogsSettings = LogsSettings()
    cloud_alarms: CloudAlarmsSettings = CloudAlarmsSettings()

    def vault_grant(self) -> VaultRole:
        """The monitoring namespace's Vault role for the bootstrap: read-only on exactly its two secrets."""
        return VaultRole(
            role=self.vault_role,
            service_account=self.vault_service_account,
            namespace=self.namespace,
            paths=(_data_path(self.dashboards.admin), _data_path(self.metrics.receiver.webhook)),
            subject="Grafana's admin login and the alert webhook",
        )

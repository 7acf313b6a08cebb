"""Typed models of ``platform.<region>.observability`` (spec §7.1, §7.2, §7.3) and the cloud-side
alarms of the same region, with the spec's values as defaults where the spec gives them.

* ``metrics``: kube-prometheus-stack (Prometheus, Alertmanager, the Prometheus Operator, node-exporter).
* ``dashboards``: Grafana with the spec's "Infrastructure Overview" dashboard.
* ``logs``: the ECK operator, Elasticsearch and Kibana, Filebeat on every node.
* ``cloud_alarms``: CloudWatch alarms (infrastructure stack) for what Prometheus cannot see.

Secrets (Grafana's admin login, Alertmanager's webhook URL) live in Vault and reach the cluster
through the Vault Secrets Operator, as the monitoring namespace's own Vault role.

Placement (``node_pool``): spec §2.2 puts monitoring in the private-management subnets, so
Prometheus, Alertmanager, Grafana, the Prometheus Operator, kube-state-metrics and the ECK operator
run on the management pool by default; its node group must exist in the region's cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.config.errors import Problem
from tonebridge.config.types import StrictModel
from tonebridge.props.observability import AlertReceiverSettings, MetricsSettings, VaultSecretRef
from tonebridge.props.pools import MANAGEMENT_POOL, SYSTEM_POOL, Toleration
from tonebridge.props.types import ContainerResources, DnsLabel, Quantity

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

#: Elastic Stack version (spec §7.2: 8.11.0, past its end of life: the current release of that line).
StackVersion = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
#: Pools the monitoring stack may run on, by ``node_pool`` name (selector and tolerations).
MONITORING_POOLS: dict[str, tuple[dict[str, str], tuple[Toleration, ...]]] = {
    "management": MANAGEMENT_POOL,
    "system": SYSTEM_POOL,
}
#: Node groups of the management pool sit in this subnet tier (spec §2.2).
MANAGEMENT_TIER = "management"


#: The configuration's names of the settings the observability construct takes as they are.
AlertReceiverConfig = AlertReceiverSettings
MetricsConfig = MetricsSettings


class DashboardsConfig(StrictModel):
    """Grafana (spec §7.3); its admin login comes from Vault, never from configuration."""

    replicas: int = Field(default=1, ge=1, le=5)
    admin: VaultSecretRef = VaultSecretRef(path="monitoring/grafana")


class NodeSetConfig(StrictModel):
    """One Elasticsearch node set."""

    count: int = Field(ge=1, le=50)
    storage_size: Quantity
    resources: ContainerResources


class LogsConfig(StrictModel):
    """ECK (spec §7.2): Elasticsearch with the spec's node sets, Kibana, Filebeat on every node."""

    enabled: bool = True
    namespace: DnsLabel = "logging"
    operator_namespace: DnsLabel = "elastic-system"
    version: StackVersion = versions.version("elastic-stack")
    storage_class: DnsLabel = "fast-ssd"
    master: NodeSetConfig = NodeSetConfig(
        count=3,
        storage_size="10Gi",
        resources=ContainerResources(cpu_request="500m", memory_request="2Gi", cpu_limit="1", memory_limit="2Gi"),
    )
    data: NodeSetConfig = NodeSetConfig(
        count=3,
        storage_size="100Gi",
        resources=ContainerResources(cpu_request="1", memory_request="8Gi", cpu_limit="2", memory_limit="8Gi"),
    )
    kibana_count: int = Field(default=2, ge=1, le=5)
    retention_days: int = Field(default=30, ge=1, le=3650, description="Log indices are deleted after this.")
    rollover_size: str = Field(default="50gb", pattern=r"^\d+(mb|gb)$", description="Primary shard size.")
    rollover_age: str = Field(default="1d", pattern=r"^\d+[hd]$")


class CloudAlarmsConfig(StrictModel):
    """CloudWatch alarms of the infrastructure stack, sent to an SNS topic under a customer key."""

    enabled: bool = True
    period_seconds: int = Field(default=300, ge=60, le=86400)
    evaluation_periods: int = Field(default=3, ge=1, le=100)
    rds_cpu_percent: float = Field(default=80, gt=0, le=100)
    rds_free_storage_gib: int = Field(default=10, ge=1)
    rds_replica_lag_seconds: int = Field(default=300, ge=1)
    nat_packets_dropped: int = Field(default=100, ge=1, description="Packets dropped per period.")
    nat_port_allocation_errors: int = Field(default=1, ge=1)
    forbidden_api_calls: int = Field(
        default=50, ge=1, description="EKS API requests answered 403 per period (audit log) before the alarm fires."
    )


class ObservabilityConfig(StrictModel):
    """The observability stack of one region; off unless enabled."""

    enabled: bool = False
    namespace: DnsLabel = Field(default="monitoring", description="One of platform.<region>.namespaces (spec §3.2).")
    agents_namespace: DnsLabel = Field(
        default="node-agents",
        description="node-exporter and Filebeat: host network, PID and paths, so a privileged namespace of their own.",
    )
    vault_role: DnsLabel = "monitoring"
    vault_service_account: DnsLabel = "monitoring-vault"
    node_pool: Literal["management", "system"] = Field(
        default="management",
        description="Pool of Prometheus, Alertmanager, Grafana and the operators (spec §2.2: the management tier).",
    )
    metrics: MetricsConfig = MetricsConfig()
    dashboards: DashboardsConfig = DashboardsConfig()
    logs: LogsConfig = LogsConfig()
    cloud_alarms: CloudAlarmsConfig = CloudAlarmsConfig()


def observability_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Cross-field rules: the monitoring namespace exists and is restricted; secrets come from Vault
    through the Vault Secrets Operator (``secrets`` on), as a role of the namespace's own; the agents'
    namespace is none of the platform's namespaces (its pod security is relaxed); the pool it is
    placed on has a node group in the region's cluster."""
    for region, platform in cfg.platform.items():
        obs = platform.observability
        if not obs.enabled:
            continue
        at = ("platform", region, "observability")
        ns = platform.namespaces.get(obs.namespace)
        if ns is None:
            yield Problem((*at, "namespace"), f"{obs.namespace!r} is not one of platform.{region}.namespaces")
        elif ns.pod_security != "restricted":
            yield Problem((*at, "namespace"), f"{obs.namespace!r} must be restricted (only the agents are not)")
        if obs.agents_namespace in platform.namespaces or obs.agents_namespace in (obs.namespace, obs.logs.namespace):
            yield Problem(
                (*at, "agents_namespace"),
                f"{obs.agents_namespace!r} is privileged for node agents: it must be a namespace of its own",
            )
        if not platform.secrets.enabled:
            yield Problem(
                (*at, "enabled"),
                "Grafana's login and the alert webhook come from Vault: needs platform.<region>.secrets.enabled",
            )
        app = platform.secrets.application
        if obs.vault_role in (app.role, platform.redis.password.role):
            yield Problem((*at, "vault_role"), f"{obs.vault_role!r} is another component's Vault role")
        pool_problem = _pool_problem(cfg, region, obs.node_pool)
        if pool_problem:
            yield Problem((*at, "node_pool"), pool_problem)
        if obs.logs.enabled and obs.logs.master.count % 2 == 0:
            yield Problem((*at, "logs", "master", "count"), "master-eligible nodes must be odd to keep a quorum")


def _pool_problem(cfg: EnvironmentConfig, region: str, pool: str) -> str | None:
    """Why no node group of ``region``'s cluster can take the monitoring pods, or None."""
    selector = MONITORING_POOLS[pool][0]
    cluster = cfg.clusters.get(region)
    groups = cluster.node_groups.values() if cluster else ()
    for group in groups:
        if group.labels.items() >= selector.items() and (pool != "management" or group.subnet_tier == MANAGEMENT_TIER):
            return None
    where = " with subnet_tier management" if pool == "management" else ""
    label = ",".join(f"{k}={v}" for k, v in selector.items())
    return f"no node group of clusters.{region} is labelled {label}{where}: add one or choose another pool"

"""``platform.<region>.observability`` (spec §7.1, §7.2, §7.3) and the cloud-side alarms of the same
region: the settings models are the observability construct's own (tonebridge/props/observability.py);
this module keeps the configuration's names for them and the cross-field rules that need the rest of
the environment (the namespace exists and is restricted, secrets come from Vault, the pool has a node
group in the region's cluster).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from tonebridge.config.errors import Problem
from tonebridge.props.observability import (
    MANAGEMENT_TIER,
    MONITORING_POOLS,
    AlertReceiverSettings,
    CloudAlarmsSettings,
    DashboardsSettings,
    LogsSettings,
    MetricsSettings,
    NodeSetSettings,
    ObservabilitySettings,
    StackVersion,
)
from tonebridge.quantities import parse_quantity

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

#: The configuration's names of the settings the observability construct takes as they are.
AlertReceiverConfig = AlertReceiverSettings
MetricsConfig = MetricsSettings
DashboardsConfig = DashboardsSettings
NodeSetConfig = NodeSetSettings
LogsConfig = LogsSettings
CloudAlarmsConfig = CloudAlarmsSettings
ObservabilityConfig = ObservabilitySettings

__all__ = [
    "MANAGEMENT_TIER",
    "MONITORING_POOLS",
    "AlertReceiverConfig",
    "CloudAlarmsConfig",
    "DashboardsConfig",
    "LogsConfig",
    "MetricsConfig",
    "NodeSetConfig",
    "ObservabilityConfig",
    "StackVersion",
    "observability_problems",
]


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
        if problem := retention_size_problem(obs.metrics.retention_size, obs.metrics.storage_size):
            yield Problem((*at, "metrics", "retention_size"), problem)
        pool_problem = _pool_problem(cfg, region, obs.node_pool)
        if pool_problem:
            yield Problem((*at, "node_pool"), pool_problem)
        if obs.logs.enabled and obs.logs.master.count % 2 == 0:
            yield Problem((*at, "logs", "master", "count"), "master-eligible nodes must be odd to keep a quorum")


#: The share of the volume that retention_size may take: the WAL, the head block and a compaction's
#: new block live outside it, and Prometheus prunes only once the blocks reach it.
RETENTION_SHARE = Decimal("0.9")
#: Prometheus reads retention_size with Base2Bytes: its KB, MB, GB, TB are KiB, MiB, GiB, TiB
#: (prometheus/prometheus#10154: ``500GB`` shows as ``500GiB`` on /flags).
_PROMETHEUS_UNITS = {"KB": 1, "MB": 2, "GB": 3, "TB": 4}


def retention_size_problem(retention_size: str, storage_size: str) -> str | None:
    """``retention_size`` must stay below the volume with a margin, or the disk fills before
    Prometheus prunes and writes (WAL, compaction) fail."""
    number, unit = retention_size[:-2], retention_size[-2:]
    retained = Decimal(number) * 1024 ** _PROMETHEUS_UNITS[unit]
    volume = parse_quantity(storage_size)
    if retained > volume * RETENTION_SHARE:
        gib = retained / 1024**3
        return (
            f"{retention_size} ({gib:g} GiB: Prometheus reads GB as GiB) is above {RETENTION_SHARE:.0%} of the "
            f"volume storage_size {storage_size}; the disk would fill before Prometheus prunes (WAL and compaction "
            "need the rest)"
        )
    return None


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

"""The infrastructure stack's CloudWatch alarms: ``platform.<region>.observability.cloud_alarms``
mapped onto :class:`~tonebridge.constructs.cloud_alarms.CloudAlarms`, for the region's RDS instance
(the primary, or the secondary's read replica) and NAT gateways. Output: ``alarms_topic_arn``, the
topic that on-call subscriptions are added to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdktf import TerraformOutput

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.cloud_alarms import CloudAlarms, CloudAlarmsProps

if TYPE_CHECKING:
    from tonebridge.stacks.infrastructure import InfrastructureStack


def add_cloud_alarms(stack: InfrastructureStack, env: EnvironmentConfig, region: str) -> CloudAlarms | None:
    """The region's alarms and their topic, or None where observability or its alarms are off."""
    platform = env.platform.get(region)
    if platform is None or not platform.observability.enabled or not platform.observability.cloud_alarms.enabled:
        return None
    cfg = platform.observability.cloud_alarms
    replica = stack.database_replica
    replicas = {"replica": replica.instance.identifier} if replica and replica.instance else {}
    # The replica's CPU and storage count as much as the primary's: it becomes the primary on failover.
    databases = {"primary": stack.database.identifier} if stack.database else dict(replicas)
    zones = env.network[region].availability_zones
    alarms = CloudAlarms(
        stack,
        "alarms",
        CloudAlarmsProps(
            name=f"{env.tags['Project']}-{env.name}-{region}",
            databases=databases,
            replicas=replicas,
            # One gateway per zone, or only the first zone's (nat: single): the VPC keeps zone order.
            nat_gateways=dict(zip(zones, stack.vpc.nat_gateway_ids, strict=False)),
            period_seconds=cfg.period_seconds,
            evaluation_periods=cfg.evaluation_periods,
            rds_cpu_percent=cfg.rds_cpu_percent,
            rds_free_storage_gib=cfg.rds_free_storage_gib,
            rds_replica_lag_seconds=cfg.rds_replica_lag_seconds,
            nat_packets_dropped=cfg.nat_packets_dropped,
            nat_port_allocation_errors=cfg.nat_port_allocation_errors,
            control_plane_log_group=stack.cluster.log_group_name,
            forbidden_api_calls=cfg.forbidden_api_calls,
        ),
    )
    TerraformOutput(stack, "alarms_topic_arn", value=alarms.topic_arn)
    return alarms

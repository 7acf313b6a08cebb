"""The infrastructure stack's CloudWatch alarms (``platform.<region>.observability.cloud_alarms``): the
region's RDS instance (the primary, or the secondary's read replica) and NAT gateways, and the EKS API's
refusals. Output ``alarms_topic_arn``: the topic that on-call subscriptions are added to."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.constructs.cloud_alarms import AlarmThresholds, CloudAlarms, CloudAlarmsProps
from tonebridge.constructs.cluster import TonebridgeCluster
from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.features.database import RegionalDatabase
from tonebridge.features.region import RegionPlacement


def add_cloud_alarms(
    scope: Construct,
    settings: AlarmThresholds | None,
    at: RegionPlacement,
    database: RegionalDatabase,
    vpc: TonebridgeVpc,
    zones: Sequence[str],
    cluster: TonebridgeCluster,
) -> CloudAlarms | None:
    """The region's alarms (id ``alarms``) with ``settings``' thresholds, and their topic; None without
    settings (observability or its alarms off). ``zones``: the VPC's availability zones, in its order."""
    if settings is None:
        return None
    replica = database.replica
    replicas = {"replica": replica.instance.identifier} if replica and replica.instance else {}
    # The replica's CPU and storage count as much as the primary's: it becomes the primary on failover.
    databases = {"primary": database.primary.identifier} if database.primary else dict(replicas)
    alarms = CloudAlarms(
        scope,
        "alarms",
        CloudAlarmsProps(
            at.name,
            settings,
            databases,
            replicas,
            # One gateway per zone, or only the first zone's (nat: single): the VPC keeps zone order.
            nat_gateways=dict(zip(zones, vpc.nat_gateway_ids, strict=False)),
            control_plane_log_group=cluster.log_group_name,
        ),
    )
    TerraformOutput(scope, "alarms_topic_arn", value=alarms.topic_arn)
    return alarms

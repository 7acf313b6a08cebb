"""CloudAlarms: CloudWatch alarms for what the in-cluster Prometheus cannot see, sent to an encrypted SNS topic.

Prometheus (spec §7.1) watches the cluster. Managed services outside it report to CloudWatch only:
the RDS instances (CPU, free storage, a replica's lag behind its primary) and the NAT gateways (port
allocation errors: connections refused for lack of source ports; dropped packets). The EKS control
plane's audit log is in CloudWatch Logs: a metric filter counts the API requests it answered with 403,
whose surge means a misconfigured client or someone probing the API. Each alarm notifies one SNS
topic on alarm and on recovery.

* The topic is encrypted with a customer key (rotation on). CloudWatch publishes to an encrypted
  topic only if the key policy lets it generate data keys and decrypt, so the key names
  ``cloudwatch.amazonaws.com``; nothing else outside IAM of this account may use it.
* The topic policy lets CloudWatch of this account publish (``aws:SourceAccount``) and denies every
  request that is not over TLS.
* Subscriptions (an on-call endpoint, an email list) are operational data added outside this code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, ServiceGrant

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
GIB = 1024**3
#: Where metrics derived from log filters are published.
METRIC_NAMESPACE = "ToneBridge/ControlPlane"


class AlarmThresholds(Protocol):
    """What the alarms read of the ``observability.cloud_alarms`` settings (the configuration's model,
    which validates them: whole minutes, at least one period, CPU within 100 %)."""

    period_seconds: int
    evaluation_periods: int
    rds_cpu_percent: float
    rds_free_storage_gib: int
    rds_replica_lag_seconds: int
    nat_packets_dropped: int
    nat_port_allocation_errors: int
    forbidden_api_calls: int


@dataclass(frozen=True)
class CloudAlarmsProps:
    """:param name: prefix of the topic, key alias and alarm names.
    :param settings: the thresholds, the period and how many periods a breach lasts before an alarm
        fires (the ``observability.cloud_alarms`` section itself).
    :param databases: RDS instances whose CPU and free storage are watched, identifier by label
        (labels name the alarms: identifiers may be tokens of the instances).
    :param replicas: RDS read replicas whose ``ReplicaLag`` is watched, the same way.
    :param nat_gateways: NAT gateways whose errors are watched, id by availability zone.
    :param control_plane_log_group: the EKS cluster's log group (audit log), or None.
    """

    name: str
    settings: AlarmThresholds
    databases: Mapping[str, str] = field(default_factory=dict)
    replicas: Mapping[str, str] = field(default_factory=dict)
    nat_gateways: Mapping[str, str] = field(default_factory=dict)
    control_plane_log_group: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"cloud alarms: name {self.name!r} must be 1-200 of [A-Za-z0-9_-]")
        for label in (*self.databases, *self.replicas, *self.nat_gateways):
            if not _NAME.match(label):
                raise ValueError(f"cloud alarms: label {label!r} must be of [A-Za-z0-9_-]")


class CloudAlarms(Construct):
    """Attributes: ``topic`` (aws_sns_topic), ``topic_arn``, ``key`` (EncryptionKey), ``alarms`` (by name)."""

    def __init__(self, scope: Construct, id_: str, props: CloudAlarmsProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        aws = AwsContext.of(self)
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=f"{props.name}-alarms",
                description=f"{props.name}: SNS topic of the CloudWatch alarms",
                service_grants=[
                    ServiceGrant(
                        principal="cloudwatch.amazonaws.com",
                        actions=("kms:Decrypt", "kms:GenerateDataKey*"),
                        source_arn=f"arn:*:cloudwatch:{aws.region}:{{account}}:alarm:*",
                    )
                ],
            ),
        )
        self.topic = SnsTopic(self, "topic", name=f"{props.name}-alarms", kms_master_key_id=self.key.arn)
        alarms_arn = f"arn:{aws.partition}:cloudwatch:{aws.region}:{aws.account_id}:alarm:*"
        self.topic_arn: str = self.topic.arn
        SnsTopicPolicy(
            self,
            "topic-policy",
            arn=self.topic.arn,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudWatchPublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": self.topic.arn,
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": aws.account_id},
                                "ArnLike": {"aws:SourceArn": alarms_arn},
                            },
                        },
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:*",
                            "Resource": self.topic.arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                }
            ),
        )
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for label, db in props.databases.items():
            self._alarm(
                f"rds-cpu-{label}",
                "AWS/RDS",
                "CPUUtilization",
                {"DBInstanceIdentifier": db},
                "GreaterThanThreshold",
                props.settings.rds_cpu_percent,
                "Average",
                f"RDS {label}: CPU above {props.settings.rds_cpu_percent}%",
            )
            self._alarm(
                f"rds-free-storage-{label}",
                "AWS/RDS",
                "FreeStorageSpace",
                {"DBInstanceIdentifier": db},
                "LessThanThreshold",
                props.settings.rds_free_storage_gib * GIB,
                "Minimum",
                f"RDS {label}: less than {props.settings.rds_free_storage_gib} GiB of storage left",
            )
        for label, db in props.replicas.items():
            self._alarm(
                f"rds-replica-lag-{label}",
                "AWS/RDS",
                "ReplicaLag",
                {"DBInstanceIdentifier": db},
                "GreaterThanThreshold",
                props.settings.rds_replica_lag_seconds,
                "Maximum",
                f"RDS {label}: more than {props.settings.rds_replica_lag_seconds} s behind its primary",
            )
        for zone, nat in props.nat_gateways.items():
            self._alarm(
                f"nat-port-allocation-{zone}",
                "AWS/NATGateway",
                "ErrorPortAllocation",
                {"NatGatewayId": nat},
                "GreaterThanOrEqualToThreshold",
                props.settings.nat_port_allocation_errors,
                "Sum",
                f"NAT gateway in {zone} could not allocate source ports",
                missing="notBreaching",
            )
            self._alarm(
                f"nat-packets-dropped-{zone}",
                "AWS/NATGateway",
                "PacketsDropCount",
                {"NatGatewayId": nat},
                "GreaterThanThreshold",
                props.settings.nat_packets_dropped,
                "Sum",
                f"NAT gateway in {zone} dropped more than {props.settings.nat_packets_dropped} packets per period",
                missing="notBreaching",
            )

        if props.control_plane_log_group:
            self._forbidden_api_calls(props.control_plane_log_group)

    def _forbidden_api_calls(self, log_group: str) -> None:
        props = self.props
        metric = f"{props.name}-forbidden-api-calls"
        CloudwatchLogMetricFilter(
            self,
            "forbidden-api-calls",
            name=metric,
            log_group_name=log_group,
            pattern="{ $.responseStatus.code = 403 }",
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                name=metric, namespace=METRIC_NAMESPACE, value="1", default_value="0"
            ),
        )
        self._alarm(
            "eks-forbidden-api-calls",
            METRIC_NAMESPACE,
            metric,
            {},
            "GreaterThanThreshold",
            props.settings.forbidden_api_calls,
            "Sum",
            f"EKS API: more than {props.settings.forbidden_api_calls} requests answered 403 per period",
            missing="notBreaching",
        )

    def _alarm(
        self,
        suffix: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        comparison: str,
        threshold: float,
        statistic: str,
        description: str,
        *,
        missing: str = "missing",
    ) -> None:
        props = self.props
        name = f"{props.name}-{suffix}"
        self.alarms[suffix] = CloudwatchMetricAlarm(
            self,
            suffix,
            alarm_name=name,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions or None,
            comparison_operator=comparison,
            threshold=threshold,
            statistic=statistic,
            period=props.settings.period_seconds,
            evaluation_periods=props.settings.evaluation_periods,
            treat_missing_data=missing,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags={"Name": name},
        )

"""An alert in the DR project when the newest production database backup in GCS grows older than the RPO.

How it is measured, and why this way: the Storage Transfer job logs every object it copies
(``logging_config``: COPY, SUCCEEDED) to Cloud Logging. A log-based metric counts the copies of a
run's ``manifest.json`` under the logical backups' prefix (the manifest is written last, so one
copied manifest is one complete, restorable artefact arriving in GCS). A metric-absence condition
fires when no such copy happened for ``absence_minutes``: the RPO less the pipeline's worst delay
from a backup's start to its arrival (:func:`tonebridge.config.recovery_rules.freshness_window`),
so it fires no later than the moment the newest artefact in GCS turns RPO old.

The alternatives do not measure the GCS copy: a metric pushed by the backup job knows S3 only (a
stalled transfer would go unseen), and GCS itself publishes no "newest object" metric. Cloud
Monitoring needs one data point before absence can be detected: the first transfer after the
policy exists provides it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf_cdktf_provider_google.logging_metric import LoggingMetric, LoggingMetricMetricDescriptor
from cdktf_cdktf_provider_google.monitoring_alert_policy import (
    MonitoringAlertPolicy,
    MonitoringAlertPolicyAlertStrategy,
    MonitoringAlertPolicyConditions,
    MonitoringAlertPolicyConditionsConditionAbsent,
    MonitoringAlertPolicyConditionsConditionAbsentAggregations,
    MonitoringAlertPolicyConditionsConditionAbsentTrigger,
    MonitoringAlertPolicyDocumentation,
)
from constructs import Construct

#: Cloud Monitoring's longest metric-absence window through the API is 24.5 hours; we stay within 23.5.
MAX_ABSENCE_MINUTES = 23 * 60 + 30
TRANSFER_LOG = "storagetransfer.googleapis.com%2Ftransfer_activity"


def arrivals_filter(project_id: str, key_prefix: str) -> str:
    """Successful copies of a run's manifest under ``key_prefix`` by the transfer job."""
    prefix = key_prefix.strip("/").replace(".", "\\\\.")
    return " AND ".join(
        [
            'resource.type="storage_transfer_job"',
            f'logName="projects/{project_id}/logs/{TRANSFER_LOG}"',
            'jsonPayload.action="COPY"',
            'jsonPayload.status.statusCode="OK"',
            f'jsonPayload.destinationDetails.gcsObjectDetails.objectKey=~"^{prefix}/[0-9]{{8}}T[0-9]{{6}}Z/manifest\\\\.json$"',
        ]
    )


class DrProject(Protocol):
    """Where the alert lives and whom it tells: the `dr` section's settings (:class:`tonebridge.props.dr.DrSettings`).

    project_id: the DR project. alert_notification_channels: channel ids (none: incidents only in the console).
    """

    @property
    def project_id(self) -> str: ...
    @property
    def alert_notification_channels(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class BackupFreshnessProps:
    """Props of :class:`BackupFreshness` (what is measured; the project is the DR settings, :class:`DrProject`).

    key_prefix: ``postgres-logical/<env>`` (the artefacts' prefix).
    metric_name: the log-based metric's name. rpo_text: the RPO as configured (for the documentation).
    absence_minutes: how long without an arrival before the alert fires (1 minute to 23h30m).
    runbook: what the alert's documentation tells the responder to do.
    """

    key_prefix: str
    metric_name: str
    rpo_text: str
    absence_minutes: int
    runbook: str

    def __post_init__(self) -> None:
        if not 1 <= self.absence_minutes <= MAX_ABSENCE_MINUTES:
            raise ValueError(f"absence_minutes {self.absence_minutes} must be 1-{MAX_ABSENCE_MINUTES}")
        if not self.key_prefix.strip("/"):
            raise ValueError("key_prefix must not be empty")


class BackupFreshness(Construct):
    """Attributes: ``metric`` (LoggingMetric), ``policy`` (MonitoringAlertPolicy)."""

    def __init__(self, scope: Construct, construct_id: str, dr: DrProject, props: BackupFreshnessProps) -> None:
        super().__init__(scope, construct_id)
        self.metric = LoggingMetric(
            self,
            "arrivals",
            project=dr.project_id,
            name=props.metric_name,
            description=f"Complete logical backups (manifests) copied into GCS under {props.key_prefix}/",
            filter=arrivals_filter(dr.project_id, props.key_prefix),
            metric_descriptor=LoggingMetricMetricDescriptor(metric_kind="DELTA", value_type="INT64", unit="1"),
        )
        self.policy = MonitoringAlertPolicy(
            self,
            "stale",
            project=dr.project_id,
            display_name=f"Production database backup in GCS older than its RPO ({props.rpo_text})",
            combiner="OR",
            severity="CRITICAL",
            conditions=[
                MonitoringAlertPolicyConditions(
                    display_name=f"no new backup under {props.key_prefix}/ for {props.absence_minutes} minutes",
                    condition_absent=MonitoringAlertPolicyConditionsConditionAbsent(
                        filter=(
                            f'metric.type="logging.googleapis.com/user/{props.metric_name}" '
                            'AND resource.type="storage_transfer_job"'
                        ),
                        duration=f"{props.absence_minutes * 60}s",
                        aggregations=[
                            MonitoringAlertPolicyConditionsConditionAbsentAggregations(
                                alignment_period="600s",
                                per_series_aligner="ALIGN_SUM",
                                cross_series_reducer="REDUCE_SUM",
                            )
                        ],
                        trigger=MonitoringAlertPolicyConditionsConditionAbsentTrigger(count=1),
                    ),
                )
            ],
            alert_strategy=MonitoringAlertPolicyAlertStrategy(auto_close="604800s"),
            documentation=MonitoringAlertPolicyDocumentation(content=props.runbook, mime_type="text/markdown"),
            notification_channels=list(dr.alert_notification_channels) or None,
            depends_on=[self.metric],
        )

"""The daily copy of the primary's S3 backups bucket into the DR site's GCS bucket (spec §9.2).

Two halves, one per cloud:

* :class:`TransferSourceRole` (AWS): the role Google's Storage Transfer Service assumes with web
  identity federation (``accounts.google.com``, the project's transfer service agent's subject id),
  no long-lived AWS key anywhere. Read-only: list the bucket, read its objects, decrypt with the
  bucket's key only through S3 in the bucket's region.
* :class:`BackupTransferJob` (Google): the transfer job, daily from a start date at a fixed UTC
  time, copying everything recent (PostgreSQL base backups and WAL under ``postgres/`` included:
  objects modified within ``copy_max_age_days``, so a backup GCS has expired is never copied back as
  a new arrival) and never deleting in the sink what disappeared from the source.

Both live in the DR stack, which depends on the primary region's stack (the bucket and its key);
the role cannot live in the primary's stack, which would then need the Google project's service
agent before the DR stack exists: a cycle. Having the DR stack read the subject id from Google
(``google_storage_transfer_project_service_account``) also means no id is copied into configuration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_google.data_google_storage_transfer_project_service_account import (
    DataGoogleStorageTransferProjectServiceAccount,
)
from cdktf_cdktf_provider_google.storage_bucket_iam_member import StorageBucketIamMember
from cdktf_cdktf_provider_google.storage_transfer_job import (
    StorageTransferJob,
    StorageTransferJobLoggingConfig,
    StorageTransferJobSchedule,
    StorageTransferJobScheduleScheduleStartDate,
    StorageTransferJobScheduleStartTimeOfDay,
    StorageTransferJobTransferSpec,
    StorageTransferJobTransferSpecAwsS3DataSource,
    StorageTransferJobTransferSpecGcsDataSink,
    StorageTransferJobTransferSpecObjectConditions,
    StorageTransferJobTransferSpecTransferOptions,
)
from constructs import Construct

from tonebridge.constructs.irsa import web_identity_trust
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.props.dr import TransferSettings

GOOGLE_ISSUER = "accounts.google.com"
#: What Storage Transfer needs of an S3 source (list, read, locate), nothing that writes.
S3_READ_ACTIONS = ("s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation")
#: Storage Transfer's documented sink roles: create objects, read bucket metadata; no delete.
SINK_ROLES = ("roles/storage.objectCreator", "roles/storage.legacyBucketReader", "roles/storage.objectViewer")


def transfer_trust(subject_id: str) -> str:
    """Only Google's Storage Transfer service agent of this project, by its subject id."""
    return web_identity_trust(GOOGLE_ISSUER, GOOGLE_ISSUER, sub=subject_id)


def transfer_read_policy(bucket_arn: str, key_arn: str, region: str, extra: Sequence[TransferSource] = ()) -> str:
    """Read-only on the primary's backups bucket and on each extra source, decrypting with each
    bucket's own key through S3 only."""
    buckets = [bucket_arn, *(source.bucket_arn for source in extra)]
    keys = [key_arn, *(source.key_arn for source in extra)]
    one = len(buckets) == 1
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ListBackups",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": buckets[0] if one else buckets,
                },
                {
                    "Sid": "ReadBackups",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"{buckets[0]}/*" if one else [f"{b}/*" for b in buckets],
                },
                {
                    "Sid": "DecryptThroughS3",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": keys[0] if one else keys,
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                },
            ],
        }
    )


@dataclass(frozen=True)
class TransferSource:
    """Another S3 backups bucket of the primary region copied by the same role into ``sink_path`` of
    the GCS bucket (another environment's database backups, staging's: kept apart from production's).

    name: a short id (the job's construct id); sink_path: ``<name>/`` under the GCS bucket's root.
    """

    name: str
    bucket: str
    bucket_arn: str
    key_arn: str

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.name):
            raise ValueError(f"source name {self.name!r} must be a DNS label")

    @property
    def sink_path(self) -> str:
        return f"{self.name}/"


@dataclass(frozen=True)
class TransferWiring:
    """What :class:`BackupTransfer` connects that is not configuration (tokens of other stacks).

    project_id: the DR project (its transfer service agent is trusted and runs the job).
    source_bucket / source_bucket_arn / source_key_arn / source_region: the primary's backups bucket
    and its key (tokens from the primary stack). sink_bucket: the GCS bucket (a token).
    """

    project_id: str
    source_bucket: str
    source_bucket_arn: str
    source_key_arn: str
    source_region: str
    sink_bucket: str
    #: Other environments' backups buckets, each copied by a job of its own into ``<name>/``.
    extra_sources: Sequence[TransferSource] = field(default_factory=tuple)


class BackupTransfer(Construct):
    """The role is made with the stack's default AWS provider.

    Attributes: ``role`` (AWS), ``job`` (Google: the primary bucket's), ``jobs`` (by source name, ``""``
    the primary's), ``service_agent`` (its ``email`` and ``subject_id``).
    """

    def __init__(self, scope: Construct, id_: str, settings: TransferSettings, wiring: TransferWiring) -> None:
        """``settings`` is the environment's validated ``dr.transfer`` (schedule, role name, deletions)."""
        super().__init__(scope, id_)
        self.settings = settings
        props = wiring
        self.service_agent = DataGoogleStorageTransferProjectServiceAccount(
            self, "service-agent", project=props.project_id
        )
        self.role = IamRole(
            self,
            "source-role",
            name=settings.aws_role_name,
            description="Google Storage Transfer Service: read-only copy of the backups bucket to GCP",
            assume_role_policy=transfer_trust(self.service_agent.subject_id),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "source-read",
            name="read-backups",
            role=self.role.id,
            policy=transfer_read_policy(
                props.source_bucket_arn, props.source_key_arn, props.source_region, props.extra_sources
            ),
        )
        member = f"serviceAccount:{self.service_agent.email}"
        grants = [
            StorageBucketIamMember(
                self, f"sink-{role.split('.')[-1]}", bucket=props.sink_bucket, role=role, member=member
            )
            for role in SINK_ROLES
        ]
        #: The job per source: ``""`` for the primary's bucket, then each extra source's name.
        self.jobs = {
            "": self._job("job", props, props.source_bucket, None, grants),
            **{
                source.name: self._job(f"job-{source.name}", props, source.bucket, source.sink_path, grants)
                for source in props.extra_sources
            },
        }
        self.job = self.jobs[""]

    def _job(
        self, id_: str, props: TransferWiring, bucket: str, sink_path: str | None, grants: list
    ) -> StorageTransferJob:
        settings = self.settings
        start = date.fromisoformat(settings.start_date)
        hours, minutes = (int(x) for x in settings.start_time_utc.split(":"))
        into = f" into {sink_path}" if sink_path else ""
        every = settings.repeat_interval_hours
        return StorageTransferJob(
            self,
            id_,
            project=props.project_id,
            description=(f"Copy of s3://{bucket} (PostgreSQL backups included) to GCS{into} every {every}h"),
            transfer_spec=StorageTransferJobTransferSpec(
                aws_s3_data_source=StorageTransferJobTransferSpecAwsS3DataSource(
                    bucket_name=bucket, role_arn=self.role.arn
                ),
                gcs_data_sink=StorageTransferJobTransferSpecGcsDataSink(bucket_name=props.sink_bucket, path=sink_path),
                # Only recent objects: the sink deletes old ones by its lifecycle, maybe before the source does.
                object_conditions=StorageTransferJobTransferSpecObjectConditions(
                    max_time_elapsed_since_last_modification=f"{settings.copy_max_age_days * 86_400}s"
                ),
                transfer_options=StorageTransferJobTransferSpecTransferOptions(
                    overwrite_objects_already_existing_in_sink=False,
                    delete_objects_unique_in_sink=settings.delete_objects_unique_in_sink,
                    delete_objects_from_source_after_transfer=False,
                ),
            ),
            schedule=StorageTransferJobSchedule(
                schedule_start_date=StorageTransferJobScheduleScheduleStartDate(
                    year=start.year, month=start.month, day=start.day
                ),
                start_time_of_day=StorageTransferJobScheduleStartTimeOfDay(
                    hours=hours, minutes=minutes, seconds=0, nanos=0
                ),
                repeat_interval=f"{settings.repeat_interval_hours * 3600}s",
            ),
            logging_config=StorageTransferJobLoggingConfig(
                log_actions=["FIND", "COPY", "DELETE"], log_action_states=["SUCCEEDED", "FAILED"]
            ),
            status="ENABLED",
            depends_on=grants,
        )

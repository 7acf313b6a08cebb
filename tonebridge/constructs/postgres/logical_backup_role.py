"""The IRSA role of production's logical backup job (AWS side, primary region's infrastructure stack).

The job writes new objects under one prefix of the backups bucket and nothing else: no read, no
list, no delete (object lock and the lifecycle own deletion), no other prefix. Its uploads are
SSE-KMS with the bucket's key; S3 asks KMS for a data key (``kms:GenerateDataKey``) and, to join
the parts of a multipart upload, for ``kms:Decrypt`` of that data key: both only when S3 in the
bucket's region calls (``kms:ViaService``) for this bucket (the encryption context S3 sends is the
bucket's ARN, as the bucket key is on).
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.irsa import IrsaProvider
from tonebridge.props.logical_backup import LogicalBackupSettings


def logical_backup_policy(*, bucket_arn: str, key_prefix: str, key_arn: str, region: str) -> dict:
    """Put (and abort its own failed multipart uploads) under ``<bucket>/<key_prefix>/``; the key through S3."""
    key_prefix = key_prefix.strip("/")
    if not key_prefix:
        raise ValueError("logical_backup_policy: a prefix is required (never the whole bucket)")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteLogicalBackups",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": f"{bucket_arn}/{key_prefix}/*",
            },
            {
                "Sid": "BucketKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": bucket_arn,
                    }
                },
            },
        ],
    }


@dataclass(frozen=True)
class LogicalBackupRoleProps:
    """Props of :class:`LogicalBackupRole`: the job's settings, and the wiring the stack resolves.

    settings: the job as configured (its namespace and service account are the only subject trusted;
        its prefix and ``environment`` make the key prefix ``<prefix>/<environment>``).
    role_name: IAM role name (≤ 64 characters). irsa: the cluster's IRSA provider.
    bucket_arn / key_arn / region: the backups bucket, its key and region.
    """

    settings: LogicalBackupSettings
    environment: str
    role_name: str
    irsa: IrsaProvider
    bucket_arn: str
    key_arn: str
    region: str

    @property
    def key_prefix(self) -> str:
        return self.settings.key_prefix(self.environment)


class LogicalBackupRole(Construct):
    """Attributes: ``arn``, ``role`` (ServiceAccountRole)."""

    def __init__(self, scope: Construct, construct_id: str, props: LogicalBackupRoleProps) -> None:
        super().__init__(scope, construct_id)
        policy = logical_backup_policy(
            bucket_arn=props.bucket_arn, key_prefix=props.key_prefix, key_arn=props.key_arn, region=props.region
        )
        settings = props.settings
        self.role = props.irsa.role(
            self, "irsa", props.role_name, settings.namespace, settings.service_account, policy=policy
        )
        self.arn: str = self.role.arn

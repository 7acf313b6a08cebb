"""The IRSA role a CloudNativePG cluster's pods use to archive WAL and base backups to S3.

CloudNativePG runs every instance of a cluster under one service account named after the
cluster, in its namespace; ``inheritFromIAMRole`` makes barman-cloud take this role's
credentials from the web identity token EKS mounts there. The role may touch only its prefix of
the backups bucket, and the bucket's key only through S3 in the bucket's region.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.irsa import IrsaProvider
from tonebridge.props.cnpg import CnpgClusterSettings

#: Key use an SSE-KMS upload (single and multipart) and a download need, through S3 only.
_KEY_WRITE = ("kms:GenerateDataKey", "kms:Decrypt")
_KEY_READ = ("kms:Decrypt",)


def backup_policy(
    *, bucket_arn: str, prefix: str, region: str, key_arn: str | None = None, read_only: bool = False
) -> dict:
    """Least privilege for barman-cloud on ``<bucket>/<prefix>/``.

    Objects: put, get, delete (retention) and abort of failed multipart uploads under the prefix
    (get only when ``read_only``, for a replica that recovers from the replicated copy).
    Listing: ``s3:ListBucket`` with ``StringLikeIfExists`` on ``s3:prefix``, so that a listing of
    another prefix is refused. ``IfExists`` because barman-cloud first calls HeadBucket (also
    authorized by ``s3:ListBucket``, and carrying no prefix) and fails on a 403; the price is that
    a listing without any prefix is admitted too: key names, never contents.
    Key: use of the bucket's key only when S3 in ``region`` asks for it (``kms:ViaService``).
    """
    prefix = prefix.strip("/")
    if not prefix:
        raise ValueError("backup_policy: a prefix is required (the role never gets the whole bucket)")
    object_actions = (
        ["s3:GetObject"]
        if read_only
        else [
            "s3:PutObject",
            "s3:GetObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
        ]
    )
    statements: list[dict] = [
        {
            "Sid": "BackupObjects",
            "Effect": "Allow",
            "Action": object_actions,
            "Resource": f"{bucket_arn}/{prefix}/*",
        },
        {
            "Sid": "ListBackupPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLikeIfExists": {"s3:prefix": [prefix, f"{prefix}/*"]}},
        },
    ]
    if key_arn:
        statements.append(
            {
                "Sid": "BucketKeyThroughS3",
                "Effect": "Allow",
                "Action": list(_KEY_READ if read_only else _KEY_WRITE),
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class CnpgBackupRoleProps:
    """Props of :class:`CnpgBackupRole`.

    role_name: IAM role name (≤ 64 characters).
    irsa: the cluster's IRSA provider.
    cluster: the CloudNativePG cluster as configured: its namespace, and its service account, which has
        the cluster's name; a replica cluster (``replica`` set) only recovers from the backups.
    bucket_arn / bucket_region: the backups bucket (or, for a replica, its replicated copy).
    prefix: the object prefix the cluster writes under (default ``postgres``).
    key_arn: the bucket's KMS key when it is SSE-KMS (default none).
    """

    role_name: str
    irsa: IrsaProvider
    cluster: CnpgClusterSettings
    bucket_arn: str
    bucket_region: str
    prefix: str = "postgres"
    key_arn: str | None = None

    def __post_init__(self) -> None:
        if not self.prefix.strip("/"):
            raise ValueError(f"{self.role_name}: prefix must not be empty")
        if not self.bucket_region:
            raise ValueError(f"{self.role_name}: bucket_region is required (it scopes the key's kms:ViaService)")


class CnpgBackupRole(Construct):
    """IRSA role of one CloudNativePG cluster's backups. Attributes: ``arn``, ``role``."""

    def __init__(self, scope: Construct, construct_id: str, props: CnpgBackupRoleProps) -> None:
        super().__init__(scope, construct_id)
        cluster = props.cluster
        policy = backup_policy(
            bucket_arn=props.bucket_arn,
            prefix=props.prefix,
            region=props.bucket_region,
            key_arn=props.key_arn,
            read_only=cluster.replica is not None,
        )
        self.role = props.irsa.role(self, "irsa", props.role_name, cluster.namespace, cluster.name, policy=policy)
        self.arn: str = self.role.arn

"""BackupBuckets (spec §9.2): the backups bucket of the primary region and its replica in the secondary.

Stack layout. Replication needs the replica bucket and its key to exist before the source's
replication rule; were they in the secondary region's stack, the primary stack would depend on it,
while the secondary stack already depends on the primary (its database replica reads the primary's
ARN). So the replica side is created here, in the primary stack, through an AWS provider aliased to
the secondary region (``replica_provider``), and no cycle can form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformProvider, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold,
    S3BucketReplicationConfigurationRuleDestinationReplicationTime,
    S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyAccess, KeyUser
from tonebridge.constructs.s3_hardening import (
    NamedAccessPolicy,
    block_public_access,
    default_encryption,
    deny_retention_bypass,
    expiring_versions,
    log_delivery_statement,
    tls_only_policy,
    versioning_enabled,
)
from tonebridge.constructs.trust import policy_document, service_role
from tonebridge.props.backups import BackupsSettings

#: S3 Replication Time Control's only threshold: 99.99 % of objects within 15 minutes.
RTC_MINUTES = 15


@dataclass(frozen=True)
class BackupReplica:
    """Where a backups bucket is replicated to: the replica ``bucket`` in ``region``, created through
    ``provider``, an AWS provider aliased to that region. Its access logs go to
    ``<bucket>-access-logs`` there."""

    bucket: str
    region: str
    provider: TerraformProvider

    @property
    def log_bucket(self) -> str:
        return f"{self.bucket}-access-logs"


@dataclass(frozen=True)
class BackupBucketsProps:
    """Props of :class:`BackupBuckets`.

    settings: the ``backups`` section itself (lifecycle tiers, object lock, noncurrent expiry, access log
        retention, ``protect``, replication time control); the configuration has validated it.
    environment: whose databases write here: ``production`` (default) uses ``settings.bucket`` and its
        log bucket, another environment its own bucket (:meth:`BackupsSettings.bucket_for`).
    replica: where the bucket is replicated to (default None: no replication). Replication Time
        Control applies to a replica when ``settings.replication_time_control``.
    expiring_prefixes: ``{prefix: days}``: objects under a prefix expire after its days (their
        noncurrent versions after ``noncurrent_expiry_days``, once object lock lets go); default none.
        On the bucket and its replica alike.
    """

    settings: BackupsSettings
    environment: str = "production"
    replica: BackupReplica | None = None
    expiring_prefixes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for prefix, days in self.expiring_prefixes.items():
            if not prefix.strip("/") or days < 1:
                raise ValueError(f"{self.bucket}: expiring prefix {prefix!r} needs a name and at least one day")

    @property
    def bucket(self) -> str:
        return self.settings.bucket_for(self.environment)

    @property
    def access_log_bucket(self) -> str:
        return self.settings.access_log_bucket_for(self.environment)

    @property
    def replication_time_control(self) -> bool:
        return self.replica is not None and self.settings.replication_time_control


class BackupBuckets(Construct):
    """A versioned, object-locked (compliance), KMS-encrypted, private, TLS-only backups bucket with
    lifecycle tiering and server access logs, replicated (deletes markers included, under Replication
    Time Control) to a bucket of the same build in another region under that region's own key.

    Both buckets admit only named principals (the deploy identities, the break-glass role, the
    replication role and whoever :meth:`allow_writer` / :meth:`allow_reader` adds), and both keys name
    the same roles as their users, through S3 only.

    Attributes: ``bucket`` (aws_s3_bucket), ``bucket_name``, ``bucket_arn``, ``key``, ``log_bucket``,
    ``access`` (NamedAccessPolicy); and, with a replica, ``replica_bucket``, ``replica_bucket_name``,
    ``replica_bucket_arn``, ``replica_key``, ``replica_log_bucket``, ``replica_access``,
    ``replication_role`` (else None).
    """

    def __init__(self, scope: Construct, id_: str, props: BackupBucketsProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.settings.protect else None
        self._versionings: list[S3BucketVersioningA] = []  # of the backup buckets; replication follows them
        self.key = EncryptionKey(
            self, "key", EncryptionKeyProps(alias=props.bucket, description=f"Backups in {props.bucket}")
        )
        self.log_bucket, log_delivery = self._log_bucket(self, props.access_log_bucket, props.bucket)
        self.bucket, self.access = self._backup_bucket(self, props.bucket, self.key, self.log_bucket, log_delivery)
        self.bucket_name: str = self.bucket.bucket
        self.bucket_arn: str = self.bucket.arn

        self.replica_bucket: S3Bucket | None = None
        self.replica_bucket_name: str | None = None
        self.replica_bucket_arn: str | None = None
        self.replica_key: EncryptionKey | None = None
        self.replica_log_bucket: S3Bucket | None = None
        self.replica_access: NamedAccessPolicy | None = None
        self.replication_role: IamRole | None = None
        if props.replica is not None:
            self._replicate(props, props.replica)

    # --- buckets ----------------------------------------------------------------------------------

    # --- who may reach the data ----------------------------------------------------------------------

    def allow_writer(self, role_arn: str, *, created_later: bool = False) -> None:
        """Name a role that writes backups into the primary bucket (its IAM policy confines it to a
        prefix): admitted by the bucket policy, and a user of the bucket's key through S3 only."""
        self.access.allow(role_arn)
        self.key.allow_use(
            KeyUser(
                arn=role_arn,
                via_service=f"s3.{self._region}.amazonaws.com",
                actions=("kms:GenerateDataKey", "kms:Decrypt"),
                created_later=created_later,
            )
        )

    def allow_reader(self, role_arn: str, *, replica: bool = False, created_later: bool = False) -> None:
        """Name a role that reads backups (a restore, the copy to GCS, a replica cluster), in the
        primary bucket or with ``replica`` in the replicated one: decrypt through S3 only."""
        access, key, region = (
            (self.replica_access, self.replica_key, self.props.replica.region if self.props.replica else None)
            if replica
            else (self.access, self.key, self._region)
        )
        if access is None or key is None:
            raise ValueError(f"{self.props.bucket}: no replica to read from")
        access.allow(role_arn)
        key.allow_use(
            KeyUser(
                arn=role_arn,
                via_service=f"s3.{region}.amazonaws.com",
                actions=("kms:Decrypt",),
                created_later=created_later,
            )
        )

    @property
    def _region(self) -> str:
        return AwsContext.of(self).region

    def _backup_bucket(
        self, scope: Construct, name: str, key: EncryptionKey, log_bucket: S3Bucket, log_delivery: S3BucketPolicy
    ) -> tuple[S3Bucket, NamedAccessPolicy]:
        props, settings = self.props, self.props.settings
        bucket = S3Bucket(
            scope,
            "bucket",
            bucket=name,
            object_lock_enabled=True,  # only possible at creation
            force_destroy=not settings.protect,
            lifecycle=self._lifecycle,
        )
        versioning = self._hardened(scope, "bucket", bucket, sse_key_arn=key.arn)
        self._versionings.append(versioning)
        if settings.object_lock_days:
            S3BucketObjectLockConfigurationA(
                scope,
                "object-lock",
                bucket=bucket.id,
                rule=S3BucketObjectLockConfigurationRuleA(
                    default_retention=S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                        mode=settings.object_lock_mode, days=settings.object_lock_days
                    )
                ),
                depends_on=[versioning],
            )
        S3BucketLifecycleConfiguration(
            scope,
            "lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="tier-and-expire-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    transition=[
                        S3BucketLifecycleConfigurationRuleTransition(
                            days=settings.infrequent_access_after_days, storage_class="STANDARD_IA"
                        ),
                        S3BucketLifecycleConfigurationRuleTransition(
                            days=settings.archive_after_days, storage_class=settings.archive_storage_class
                        ),
                    ],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=settings.noncurrent_expiry_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                ),
                *(
                    S3BucketLifecycleConfigurationRule(
                        id=f"expire-{prefix.strip('/').replace('/', '-')}",
                        status="Enabled",
                        filter=[S3BucketLifecycleConfigurationRuleFilter(prefix=f"{prefix.strip('/')}/")],
                        expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=days)],
                        noncurrent_version_expiration=[
                            S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                                noncurrent_days=settings.noncurrent_expiry_days
                            )
                        ],
                    )
                    for prefix, days in sorted(props.expiring_prefixes.items())
                ),
            ],
            depends_on=[versioning],
        )
        S3BucketLoggingA(
            scope,
            "logging",
            bucket=bucket.id,
            target_bucket=log_bucket.id,
            target_prefix=f"{name}/",
            depends_on=[log_delivery],  # S3 refuses logging until the log bucket lets it deliver
        )
        access = KeyAccess.of(self)
        named = NamedAccessPolicy(
            scope,
            "named-access",
            bucket=bucket,
            principals=[*access.deployer_arns, access.break_glass_arn],
            extra=[deny_retention_bypass(bucket.arn, access.break_glass_arn)],
        )
        return bucket, named

    def _log_bucket(self, scope: Construct, name: str, source: str) -> tuple[S3Bucket, S3BucketPolicy]:
        """Server access logs of ``source`` (S3 log delivery writes only with SSE-S3), and the policy
        that lets S3 deliver them."""
        settings = self.props.settings
        bucket = S3Bucket(
            scope, "log-bucket", bucket=name, force_destroy=not settings.protect, lifecycle=self._lifecycle
        )
        versioning = self._hardened(scope, "log-bucket", bucket, sse_key_arn=None)
        expiring_versions(
            scope,
            "log-lifecycle",
            bucket,
            rule_id="expire-access-logs",
            noncurrent_days=30,
            expiration_days=settings.access_log_retention_days,
            versioning=versioning,
        )
        policy = S3BucketPolicy(
            scope,
            "log-policy",
            bucket=bucket.id,
            policy=tls_only_policy(
                bucket.arn,
                extra=[log_delivery_statement(bucket.arn, source)],
            ),
        )
        return bucket, policy

    def _hardened(
        self, scope: Construct, prefix: str, bucket: S3Bucket, sse_key_arn: str | None
    ) -> S3BucketVersioningA:
        """Public access blocked, ACLs off, versioned, encrypted by default (the CMK with a bucket key,
        or SSE-S3 where S3 log delivery needs it). Returns the versioning resource, which lifecycle,
        object lock and replication must follow."""
        block_public_access(scope, prefix, bucket)
        default_encryption(scope, f"{prefix}-encryption", bucket, sse_key_arn)
        return versioning_enabled(scope, f"{prefix}-versioning", bucket)

    # --- replication -----------------------------------------------------------------------------

    def _replicate(self, props: BackupBucketsProps, target: BackupReplica) -> None:
        replica_region, replica_bucket = target.region, target.bucket
        replica = Construct(self, "replica")
        self.replica_key = EncryptionKey(
            replica,
            "key",
            EncryptionKeyProps(alias=replica_bucket, description=f"Backups replicated to {replica_bucket}"),
        )
        self.replica_log_bucket, log_delivery = self._log_bucket(replica, target.log_bucket, replica_bucket)
        self.replica_bucket, self.replica_access = self._backup_bucket(
            replica, replica_bucket, self.replica_key, self.replica_log_bucket, log_delivery
        )
        for child in replica.node.find_all():
            if isinstance(child, TerraformResource):
                child.provider = target.provider  # everything under "replica" lives in its region
        self.replica_bucket_name = self.replica_bucket.bucket
        self.replica_bucket_arn = self.replica_bucket.arn

        aws = AwsContext.of(self)
        self.replication_role = service_role(
            self,
            "replication-role",
            f"{props.bucket}-replication"[:64],
            "s3.amazonaws.com",
            aws.account_id,
            description=f"S3 replication of {props.bucket} to {replica_bucket}",
        )
        # Both buckets and both keys name the replication role (it reads one side, writes the other).
        self.access.allow(self.replication_role.arn)
        self.replica_access.allow(self.replication_role.arn)
        self.key.allow_use(
            KeyUser(
                arn=self.replication_role.arn, via_service=f"s3.{aws.region}.amazonaws.com", actions=("kms:Decrypt",)
            )
        )
        self.replica_key.allow_use(
            KeyUser(
                arn=self.replication_role.arn,
                via_service=f"s3.{replica_region}.amazonaws.com",
                actions=("kms:Encrypt", "kms:GenerateDataKey"),
            )
        )
        policy = IamRolePolicy(
            self,
            "replication-policy",
            role=self.replication_role.id,
            name="replicate-backups",
            policy=self._replication_policy(aws.region, replica_region, self.replica_key),
        )
        destination: dict = {
            "bucket": self.replica_bucket.arn,
            "storage_class": "STANDARD",
            "encryption_configuration": S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                replica_kms_key_id=self.replica_key.arn
            ),
        }
        if props.replication_time_control:
            destination |= {
                "replication_time": S3BucketReplicationConfigurationRuleDestinationReplicationTime(
                    status="Enabled",
                    time=S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime(minutes=RTC_MINUTES),
                ),
                "metrics": S3BucketReplicationConfigurationRuleDestinationMetrics(
                    status="Enabled",
                    event_threshold=S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold(
                        minutes=RTC_MINUTES
                    ),
                ),
            }
        S3BucketReplicationConfigurationA(
            self,
            "replication",
            bucket=self.bucket.id,
            role=self.replication_role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id=f"to-{replica_region}",
                    priority=1,
                    status="Enabled",
                    filter=S3BucketReplicationConfigurationRuleFilter(prefix=""),
                    delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(
                        status="Enabled"
                    ),
                    source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                        sse_kms_encrypted_objects=S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                            status="Enabled"
                        )
                    ),
                    destination=S3BucketReplicationConfigurationRuleDestination(**destination),
                )
            ],
            # Both buckets must be versioned, and the role allowed, before S3 accepts the rule.
            depends_on=[policy, *self._versionings],
        )

    def _replication_policy(self, region: str, replica_region: str, replica_key: EncryptionKey) -> str:
        """Read versions (with their lock and tags) of the source, write replicas into the replica
        bucket; decrypt with the source key and encrypt with the replica key, only through S3 and
        only for these buckets."""
        source, target = self.bucket.arn, self.replica_bucket_arn
        statements = [
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                    "s3:GetObjectRetention",
                    "s3:GetObjectLegalHold",
                ],
                "Resource": f"{source}/*",
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": f"{target}/*",
            },
            {
                "Sid": "DecryptSource",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": self.key.arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [source, f"{source}/*"]},
                },
            },
            {
                "Sid": "EncryptReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": replica_key.arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [target, f"{target}/*"]},
                },
            },
        ]
        return policy_document(*statements)

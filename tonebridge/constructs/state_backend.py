"""StateBackend: the S3 bucket and DynamoDB table that hold and lock Terraform state (spec §11.1)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyAccess
from tonebridge.constructs.s3_hardening import (
    NamedAccessPolicy,
    block_public_access,
    default_encryption,
    expiring_versions,
    log_delivery_statement,
    tls_only_policy,
    versioning_enabled,
)


@dataclass(frozen=True)
class StateBackendProps:
    """Props of :class:`StateBackend`.

    bucket: state bucket name (required). lock_table: DynamoDB lock table name (required).
    access_log_bucket: bucket receiving the state bucket's server access logs (required).
    protect: prevent_destroy on the bucket and the table, table deletion protection, and no
        force_destroy (default True; only a throw-away environment turns it off).
    noncurrent_version_retention_days: how long superseded state versions are kept (default 90).
    access_log_retention_days: how long access logs are kept (default 365).
    """

    bucket: str
    lock_table: str
    access_log_bucket: str
    protect: bool = True
    noncurrent_version_retention_days: int = 90
    access_log_retention_days: int = 365

    def __post_init__(self) -> None:
        if self.bucket == self.access_log_bucket:
            raise ValueError("the access log bucket must differ from the state bucket")
        if self.noncurrent_version_retention_days < 1 or self.access_log_retention_days < 1:
            raise ValueError("retention periods must be at least one day")


class StateBackend(Construct):
    """Versioned, KMS-encrypted, TLS-only, private state bucket plus a PITR-protected lock table.

    Attributes: ``bucket`` (aws_s3_bucket), ``table`` (aws_dynamodb_table), ``key`` (EncryptionKey),
    ``log_bucket`` (aws_s3_bucket receiving access logs).
    """

    def __init__(self, scope: Construct, id_: str, props: StateBackendProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.protect else None
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=props.bucket, description=f"Terraform state in {props.bucket}", deployers_use=True
            ),
        )

        self.log_bucket, log_delivery_policy = self._log_bucket(props, lifecycle)

        self.bucket = S3Bucket(
            self, "bucket", bucket=props.bucket, force_destroy=not props.protect, lifecycle=lifecycle
        )
        block_public_access(self, "bucket", self.bucket)
        versioning_enabled(self, "versioning", self.bucket)
        default_encryption(self, "encryption", self.bucket, self.key.arn)
        expiring_versions(
            self,
            "lifecycle",
            self.bucket,
            rule_id="expire-superseded-state",
            noncurrent_days=props.noncurrent_version_retention_days,
        )
        S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=f"{props.bucket}/",
            depends_on=[log_delivery_policy],  # delivery must be allowed before logging is switched on
        )
        access = KeyAccess.of(self)
        #: Only the deploy identities and the break-glass role reach the state (it holds every output).
        self.access = NamedAccessPolicy(
            self, "named-access", bucket=self.bucket, principals=[*access.deployer_arns, access.break_glass_arn]
        )

        self.table = DynamodbTable(
            self,
            "lock-table",
            name=props.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=self.key.arn),
            deletion_protection_enabled=props.protect,
            lifecycle=lifecycle,
        )

    def _log_bucket(
        self, props: StateBackendProps, lifecycle: TerraformResourceLifecycle | None
    ) -> tuple[S3Bucket, S3BucketPolicy]:
        """Server access logs of the state bucket (S3 log delivery writes only with SSE-S3), and the
        policy that lets S3 deliver them, which logging must wait for."""
        bucket = S3Bucket(
            self, "log-bucket", bucket=props.access_log_bucket, force_destroy=not props.protect, lifecycle=lifecycle
        )
        block_public_access(self, "log-bucket", bucket)
        versioning_enabled(self, "log-versioning", bucket)
        default_encryption(self, "log-encryption", bucket, None)
        expiring_versions(
            self,
            "log-lifecycle",
            bucket,
            rule_id="expire-access-logs",
            noncurrent_days=30,
            expiration_days=props.access_log_retention_days,
        )
        policy = S3BucketPolicy(
            self,
            "log-policy",
            bucket=bucket.id,
            policy=tls_only_policy(
                bucket.arn,
                extra=[log_delivery_statement(bucket.arn, props.bucket)],
            ),
        )
        return bucket, policy

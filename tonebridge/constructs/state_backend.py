"""StateBackend: the S3 bucket and DynamoDB table that hold and lock Terraform state (spec §11.1)."""

from __future__ import annotations

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
from tonebridge.props.state import StateSettings


class StateBackend(Construct):
    """Versioned, KMS-encrypted, TLS-only, private state bucket plus a PITR-protected lock table.

    Attributes: ``bucket`` (aws_s3_bucket), ``table`` (aws_dynamodb_table), ``key`` (EncryptionKey),
    ``log_bucket`` (aws_s3_bucket receiving access logs).

    ``settings``: the ``state`` section itself: the bucket, lock table and log bucket names,
    ``protect`` (prevent_destroy on the bucket and the table, table deletion protection, no
    force_destroy; only a throw-away environment turns it off), how long superseded state versions
    and access logs are kept.
    """

    def __init__(self, scope: Construct, id_: str, settings: StateSettings) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if settings.protect else None
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=settings.bucket, description=f"Terraform state in {settings.bucket}", deployers_use=True
            ),
        )

        self.log_bucket, log_delivery_policy = self._log_bucket(settings, lifecycle)

        self.bucket = S3Bucket(
            self, "bucket", bucket=settings.bucket, force_destroy=not settings.protect, lifecycle=lifecycle
        )
        block_public_access(self, "bucket", self.bucket)
        versioning_enabled(self, "versioning", self.bucket)
        default_encryption(self, "encryption", self.bucket, self.key.arn)
        expiring_versions(
            self,
            "lifecycle",
            self.bucket,
            rule_id="expire-superseded-state",
            noncurrent_days=settings.noncurrent_version_retention_days,
        )
        S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=f"{settings.bucket}/",
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
            name=settings.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=self.key.arn),
            deletion_protection_enabled=settings.protect,
            lifecycle=lifecycle,
        )

    def _log_bucket(
        self, settings: StateSettings, lifecycle: TerraformResourceLifecycle | None
    ) -> tuple[S3Bucket, S3BucketPolicy]:
        """Server access logs of the state bucket (S3 log delivery writes only with SSE-S3), and the
        policy that lets S3 deliver them, which logging must wait for."""
        bucket = S3Bucket(
            self,
            "log-bucket",
            bucket=settings.access_log_bucket_name,
            force_destroy=not settings.protect,
            lifecycle=lifecycle,
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
            expiration_days=settings.access_log_retention_days,
        )
        policy = S3BucketPolicy(
            self,
            "log-policy",
            bucket=bucket.id,
            policy=tls_only_policy(
                bucket.arn,
                extra=[log_delivery_statement(bucket.arn, settings.bucket)],
            ),
        )
        return bucket, policy

"""BackupsSettings: the backups buckets of an environment (spec §9.2). The configuration's ``backups``
section *is* this model and :class:`~tonebridge.constructs.backups.BackupBuckets` takes the same object,
so each field and its rule are declared once. Cdktf-free (rules layer).

Cross-field rules (replication needs a secondary region, distinct bucket names, lifecycle ordering,
replication time control needs replication) live in :mod:`tonebridge.config.semantics`, so that each
problem is reported against its own field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tonebridge.props.aws_names import BucketName
from tonebridge.props.types import StrictModel


class BackupsSettings(StrictModel):
    """Backup storage (spec §9.2): a versioned, locked, KMS-encrypted bucket replicated to the secondary region."""

    bucket: BucketName = Field(
        description="Production's backup bucket in the primary region (the spec's tonebridge-backups); the "
        "replica, access log and other environments' bucket names derive from it unless given, and each derived "
        "name ('<bucket>-<environment>-access-logs' the longest) must be an S3 bucket name too."
    )
    replica_bucket: BucketName | None = Field(
        default=None, description="Bucket in aws.secondary_region; defaults to '<bucket>-<secondary region>'."
    )
    access_log_bucket: BucketName | None = Field(
        default=None, description="Server access logs of the bucket; defaults to '<bucket>-access-logs'."
    )
    infrequent_access_after_days: int = Field(default=30, ge=30, le=3650, description="S3 needs at least 30.")
    archive_after_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days after upload that a backup moves to `archive_storage_class`; later than "
        "`infrequent_access_after_days` (the move to STANDARD_IA).",
    )
    archive_storage_class: Literal["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] = Field(
        default="GLACIER",
        description="S3 storage class of that move: GLACIER_IR reads in milliseconds; GLACIER (Flexible "
        "Retrieval) and DEEP_ARCHIVE must be restored first, in minutes to hours or within 12 hours.",
    )
    noncurrent_expiry_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days an overwritten or deleted backup's old version is kept before S3 removes it; at least "
        "`object_lock_days`.",
    )
    object_lock_days: int = Field(
        default=30, ge=0, le=3650, description="Default retention of new objects; 0 leaves object lock without it."
    )
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        default="COMPLIANCE",
        description="COMPLIANCE: nobody, the account root included, deletes a backup before its retention ends.",
    )
    environment_buckets: dict[str, BucketName] = Field(
        default_factory=dict,
        description="Buckets of the other environments' databases (CloudNativePG in staging), by the namespace's "
        "`environment`; each gets its own key and admits only its own roles. Default '<bucket>-<environment>'.",
    )
    replicate: bool = Field(default=True, description="Replicate to aws.secondary_region.")
    replication_time_control: bool = Field(default=True, description="S3 RTC: 15-minute SLA plus its metrics.")
    access_log_retention_days: int = Field(
        default=365, ge=1, le=3650, description="Days the access log buckets keep the buckets' server access logs."
    )
    protect: bool = Field(default=True, description="prevent_destroy and no force_destroy on the buckets.")

    def bucket_for(self, environment: str) -> str:
        """The bucket the databases of ``environment`` write their backups to: production's own, or
        one per other environment, so that staging never holds a key or a prefix of production's."""
        if environment == "production":
            return self.bucket
        return self.environment_buckets.get(environment, f"{self.bucket}-{environment}")

    def replica_bucket_name(self, secondary_region: str) -> str:
        return self.replica_bucket or f"{self.bucket}-{secondary_region}"

    @property
    def access_log_bucket_name(self) -> str:
        return self.access_log_bucket or f"{self.bucket}-access-logs"

    def access_log_bucket_for(self, environment: str) -> str:
        """The server access log bucket of :meth:`bucket_for` ``environment``'s bucket."""
        if environment == "production":
            return self.access_log_bucket_name
        return f"{self.bucket_for(environment)}-access-logs"

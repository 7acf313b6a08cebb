"""Typed models of the data sections: the RDS PostgreSQL database (spec §4.1, §9.1, §11.1) and the
backups bucket with its cross-region replica (spec §9.2).

Cross-field rules (replication needs a secondary region, window overlap, lifecycle ordering) live in
:mod:`tonebridge.config.semantics`, so that each problem is reported against its own field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tonebridge import cloudfacts
from tonebridge.config.recovery import LogicalBackupConfig
from tonebridge.config.types import BucketName, LogRetentionDays, StrictModel
from tonebridge.postgres_settings import PostgresSettings


def _checked(rule):
    def validate(value: str) -> str:
        problem = rule(value)
        if problem:
            raise ValueError(problem)
        return value

    return validate


#: An RDS for PostgreSQL instance class (the cloud facts table; nearest classes suggested).
DbInstanceClass = Annotated[
    str,
    Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$"),
    AfterValidator(_checked(cloudfacts.rds_instance_class_problem)),
]
#: A major version ("16", kept current by auto minor upgrades) or a pinned "16.NN" that RDS still creates.
PostgresVersion = Annotated[
    str, Field(pattern=r"^1[0-9](\.\d{1,2})?$"), AfterValidator(_checked(cloudfacts.postgres_version_problem))
]
#: RDS window syntax: "hh24:mi-hh24:mi" (UTC) and "ddd:hh24:mi-ddd:hh24:mi".
BackupWindow = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]
MaintenanceWindow = Annotated[
    str,
    Field(
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
    ),
]
DbIdentifierPart = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class RdsConfig(StrictModel):
    """The RDS PostgreSQL primary in the primary region and its cross-region replica (spec §11.1, §9.1)."""

    engine_version: PostgresVersion = Field(
        default="16", description="'16' lets RDS pick the current 16.x and auto minor upgrades keep it current."
    )
    instance_class: DbInstanceClass = "db.r5.2xlarge"
    allocated_storage_gib: int = Field(default=100, ge=20, le=65536)
    max_allocated_storage_gib: int = Field(
        default=500, ge=0, le=65536, description="Storage autoscaling ceiling; 0 turns autoscaling off."
    )
    multi_az: bool = True
    database_name: DbIdentifierPart = "tonebridge"
    master_username: DbIdentifierPart = "tonebridge_admin"
    backup_retention_days: int = Field(default=30, ge=1, le=35)
    backup_window: BackupWindow = "03:00-04:00"
    maintenance_window: MaintenanceWindow = "sun:04:00-sun:05:00"
    log_retention_days: LogRetentionDays = 365
    performance_insights_retention_days: int = Field(
        default=7, description="7 (free tier) or a multiple of 31 up to 731."
    )
    monitoring_interval: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Enhanced monitoring granularity in seconds."
    )
    protect: bool = Field(
        default=True, description="Deletion protection and a final snapshot; off only for throw-away environments."
    )
    cross_region_replica: bool = Field(default=True, description="Read replica in aws.secondary_region (§9.1).")
    replica_instance_class: DbInstanceClass | None = Field(default=None, description="Defaults to instance_class.")
    replica_multi_az: bool = Field(
        default=True, description="Standby for the replica too: after promotion it is the primary at once."
    )
    automated_backup_replication: bool = Field(
        default=True, description="Replicate automated backups (point-in-time recovery) to aws.secondary_region."
    )
    replicated_backup_retention_days: int = Field(default=7, ge=1, le=35)
    replica_promoted: bool = Field(
        default=False,
        description="Set once `make promote-replica` has promoted the replica: it is then a standalone instance"
        " (no replicate_source_db), so that Terraform's plan matches what RDS now runs.",
    )


class DatabaseConfig(StrictModel):
    """The relational database: server settings of spec §4.1 and the RDS engine that runs them."""

    settings: PostgresSettings = PostgresSettings()
    rds: RdsConfig = RdsConfig()
    logical_backup: LogicalBackupConfig = LogicalBackupConfig()


class BackupsConfig(StrictModel):
    """Backup storage (spec §9.2): a versioned, locked, KMS-encrypted bucket replicated to the secondary region."""

    bucket: BucketName
    replica_bucket: BucketName | None = Field(
        default=None, description="Bucket in aws.secondary_region; defaults to '<bucket>-<secondary region>'."
    )
    access_log_bucket: BucketName | None = Field(
        default=None, description="Server access logs of the bucket; defaults to '<bucket>-access-logs'."
    )
    infrequent_access_after_days: int = Field(default=30, ge=30, le=3650, description="S3 needs at least 30.")
    archive_after_days: int = Field(default=90, ge=1, le=3650)
    archive_storage_class: Literal["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] = "GLACIER"
    noncurrent_expiry_days: int = Field(default=90, ge=1, le=3650)
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
    access_log_retention_days: int = Field(default=365, ge=1, le=3650)
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

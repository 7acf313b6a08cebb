"""Disaster recovery of the data: production's logical backup (`database.logical_backup`) and the
recovery objectives per data store (`recovery`).

RPO and RTO are stated here and checked (:mod:`tonebridge.config.recovery_rules`) against what the
schedules, the replica, S3 replication and the Storage Transfer job can deliver: an objective the
pipeline cannot meet is a configuration error, not a surprise on the day.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from tonebridge.config.types import StrictModel
from tonebridge.props.types import DnsLabel

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
#: A duration such as ``15m``, ``8h`` or ``1h30m``.
Duration = Annotated[str, Field(pattern=r"^(\d+h)?(\d+m)?$", min_length=2)]
#: Five cron fields (a Kubernetes CronJob's schedule, UTC).
CronSchedule = Annotated[str, Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")]


def minutes(duration: str) -> int:
    """``1h30m`` → 90."""
    match = _DURATION_RE.match(duration)
    if not match:
        raise ValueError(f"{duration!r} is not a duration like 15m, 8h or 1h30m")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


class LogicalBackupConfig(StrictModel):
    """A scheduled pg_dump of production's RDS database into the backups bucket, under its own prefix
    (``<prefix>/<env>/``), which S3 replication and the Storage Transfer job carry to us-east-1 and GCP.

    The CronJob runs in ``namespace`` of the primary region's cluster as ``service_account`` (IRSA:
    put objects under the prefix only). Its database login is a dynamic one from Vault's database
    secrets engine (``<vault_database_mount>/creds/<vault_database_role>``, a role in
    ``pg_read_all_data``), read through the CSI driver as Vault role ``vault_role``.
    """

    enabled: bool = True
    schedule: CronSchedule = Field(
        default="15 4-23/6 * * *", description="UTC: 04:15, 10:15, 16:15, 22:15; each before a transfer."
    )
    max_duration_minutes: int = Field(
        default=30, ge=5, le=720, description="The Job's activeDeadlineSeconds; the pipeline's worst case."
    )
    prefix: DnsLabel = Field(default="postgres-logical", description="Artefacts under <prefix>/<env>/<run>/.")
    retention_days: int = Field(default=35, ge=1, le=3650, description="S3 and GCS delete runs older than this.")
    namespace: DnsLabel = "production"
    service_account: DnsLabel = "postgres-logical-backup"
    vault_role: DnsLabel = "postgres-logical-backup"
    vault_database_mount: DnsLabel = "database"
    vault_database_role: DnsLabel = "tonebridge-logical-backup"
    image: str = Field(
        default="ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie",
        pattern=r"^[a-z0-9./-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$",
        description="PostgreSQL 16 client tools and Python with boto3 (barman-cloud's): runs the script as is.",
    )
    ssl_mode: Literal["require", "verify-ca", "verify-full"] = Field(
        default="require", description="The server forces TLS (rds.force_ssl); verify-* needs the RDS CA mounted."
    )

    def key_prefix(self, env: str) -> str:
        return f"{self.prefix}/{env}"


class Objective(StrictModel):
    """Recovery point objective (most data, by age, a loss may destroy) and recovery time objective."""

    rpo: Duration
    rto: Duration


class DatabaseObjectives(StrictModel):
    """Production's RDS database: losing the primary region (the us-east-1 replica is promoted) and
    losing AWS (restored in GCP from the logical backups)."""

    region: Objective = Objective(rpo="5m", rto="1h")
    dr_site: Objective = Objective(rpo="8h", rto="4h")


class StagingDatabaseObjectives(StrictModel):
    """The CloudNativePG databases (staging): base backups and WAL in the bucket, carried to GCP."""

    dr_site: Objective = Objective(rpo="8h", rto="8h")


class RestoreCapacity(StrictModel):
    """What the RTO checks take a restore to cost; measured by the drills, revised after each real one."""

    throughput_gib_per_hour: int = Field(default=50, ge=1, description="pg_restore into a fresh server.")
    standby_start_minutes: int = Field(default=30, ge=0, description="GKE standby scaled up, server running.")
    promotion_minutes: int = Field(default=15, ge=1, description="RDS replica promotion, as AWS reports it.")


class RecoveryConfig(StrictModel):
    """RPO and RTO per data store (Redis is a cache rebuilt by the applications: no objective)."""

    database: DatabaseObjectives = DatabaseObjectives()
    staging_database: StagingDatabaseObjectives = StagingDatabaseObjectives()
    restore: RestoreCapacity = RestoreCapacity()

"""Disaster recovery of the data (spec §9): production's logical backup (`database.logical_backup`) and the
recovery objectives per data store (`recovery`).

RPO and RTO are stated here and checked (:mod:`tonebridge.config.recovery_rules`) against what the
schedules, the replica, S3 replication and the Storage Transfer job can deliver: an objective the
pipeline cannot meet is a configuration error, not a surprise on the day.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from tonebridge.config.types import StrictModel
from tonebridge.props.logical_backup import CronSchedule, LogicalBackupSettings

__all__ = ["CronSchedule", "LogicalBackupConfig"]

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
#: A duration such as ``15m``, ``8h`` or ``1h30m``.
Duration = Annotated[str, Field(pattern=r"^(\d+h)?(\d+m)?$", min_length=2)]


def minutes(duration: str) -> int:
    """``1h30m`` → 90."""
    match = _DURATION_RE.match(duration)
    if not match:
        raise ValueError(f"{duration!r} is not a duration like 15m, 8h or 1h30m")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


#: The logical backup's model is its construct's settings (one schema), under its configuration name.
LogicalBackupConfig = LogicalBackupSettings


class Objective(StrictModel):
    """Recovery point objective (most data, by age, a loss may destroy) and recovery time objective."""

    rpo: Duration = Field(
        description="At most this much of the latest writes may be lost (`5m`, `1h30m`); checked against what the "
        "backup schedules and replication deliver."
    )
    rto: Duration = Field(
        description="At most this long until the store serves again; checked against promotion or restore times "
        "(`restore`)."
    )


class DatabaseObjectives(StrictModel):
    """Production's RDS database: losing the primary region (the us-east-1 replica is promoted) and
    losing AWS (restored in GCP from the logical backups)."""

    region: Objective = Field(
        default=Objective(rpo="5m", rto="1h"),
        description="Losing the primary region: the us-east-1 replica (§9.1) is promoted.",
    )
    dr_site: Objective = Field(
        default=Objective(rpo="8h", rto="4h"), description="Losing AWS: restored in GCP from the logical backups."
    )


class StagingDatabaseObjectives(StrictModel):
    """The CloudNativePG databases (staging): base backups and WAL in the bucket, carried to GCP."""

    dr_site: Objective = Field(
        default=Objective(rpo="8h", rto="8h"), description="Losing AWS: restored in GCP from the carried backups."
    )


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

"""Recovery objectives against what the pipelines can deliver (`recovery`, `database.logical_backup`).

* Production's database, primary region lost: the us-east-1 read replica is promoted. Its RPO can be
  no tighter than the replica-lag alarm (a lag under it is never noticed), its RTO no tighter than
  Route53's failure detection plus the promotion.
* Production's database, AWS lost: restored in GCP from the newest logical backup the Storage
  Transfer job has carried there (:func:`tonebridge.schedules.delivery` gives the worst loss window);
  the freshness alert in the DR stack fires when nothing new arrived for RPO minus the worst delivery
  delay, which must exceed the longest gap between arrivals (or it would fire on every quiet spell)
  and fit Cloud Monitoring's metric-absence window (23h30m). RTO: the standby started, then the
  database restored at the measured throughput.
* The CloudNativePG databases, AWS lost: WAL is archived at least every CloudNativePG's
  ``archive_timeout`` (5 minutes), so the transfer's gaps decide the RPO.
"""

from __future__ import annotations

from collections.abc import Iterator

from tonebridge import schedules
from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.recovery import minutes

#: Cloud Monitoring's longest metric-absence window (23.5 hours; the console's documented maximum).
ABSENCE_WINDOW_MAX = 23 * 60 + 30
#: CloudNativePG's default archive_timeout: a WAL segment is archived at least this often.
CNPG_ARCHIVE_TIMEOUT = 5
_REPLICA_LAG_DEFAULT_SECONDS = 300


def transfer_runs(cfg: EnvironmentConfig) -> list[int] | None:
    """Daily start minutes of the Storage Transfer job (None without a DR site)."""
    if cfg.dr is None:
        return None
    transfer = cfg.dr.transfer
    return schedules.every(schedules.clock(transfer.start_time_utc), transfer.repeat_interval_hours * 60)


def logical_backup_delivery(cfg: EnvironmentConfig) -> schedules.Delivery | None:
    """Worst cases of production's logical backups reaching GCS (None without both ends)."""
    backup, runs = cfg.database.logical_backup, transfer_runs(cfg)
    if not backup.enabled or runs is None:
        return None
    return schedules.delivery(
        schedules.daily_minutes(backup.schedule),
        backup.max_duration_minutes,
        runs,
        cfg.dr.transfer.max_duration_minutes,
    )


def freshness_window(cfg: EnvironmentConfig) -> int | None:
    """Minutes without a new artefact in GCS after which the DR stack's alert fires (RPO less the
    worst delivery delay, so that it fires no later than the newest artefact turns RPO old)."""
    delivered = logical_backup_delivery(cfg)
    if delivered is None:
        return None
    return minutes(cfg.recovery.database.dr_site.rpo) - delivered.delay


def recovery_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    yield from _logical_backup(cfg)
    yield from _region(cfg)
    yield from _dr_site(cfg)


def _logical_backup(cfg: EnvironmentConfig) -> Iterator[Problem]:
    backup = cfg.database.logical_backup
    at = ("database", "logical_backup")
    if not backup.enabled:
        return
    try:
        runs = schedules.daily_minutes(backup.schedule)
    except ValueError as exc:
        yield Problem((*at, "schedule"), str(exc))
        return
    gaps = [(runs[(i + 1) % len(runs)] - runs[i]) % schedules.DAY or schedules.DAY for i in range(len(runs))]
    if backup.max_duration_minutes >= min(gaps):
        yield Problem(
            (*at, "max_duration_minutes"),
            f"{backup.max_duration_minutes} minutes would let a run overlap the next ({min(gaps)} minutes apart)",
        )
    if backup.retention_days < cfg.backups.object_lock_days:
        yield Problem(
            (*at, "retention_days"),
            f"{backup.retention_days} days is shorter than backups.object_lock_days ({cfg.backups.object_lock_days}):"
            " the lock keeps every run that long anyway",
        )
    if cfg.dr and backup.retention_days < cfg.dr.backups.retention_days:
        yield Problem(
            (*at, "retention_days"),
            f"{backup.retention_days} days is shorter than dr.backups.retention_days "
            f"({cfg.dr.backups.retention_days}): the GCS retention policy refuses earlier deletes",
        )
    namespaces = cfg.platform.get(cfg.aws.primary_region)
    if namespaces is not None and backup.namespace not in namespaces.namespaces:
        yield Problem((*at, "namespace"), f"{backup.namespace} is not a namespace of the primary region's platform")
    if namespaces is not None and not namespaces.secrets.enabled:
        yield Problem(at, "reads its database login from Vault: platform secrets must be enabled in the primary region")


def _region(cfg: EnvironmentConfig) -> Iterator[Problem]:
    objective = cfg.recovery.database.region
    at = ("recovery", "database", "region")
    rds = cfg.database.rds
    if cfg.aws.secondary_region is None:
        return
    if not rds.cross_region_replica:
        if rds.replica_promoted:
            yield Problem(("database", "rds", "replica_promoted"), "there is no cross-region replica to have promoted")
        yield Problem((*at, "rpo"), "needs database.rds.cross_region_replica (nothing to promote in the secondary)")
        return
    secondary = cfg.platform.get(cfg.aws.secondary_region)
    alarms = secondary.observability.cloud_alarms if secondary and secondary.observability.enabled else None
    lag = (alarms.rds_replica_lag_seconds if alarms else None) or _REPLICA_LAG_DEFAULT_SECONDS
    if minutes(objective.rpo) * 60 < lag:
        yield Problem(
            (*at, "rpo"),
            f"{objective.rpo} is below the replica-lag alarm ({lag} s): a lag that breaks it would go unnoticed",
        )
    detection = (cfg.dns.health_check.request_interval * cfg.dns.health_check.failure_threshold) // 60 if cfg.dns else 0
    needed = detection + cfg.recovery.restore.promotion_minutes
    if minutes(objective.rto) < needed:
        yield Problem(
            (*at, "rto"),
            f"{objective.rto} is shorter than failure detection plus promotion ({schedules.duration_text(needed)})",
        )


def _dr_site(cfg: EnvironmentConfig) -> Iterator[Problem]:
    if cfg.dr is None:
        return
    transfer = cfg.dr.transfer
    runs = transfer_runs(cfg)
    objectives, restore = cfg.recovery.database.dr_site, cfg.recovery.restore
    at = ("recovery", "database", "dr_site")
    try:
        delivered = logical_backup_delivery(cfg)
    except ValueError:
        delivered = None  # the schedule's own problem is reported against it
    if not cfg.database.logical_backup.enabled:
        yield Problem((*at, "rpo"), "needs database.logical_backup: nothing of the RDS database reaches GCP otherwise")
    elif delivered is not None:
        rpo = minutes(objectives.rpo)
        backup = cfg.database.logical_backup
        how = (
            f"backups at {backup.schedule} (up to {backup.max_duration_minutes}"
            f" min) and a transfer every {transfer.repeat_interval_hours}h from {transfer.start_time_utc} "
            f"(up to {transfer.max_duration_minutes} min)"
        )
        if rpo < delivered.loss_window:
            yield Problem(
                (*at, "rpo"),
                f"{objectives.rpo} cannot be met: {how} lose up to {schedules.duration_text(delivered.loss_window)}",
            )
        else:
            window = rpo - delivered.delay
            if window < delivered.arrival_gap:
                yield Problem(
                    (*at, "rpo"),
                    f"the freshness alert ({objectives.rpo} less the {schedules.duration_text(delivered.delay)} "
                    "delivery delay) would fire between arrivals "
                    f"{schedules.duration_text(delivered.arrival_gap)} apart",
                )
            if window > ABSENCE_WINDOW_MAX:
                yield Problem(
                    (*at, "rpo"),
                    f"the freshness alert needs a {schedules.duration_text(window)} absence window; Cloud Monitoring "
                    f"allows at most {schedules.duration_text(ABSENCE_WINDOW_MAX)}",
                )
    needed = restore.standby_start_minutes + -(
        -cfg.database.rds.allocated_storage_gib * 60 // restore.throughput_gib_per_hour
    )
    if minutes(objectives.rto) < needed:
        yield Problem(
            (*at, "rto"),
            f"{objectives.rto} is shorter than starting the standby and restoring "
            f"{cfg.database.rds.allocated_storage_gib} GiB at {restore.throughput_gib_per_hour} GiB/h "
            f"({schedules.duration_text(needed)})",
        )
    clusters = [c for p in cfg.platform.values() for c in p.postgres.clusters]
    if clusters and runs is not None:
        wal = schedules.delivery(schedules.every(0, CNPG_ARCHIVE_TIMEOUT), 0, runs, transfer.max_duration_minutes)
        staging = cfg.recovery.staging_database.dr_site
        if minutes(staging.rpo) < wal.loss_window:
            yield Problem(
                ("recovery", "staging_database", "dr_site", "rpo"),
                f"{staging.rpo} cannot be met: WAL archived every {CNPG_ARCHIVE_TIMEOUT} min and a transfer every "
                f"{transfer.repeat_interval_hours}h (up to {transfer.max_duration_minutes} min) lose up to "
                f"{schedules.duration_text(wal.loss_window)}",
            )

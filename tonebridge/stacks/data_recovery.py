"""Disaster recovery of production's database across the stacks (`database.logical_backup`, `recovery`).

* infrastructure stack (primary region): the job's IRSA role (:func:`add_logical_backup_role`);
* platform stack (primary region): the CronJob, its ConfigMap, SecretProviderClass, ServiceAccount
  and NetworkPolicy (:func:`add_logical_backup`), and the Vault role that reads the database login
  (:func:`logical_backup_vault_role`, granted into the bootstrap ConfigMap);
* DR stack: the freshness alert on the GCS copy (:func:`add_backup_freshness`).

The bucket's prefix lifecycle and the GCS lifecycle rule come from :func:`expiring_prefixes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.recovery_rules import freshness_window
from tonebridge.constructs.postgres.logical_backup import LogicalBackup
from tonebridge.constructs.postgres.logical_backup_role import LogicalBackupRole
from tonebridge.features.logical_backup import BackupSources
from tonebridge.features.logical_backup import add_backup_freshness as add_freshness
from tonebridge.features.logical_backup import add_logical_backup as add_job
from tonebridge.features.logical_backup import add_logical_backup_role as add_role
from tonebridge.features.logical_backup import logical_backup_vault_role as vault_role
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.features.foundation import Foundation
    from tonebridge.features.secrets import Secrets
    from tonebridge.stacks.infrastructure import InfrastructureStack
    from tonebridge.stacks.platform import PlatformStack


def enabled(env: EnvironmentConfig, region: str) -> bool:
    """The logical backup runs in the primary region, with Vault there (the rules make sure of it)."""
    platform = env.platform.get(region)
    return (
        env.database.logical_backup.enabled
        and region == env.aws.primary_region
        and platform is not None
        and platform.secrets.enabled
    )


def key_prefix(env: EnvironmentConfig) -> str:
    return env.database.logical_backup.key_prefix(env.name)


def expiring_prefixes(env: EnvironmentConfig) -> dict[str, int]:
    """``{prefix: days}`` for the backups bucket (and its replica) and the GCS copy."""
    backup = env.database.logical_backup
    return {key_prefix(env): backup.retention_days} if backup.enabled else {}


def role_name(env: EnvironmentConfig, region: str) -> str:
    return f"{env.clusters[region].name}-postgres-logical-backup"[:64]


def add_logical_backup_role(
    stack: InfrastructureStack, env: EnvironmentConfig, region: str
) -> LogicalBackupRole | None:
    if not enabled(env, region) or stack.backups is None:
        return None
    settings, name = env.database.logical_backup, role_name(env, region)
    return add_role(stack, settings, env.name, region, name, stack.cluster, stack.backups)


def logical_backup_vault_role(env: EnvironmentConfig, region: str) -> VaultRole | None:
    """The job's Vault role (``features/logical_backup.py``), where the job runs: its login is created on the
    region's database, in the data-tier subnets."""
    if not enabled(env, region):
        return None
    return vault_role(env.database.logical_backup, [str(c) for c in env.network[region].subnets.data])


def add_logical_backup(stack: PlatformStack, base: Foundation, secrets: Secrets | None) -> LogicalBackup | None:
    env, region = stack.env, stack.region
    role = getattr(stack.infra, "logical_backup_role", None)
    if not enabled(env, region) or role is None:
        return None
    database, backups = stack.infra.database, stack.infra.backups
    if database is None or backups is None or secrets is None:
        raise ValueError(f"{region}: the logical backup needs the database, the backups bucket and Vault")
    sources = BackupSources(env.name, region, role, database, env.database.rds, backups, env.network[region])
    return add_job(stack, env.database.logical_backup, sources, base, secrets, stack.config.secrets.application)


def add_backup_freshness(stack, env: EnvironmentConfig):
    """The DR stack's alert on the newest artefact in GCS (None without a logical backup)."""
    window = freshness_window(env)
    if window is None or env.dr is None:
        return None
    rpo = env.recovery.database.dr_site.rpo
    return add_freshness(stack, env.database.logical_backup, env.dr, env.name, rpo, window)

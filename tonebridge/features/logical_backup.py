"""Production's logical backup (spec §9) across the stacks: its IRSA role (infrastructure stack), the CronJob,
its ConfigMap, SecretProviderClass, ServiceAccount and NetworkPolicy and the Vault role that reads its database
login (platform stack), the freshness alert on the GCS copy (DR stack).

The feature takes its settings (``database.logical_backup``, :class:`LogicalBackupSettings`) and what other
features and the infrastructure stack made (the IRSA role, the database, the backups bucket, Vault and the
CSI driver); whether it runs in a region is the stack's to decide (primary region, with Vault there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tonebridge.constructs.irsa import IrsaCluster
from tonebridge.constructs.postgres.logical_backup import LogicalBackup, LogicalBackupProps
from tonebridge.constructs.postgres.logical_backup_role import LogicalBackupRole, LogicalBackupRoleProps
from tonebridge.features.data import Prerequisites, VaultAuth
from tonebridge.props.logical_backup import LogicalBackupSettings
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from constructs import Construct

    from tonebridge.constructs.backups import BackupBuckets
    from tonebridge.constructs.gcp.backup_freshness import BackupFreshness
    from tonebridge.constructs.postgres.rds import RdsPostgres
    from tonebridge.constructs.secrets_store import SecretsStoreCsi
    from tonebridge.constructs.vault import Vault
    from tonebridge.props.dr import DrSettings
    from tonebridge.props.postgres import RdsSettings
    from tonebridge.props.vpc import VpcSettings


#: What the freshness alert's documentation tells the responder to do.
RUNBOOK = (
    "The newest complete logical backup of production's database in GCS is older than the RPO.\n\n"
    "1. `kubectl -n production get cronjob,jobs -l app.kubernetes.io/name=postgres-logical-backup` and the "
    "failed job's log (the backup itself).\n"
    "2. The Storage Transfer job's last operations (`gcloud transfer operations list`): the copy to GCS.\n"
    "3. `make list-postgres-backups` against S3 shows the newest run there.\n"
    'See docs/multi-region.md, "Production database off AWS", and docs/runbooks/postgres-restore.md.'
)


class SecretsPath(Protocol):
    """Vault and the Secrets Store CSI driver (the job reads its login through the driver)."""

    vault: Vault
    csi: SecretsStoreCsi


@dataclass(frozen=True)
class BackupSources:
    """What the job reads and writes, made by the infrastructure stack of its region.

    :param environment: the environment's name (artefacts under ``<prefix>/<environment>/``).
    :param region: the primary region. :param role: the job's IRSA role.
    :param database: the RDS primary and its settings (database name). :param backups: the bucket and its key.
    :param network: the region's VPC (the data-tier subnets the job may reach on 5432).
    """

    environment: str
    region: str
    role: LogicalBackupRole
    database: RdsPostgres
    rds: RdsSettings
    backups: BackupBuckets
    network: VpcSettings


def add_logical_backup_role(
    scope: Construct,
    settings: LogicalBackupSettings,
    environment: str,
    region: str,
    role_name: str,
    cluster: IrsaCluster,
    backups: BackupBuckets,
) -> LogicalBackupRole:
    """The job's IRSA role (infrastructure stack of the primary region): put under its prefix of ``backups``,
    and named in the bucket's and its key's policies (they deny or ignore every principal they do not name)."""
    role = LogicalBackupRole(
        scope,
        "postgres-logical-backup",
        LogicalBackupRoleProps(
            settings,
            environment,
            role_name,
            cluster.irsa,
            backups.bucket_arn,
            backups.key.arn,
            region,
        ),
    )
    backups.allow_writer(role.arn)
    return role


def logical_backup_vault_role(settings: LogicalBackupSettings, database_cidrs: Sequence[str]) -> VaultRole:
    """The job's Vault role for the bootstrap ConfigMap: bound to its service account, reading only
    its database secrets engine path (a dynamic login in pg_read_all_data). The engine creates that login
    on the database in ``database_cidrs`` (the data-tier subnets), so Vault gets egress there on 5432."""
    return VaultRole(
        role=settings.vault_role,
        service_account=settings.service_account,
        namespace=settings.namespace,
        paths=(settings.credentials_path,),
        subject="the logical backup's read-only database login",
        database_cidrs=tuple(database_cidrs),
    )


def add_logical_backup(
    scope: Construct,
    settings: LogicalBackupSettings,
    sources: BackupSources,
    base: Prerequisites,
    secrets: SecretsPath,
    vault_auth: VaultAuth,
) -> LogicalBackup:
    """The CronJob and its objects, logging in to Vault through the CSI driver (spec §8.2's path)."""
    vault, csi = secrets.vault, secrets.csi
    return LogicalBackup(
        scope,
        "postgres-logical-backup",
        LogicalBackupProps(
            settings,
            environment=sources.environment,
            role_arn=sources.role.arn,
            db_host=sources.database.address,
            db_port=sources.database.port,
            database=sources.rds.database_name,
            bucket=sources.backups.bucket_name,
            kms_key_arn=sources.backups.key.arn,
            region=sources.region,
            vault_address=vault.address,
            ca_cert_path=csi.ca_cert_path,
            auth_mount=vault_auth.auth_mount,
            audience=vault_auth.audience,
            database_cidrs=[str(c) for c in sources.network.subnets.data],
        ),
        depends_on=base.namespace_objects([settings.namespace]),
        csi_depends_on=[csi.driver, vault.certificates],
    )


def add_backup_freshness(
    scope: Construct, settings: LogicalBackupSettings, dr: DrSettings, environment: str, rpo: str, absence_minutes: int
) -> BackupFreshness:
    """The DR stack's alert on the newest artefact in GCS: none under ``<prefix>/<environment>/`` for
    ``absence_minutes`` (the RPO ``rpo`` less the pipeline's worst case) opens an incident."""
    # Imported here: only the DR stack loads the Google provider.
    from tonebridge.constructs.gcp.backup_freshness import BackupFreshness, BackupFreshnessProps

    return BackupFreshness(
        scope,
        "postgres-logical-backup-freshness",
        dr,
        BackupFreshnessProps(
            key_prefix=settings.key_prefix(environment),
            metric_name=f"{environment}-postgres-logical-backup-arrivals",
            rpo_text=rpo,
            absence_minutes=absence_minutes,
            runbook=RUNBOOK,
        ),
    )

"""Production's logical backup (spec §9, disaster recovery): ``database.logical_backup`` in the YAML *is*
:class:`LogicalBackupSettings`, and :class:`tonebridge.constructs.postgres.logical_backup.LogicalBackup` takes
it, so each field and its rule are declared once. Cdktf-free (rules layer).

The CronJob runs in ``namespace`` of the primary region's cluster as ``service_account`` (IRSA: put
objects under the prefix only). Its database login is a dynamic one from Vault's database secrets engine
(``<vault_database_mount>/creds/<vault_database_role>``, a role in ``pg_read_all_data``), read through the
CSI driver as Vault role ``vault_role``.

Whether it runs where (primary region, with Vault) and what its schedule must deliver (the RPO) are
configuration rules: :mod:`tonebridge.config.recovery_rules`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge.props.types import DnsLabel, StrictModel

#: Five cron fields (a Kubernetes CronJob's schedule, UTC).
CronSchedule = Annotated[str, Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")]


class LogicalBackupSettings(StrictModel):
    """A scheduled pg_dump of production's RDS database into the backups bucket, under its own prefix
    (``<prefix>/<env>/``), which S3 replication and the Storage Transfer job carry to us-east-1 and GCP."""

    enabled: bool = Field(
        default=True,
        description="Run the CronJob in the primary region (platform secrets must be on there); the DR site's RPO "
        "needs it, as nothing else of the RDS database reaches GCP.",
    )
    schedule: CronSchedule = Field(
        default="15 4-23/6 * * *", description="UTC: 04:15, 10:15, 16:15, 22:15; each before a transfer."
    )
    max_duration_minutes: int = Field(
        default=30, ge=5, le=720, description="The Job's activeDeadlineSeconds; the pipeline's worst case."
    )
    prefix: DnsLabel = Field(default="postgres-logical", description="Artefacts under <prefix>/<env>/<run>/.")
    retention_days: int = Field(default=35, ge=1, le=3650, description="S3 and GCS delete runs older than this.")
    namespace: DnsLabel = Field(
        default="production",
        description="Namespace of the CronJob, one of the primary region's `platform.<region>.namespaces`.",
    )
    service_account: DnsLabel = Field(
        default="postgres-logical-backup",
        description="The job's ServiceAccount: its IRSA role may only put objects under the prefix, and the Vault "
        "role is bound to it.",
    )
    vault_role: DnsLabel = Field(
        default="postgres-logical-backup",
        description="Vault Kubernetes auth role the job logs in as; its policy reads only the database login.",
    )
    vault_database_mount: DnsLabel = Field(
        default="database",
        description="Mount path of Vault's database secrets engine (set up by hand: docs/operations.md).",
    )
    vault_database_role: DnsLabel = Field(
        default="tonebridge-logical-backup",
        description="Role of that engine whose `creds` issue the job a short-lived login in pg_read_all_data.",
    )
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

    @property
    def credentials_path(self) -> str:
        """The Vault path of the job's dynamic database login (the database secrets engine's ``creds``)."""
        return f"{self.vault_database_mount}/creds/{self.vault_database_role}"

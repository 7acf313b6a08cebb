"""RDS PostgreSQL settings (spec §4.1, §9.1, §11.1): the ``database.rds`` section of the configuration
*is* this model, so each field and its rule are declared once. The server settings both engines share are
:class:`tonebridge.postgres_settings.PostgresSettings`; the construct side is
:class:`tonebridge.constructs.postgres.ha.PostgresHA`. Cdktf-free (rules layer).

Cross-field rules (replication needs a secondary region, window overlap) stay in
:mod:`tonebridge.config.semantics`, so that each problem is reported against its own field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tonebridge import cloudfacts
from tonebridge.props.redis import DEFAULT_CLIENTS
from tonebridge.props.types import DnsLabel, LogRetentionDays, StrictModel, checked

#: An RDS for PostgreSQL instance class (the cloud facts table; nearest classes suggested).
DbInstanceClass = Annotated[
    str,
    Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$"),
    AfterValidator(checked(cloudfacts.rds_instance_class_problem)),
]
#: A major version ("16", kept current by auto minor upgrades) or a pinned "16.NN" that RDS still creates.
PostgresVersion = Annotated[
    str, Field(pattern=r"^1[0-9](\.\d{1,2})?$"), AfterValidator(checked(cloudfacts.postgres_version_problem))
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

#: Role names RDS or PostgreSQL keep for themselves (RDS's own roles, CREATE ROLE's reserved names) and
#: PostgreSQL's reserved key words (PostgreSQL docs, Appendix C "SQL Key Words", the "reserved" column).
RESERVED_USERNAMES = frozenset(
    [
        "public",
        "none",
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "system_user",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ]
)


def _master_username(name: str) -> str:
    """CreateDBInstance's MasterUsername: 1-16 letters, digits or '_', a letter first, not a reserved word."""
    if len(name) > 16:
        raise ValueError(f"{name!r} has {len(name)} characters; RDS allows at most 16 for the master user")
    if name in RESERVED_USERNAMES or name.startswith(("rds", "pg_")):
        raise ValueError(f"{name!r} is reserved (RDS's own rds* roles, PostgreSQL's pg_* roles and reserved words)")
    return name


MasterUsername = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$"), AfterValidator(_master_username)]


class RdsSettings(StrictModel):
    """The RDS PostgreSQL primary in the primary region and its cross-region replica (spec §11.1, §9.1)."""

    engine_version: PostgresVersion = Field(
        default="16", description="'16' lets RDS pick the current 16.x and auto minor upgrades keep it current."
    )
    instance_class: DbInstanceClass = Field(
        default="db.r5.2xlarge", description="Instance class of the primary (and of the replica unless overridden)."
    )
    allocated_storage_gib: int = Field(
        default=100, ge=20, le=65536, description="Initial gp3 storage of the primary, encrypted under its own key."
    )
    max_allocated_storage_gib: int = Field(
        default=500, ge=0, le=65536, description="Storage autoscaling ceiling; 0 turns autoscaling off."
    )
    multi_az: bool = Field(
        default=True, description="A synchronous standby of the primary in another zone, failed over to by RDS."
    )
    database_name: DbIdentifierPart = Field(
        default="tonebridge", description="Database created on the primary (§4.1 `initdb.database`)."
    )
    master_username: MasterUsername = Field(
        default="tonebridge_admin",
        description="Master user; its password is generated and rotated by RDS in Secrets Manager, never configured. "
        "1-16 lowercase letters, digits or '_', a letter first; not rdsadmin (nor any rds*/pg_* role) or a "
        "PostgreSQL reserved word.",
    )
    backup_retention_days: int = Field(
        default=30,
        ge=1,
        le=35,
        description="How long RDS keeps automated backups: the reach of point-in-time recovery.",
    )
    backup_window: BackupWindow = Field(
        default="03:00-04:00",
        description="Daily UTC window of the automated backup, 30 minutes or more, apart from maintenance.",
    )
    maintenance_window: MaintenanceWindow = Field(
        default="sun:04:00-sun:05:00", description="Weekly UTC window in which RDS applies updates and reboots."
    )
    log_retention_days: LogRetentionDays = Field(
        default=365, description="CloudWatch retention of the exported PostgreSQL and upgrade logs."
    )
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
    replicated_backup_retention_days: int = Field(
        default=7, ge=1, le=35, description="How long the backups replicated to aws.secondary_region are kept."
    )
    replica_promoted: bool = Field(
        default=False,
        description="Set once `make promote-replica` has promoted the replica: it is then a standalone instance"
        " (no replicate_source_db), so that Terraform's plan matches what RDS now runs.",
    )
    client_namespace: DnsLabel = Field(
        default="production",
        description="Namespace of the database's clients in every region with an instance (primary or replica): "
        "the application namespace that gets the database password (`platform.<region>.secrets.application`).",
    )
    client_services: list[DnsLabel] = Field(
        default_factory=lambda: list(DEFAULT_CLIENTS),
        description="Services (pods labelled `app: <name>`) of `client_namespace` that may connect to the instance "
        "on 5432: an egress policy to the data-tier subnets, rendered from their declared flows (the namespace's "
        "default deny would drop the connections, and Argo CD may not sync a NetworkPolicy). Where the namespace "
        "has network isolation, each must be one of its services (§8.1).",
    )

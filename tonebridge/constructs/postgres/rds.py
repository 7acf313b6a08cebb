"""RDS engine of PostgreSQL (spec §4.1, §9.1, §11.1): the primary instance and its cross-region replica.

Stack layout. The primary lives in the primary region's stack; the replica and the replication of
automated backups live in the secondary region's stack, which refers to the primary's ARN. That
makes the secondary stack depend on the primary one and never the other way round: nothing of the
primary needs a value from the secondary region, so no dependency cycle can arise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_instance_automated_backups_replication import DbInstanceAutomatedBackupsReplication
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, logs_grant
from tonebridge.constructs.trust import service_trust

POSTGRES_PORT = 5432

#: PostgreSQL logs RDS can export; both go to CloudWatch (spec §11.1 "PostgreSQL logs to CloudWatch").
LOG_EXPORTS = ("postgresql", "upgrade")

#: Parameters PostgreSQL reads only at server start (pg_settings.context = postmaster): RDS must
#: apply them at the next reboot; the others apply at once.
STATIC_PARAMETERS = frozenset({"max_connections", "shared_buffers", "wal_buffers"})

#: Parameters RDS needs whatever the workload: reject connections without TLS.
RDS_PARAMETERS = {"rds.force_ssl": "1"}

ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"

#: Server certificate authority: RSA 2048, valid to 2061 (the older rds-ca-2019 expired in 2024).
CA_CERTIFICATE = "rds-ca-rsa2048-g1"

_IDENTIFIER_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _identifier_problem(identifier: str) -> str | None:
    if not 1 <= len(identifier) <= 63 or not identifier[0].isalpha() or not set(identifier) <= _IDENTIFIER_CHARS:
        return "must be 1-63 lowercase letters, digits or hyphens, starting with a letter"
    if identifier.endswith("-") or "--" in identifier:
        return "may not end with a hyphen or contain two hyphens in a row"
    return None


def _major(version: str) -> str:
    return version.split(".")[0]


@dataclass(frozen=True)
class RdsNetworkProps:
    """Where an instance lives: its VPC, the DB subnet group of the data tier, and the security groups
    allowed to connect on 5432 (the cluster's node and control-plane groups)."""

    vpc_id: str
    db_subnet_group_name: str
    client_security_group_ids: Sequence[str]

    def __post_init__(self) -> None:
        if not self.client_security_group_ids:
            raise ValueError("client_security_group_ids must name at least one security group (nothing could connect)")


@dataclass(frozen=True, kw_only=True)
class RdsInstanceProps:
    """What the primary and its replica share.

    identifier: DB instance identifier, also the prefix of its key alias, roles and log groups (required).
    network: VPC, subnet group and client security groups (required).
    parameters: PostgreSQL parameters in RDS units (``PostgresSettings.numeric()``) (required).
    engine_version: ``"16"`` (default; RDS picks the current minor, auto minor upgrades keep it current)
        or a pinned ``"16.NN"``; the parameter group family follows the major version.
    instance_class: default ``db.r5.2xlarge`` (spec §11.1). multi_az: a standby in another zone (default True).
    max_allocated_storage_gib: storage autoscaling ceiling (default 500; 0 turns autoscaling off).
    backup_retention_days: default 30. backup_window: default ``03:00-04:00``. maintenance_window:
        default ``sun:04:00-sun:05:00`` (all spec §11.1, UTC).
    log_retention_days: CloudWatch retention of the exported logs (default 365).
    performance_insights_retention_days: default 7. monitoring_interval: enhanced monitoring seconds (default 60).
    protect: deletion protection (default True).
    """

    identifier: str
    network: RdsNetworkProps
    parameters: Mapping[str, str]
    engine_version: str = "16"
    instance_class: str = "db.r5.2xlarge"
    multi_az: bool = True
    max_allocated_storage_gib: int = 500
    backup_retention_days: int = 30
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:00-sun:05:00"
    log_retention_days: int = 365
    performance_insights_retention_days: int = 7
    monitoring_interval: int = 60
    protect: bool = True

    def __post_init__(self) -> None:
        problem = _identifier_problem(self.identifier)
        if problem:
            raise ValueError(f"RDS identifier {self.identifier!r}: {problem}")
        if not self.parameters:
            raise ValueError(f"{self.identifier}: parameters must not be empty")
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError(f"{self.identifier}: backup_retention_days must be 1-35 (0 would turn backups off)")
        if self.monitoring_interval not in (1, 5, 10, 15, 30, 60):
            raise ValueError(f"{self.identifier}: monitoring_interval must be 1, 5, 10, 15, 30 or 60")

    @property
    def family(self) -> str:
        return f"postgres{_major(self.engine_version)}"


@dataclass(frozen=True, kw_only=True)
class RdsPostgresProps(RdsInstanceProps):
    """Props of :class:`RdsPostgres`: those of :class:`RdsInstanceProps`, and

    allocated_storage_gib: gp3 storage (default 100, spec §11.1).
    database_name, master_username: initial database and its owner (defaults ``tonebridge`` and
        ``tonebridge_admin``); the password is generated and kept in Secrets Manager by RDS.
    With ``protect``, a final snapshot is taken and automated backups outlive the instance.
    """

    allocated_storage_gib: int = 100
    database_name: str = "tonebridge"
    master_username: str = "tonebridge_admin"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 20 <= self.allocated_storage_gib <= 65536:
            raise ValueError(f"{self.identifier}: allocated_storage_gib must be 20-65536 for gp3")
        if self.max_allocated_storage_gib and self.max_allocated_storage_gib <= self.allocated_storage_gib:
            raise ValueError(f"{self.identifier}: max_allocated_storage_gib must exceed allocated_storage_gib, or be 0")


@dataclass(frozen=True, kw_only=True)
class RdsPostgresReplicaProps(RdsInstanceProps):
    """Props of :class:`RdsPostgresReplica`, created in the replica's own region (another stack): those
    of :class:`RdsInstanceProps` (``backup_retention_days`` being the replica's own backups, there once
    it is promoted; ``multi_az`` so that it is highly available at once), and

    source_arn: the primary's ARN (required).
    promoted: the replica has been promoted (``make promote-replica``): the instance is declared without
        ``replicate_source_db``, as RDS now runs it; Terraform then plans no change (default False).
    create_replica: the read replica itself (default True).
    replicate_automated_backups: also replicate the primary's automated backups into this region,
        under this region's key (default True). replicated_backup_retention_days: default 7.
    A replica never takes a final snapshot (RDS refuses one).
    """

    source_arn: str
    promoted: bool = False
    create_replica: bool = True
    replicate_automated_backups: bool = True
    replicated_backup_retention_days: int = 7

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.create_replica or self.replicate_automated_backups):
            raise ValueError(f"{self.identifier}: neither a replica nor backup replication: nothing to create")
        if not 1 <= self.replicated_backup_retention_days <= 35:
            raise ValueError(f"{self.identifier}: replicated_backup_retention_days must be 1-35")


class _RdsInstanceBase(Construct):
    """What every instance of this engine has: a customer key (storage, Performance Insights, logs,
    secret), CMK-encrypted log groups created before the instance exports to them, a parameter group,
    a security group open on 5432 only to the clients, and an enhanced-monitoring role."""

    def __init__(self, scope: Construct, id_: str, props: RdsInstanceProps) -> None:
        super().__init__(scope, id_)
        identifier, network = props.identifier, props.network
        aws = AwsContext.of(self)
        log_prefix = f"/aws/rds/instance/{identifier}/"
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=f"{identifier}-rds",
                description=f"{identifier}: database storage, Performance Insights, logs and master secret",
                service_grants=[logs_grant(aws.region, log_prefix)],
                # RDS creates the managed master secret with the caller's use of the key.
                deployers_use=True,
            ),
        )
        self.log_groups = [
            CloudwatchLogGroup(
                self,
                f"log-{log}",
                name=f"{log_prefix}{log}",
                retention_in_days=props.log_retention_days,
                kms_key_id=self.key.arn,
            )
            for log in LOG_EXPORTS
        ]
        self.parameter_group = DbParameterGroup(
            self,
            "parameters",
            name=identifier,
            family=props.family,
            description=f"{identifier}: spec 4.1 settings in RDS units, TLS required",
            parameter=[
                DbParameterGroupParameter(
                    name=name,
                    value=value,
                    apply_method="pending-reboot" if name in STATIC_PARAMETERS else "immediate",
                )
                for name, value in sorted({**props.parameters, **RDS_PARAMETERS}.items())
            ],
        )
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=f"{identifier}-db",
            description=f"{identifier}: PostgreSQL from the cluster only",
            vpc_id=network.vpc_id,
            tags={"Name": f"{identifier}-db"},
        )
        for i, client in enumerate(network.client_security_group_ids):
            VpcSecurityGroupIngressRule(
                self,
                f"from-client-{i}",
                security_group_id=self.security_group.id,
                description="PostgreSQL from the cluster",
                ip_protocol="tcp",
                from_port=POSTGRES_PORT,
                to_port=POSTGRES_PORT,
                referenced_security_group_id=client,
            )
        self.security_group_id: str = self.security_group.id
        self.monitoring_role = IamRole(
            self,
            "monitoring-role",
            name=f"{identifier}-rds-monitoring",
            assume_role_policy=service_trust("monitoring.rds.amazonaws.com", aws.account_id),
        )
        IamRolePolicyAttachment(
            self,
            "monitoring-policy",
            role=self.monitoring_role.name,
            policy_arn=f"arn:{aws.partition}:iam::aws:policy/{ENHANCED_MONITORING_POLICY}",
        )

    def _instance(self, props: RdsInstanceProps, **specific) -> DbInstance:
        """The DB instance with every setting primary and replica share, plus ``specific``."""
        return DbInstance(
            self,
            "instance",
            identifier=props.identifier,
            instance_class=props.instance_class,
            max_allocated_storage=props.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            multi_az=props.multi_az,
            iam_database_authentication_enabled=True,
            port=POSTGRES_PORT,
            db_subnet_group_name=props.network.db_subnet_group_name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            ca_cert_identifier=CA_CERTIFICATE,
            parameter_group_name=self.parameter_group.name,
            backup_retention_period=props.backup_retention_days,
            backup_window=props.backup_window,
            maintenance_window=props.maintenance_window,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=props.performance_insights_retention_days,
            monitoring_interval=props.monitoring_interval,
            monitoring_role_arn=self.monitoring_role.arn,
            deletion_protection=props.protect,
            depends_on=self.log_groups,  # RDS would create the groups itself, unencrypted and kept forever
            tags={"Name": props.identifier},
            **specific,
        )


class RdsPostgres(_RdsInstanceBase):
    """A private, encrypted, Multi-AZ RDS PostgreSQL primary: gp3 storage under a customer key,
    the master password generated and rotated by RDS in Secrets Manager under the same key, IAM
    authentication, TLS required (``rds.force_ssl``), logs exported to CloudWatch, Performance
    Insights and enhanced monitoring, deletion protection and a final snapshot when protected.

    Attributes: ``instance`` (aws_db_instance), ``arn``, ``identifier``, ``endpoint`` (host:port),
    ``address``, ``port``, ``master_secret_arn``, ``security_group_id``, ``key`` (EncryptionKey),
    ``parameter_group``, ``log_groups``, ``monitoring_role``.
    """

    def __init__(self, scope: Construct, id_: str, props: RdsPostgresProps) -> None:
        super().__init__(scope, id_, props)
        self.props = props
        self.instance = self._instance(
            props,
            engine="postgres",
            engine_version=props.engine_version,
            allocated_storage=props.allocated_storage_gib,
            db_name=props.database_name,
            username=props.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.key.arn,
            allow_major_version_upgrade=False,
            skip_final_snapshot=not props.protect,
            final_snapshot_identifier=f"{props.identifier}-final" if props.protect else None,
            delete_automated_backups=not props.protect,
        )
        self.identifier: str = self.instance.identifier
        self.arn: str = self.instance.arn
        self.endpoint: str = self.instance.endpoint
        self.address: str = self.instance.address
        self.port: float = self.instance.port
        self.master_secret_arn: str = self.instance.master_user_secret.get(0).secret_arn


class RdsPostgresReplica(_RdsInstanceBase):
    """The secondary region's side of an :class:`RdsPostgres` (spec §9.1): a cross-region read replica
    (its own key, parameter group, security group and subnet group in that region's VPC) and the
    replication of the primary's automated backups into that region under the same key, so that
    point-in-time recovery survives the loss of the primary region.

    Attributes: ``instance`` (aws_db_instance or None), ``arn``, ``endpoint``, ``address`` (or None),
    ``security_group_id``, ``key``, ``backups_replication`` (or None).
    """

    def __init__(self, scope: Construct, id_: str, props: RdsPostgresReplicaProps) -> None:
        super().__init__(scope, id_, props)
        self.props = props
        self.instance: DbInstance | None = None
        self.arn: str | None = None
        self.endpoint: str | None = None
        self.address: str | None = None
        if props.create_replica:
            self.instance = self._instance(
                props,
                replicate_source_db=None if props.promoted else props.source_arn,
                skip_final_snapshot=True,  # RDS takes no final snapshot of a read replica
            )
            self.arn = self.instance.arn
            self.endpoint = self.instance.endpoint
            self.address = self.instance.address
        self.backups_replication: DbInstanceAutomatedBackupsReplication | None = None
        if props.replicate_automated_backups:
            self.backups_replication = DbInstanceAutomatedBackupsReplication(
                self,
                "backups-replication",
                source_db_instance_arn=props.source_arn,
                kms_key_id=self.key.arn,
                retention_period=props.replicated_backup_retention_days,
            )

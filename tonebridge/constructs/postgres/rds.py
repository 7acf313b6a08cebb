"""RDS engine of PostgreSQL (spec §4.1, §9.1, §11.1): the primary instance and its cross-region replica.

Stack layout. The primary lives in the primary region's stack; the replica and the replication of
automated backups live in the secondary region's stack, which refers to the primary's ARN. That
makes the secondary stack depend on the primary one and never the other way round: nothing of the
primary needs a value from the secondary region, so no dependency cycle can arise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_instance_automated_backups_replication import DbInstanceAutomatedBackupsReplication
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, logs_grant
from tonebridge.constructs.trust import service_role
from tonebridge.props.postgres import RdsSettings

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
    """What the primary and its replica share: the wiring the stack resolves, and the settings.

    identifier: DB instance identifier, also the prefix of its key alias, roles and log groups (required).
    network: VPC, subnet group and client security groups (required).
    parameters: PostgreSQL parameters in RDS units (``PostgresSettings.numeric()``) (required).
    settings: the ``database.rds`` section itself (:class:`~tonebridge.props.postgres.RdsSettings`:
        engine version, class, storage, windows, retention, monitoring, protection, replica options;
        its defaults are spec §11.1's). The parameter group family follows the major version.
    """

    identifier: str
    network: RdsNetworkProps
    parameters: Mapping[str, str]
    settings: RdsSettings = field(default_factory=RdsSettings)

    def __post_init__(self) -> None:
        problem = _identifier_problem(self.identifier)
        if problem:
            raise ValueError(f"RDS identifier {self.identifier!r}: {problem}")
        if not self.parameters:
            raise ValueError(f"{self.identifier}: parameters must not be empty")

    @property
    def family(self) -> str:
        return f"postgres{_major(self.settings.engine_version)}"

    @property
    def instance_class(self) -> str:
        return self.settings.instance_class

    @property
    def multi_az(self) -> bool:
        return self.settings.multi_az


@dataclass(frozen=True, kw_only=True)
class RdsPostgresProps(RdsInstanceProps):
    """Props of :class:`RdsPostgres`: those of :class:`RdsInstanceProps`. The settings' storage
    (gp3, ``allocated_storage_gib`` up to ``max_allocated_storage_gib``), ``database_name`` and
    ``master_username`` apply (the password is generated and kept in Secrets Manager by RDS). With
    ``protect``, a final snapshot is taken and automated backups outlive the instance.
    """


@dataclass(frozen=True, kw_only=True)
class RdsPostgresReplicaProps(RdsInstanceProps):
    """Props of :class:`RdsPostgresReplica`, created in the replica's own region (another stack): those
    of :class:`RdsInstanceProps`, and ``source_arn``, the primary's ARN (required). Of the settings, the
    replica takes ``replica_instance_class`` (default: the primary's), ``replica_multi_az`` (highly
    available at once after promotion), ``backup_retention_days`` (its own backups, there once promoted),
    ``replica_promoted`` (after ``make promote-replica`` the instance is declared without
    ``replicate_source_db``, as RDS now runs it, so Terraform plans no change), ``cross_region_replica``
    (the read replica itself) and ``automated_backup_replication`` (the primary's automated backups
    replicated into this region under this region's key, kept ``replicated_backup_retention_days``).
    A replica never takes a final snapshot (RDS refuses one).
    """

    source_arn: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.settings.cross_region_replica or self.settings.automated_backup_replication):
            raise ValueError(f"{self.identifier}: neither a replica nor backup replication: nothing to create")

    @property
    def instance_class(self) -> str:
        return self.settings.replica_instance_class or self.settings.instance_class

    @property
    def multi_az(self) -> bool:
        return self.settings.replica_multi_az


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
                retention_in_days=props.settings.log_retention_days,
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
                description="PostgreSQL from a client (the cluster, the bastion)",
                ip_protocol="tcp",
                from_port=POSTGRES_PORT,
                to_port=POSTGRES_PORT,
                referenced_security_group_id=client,
            )
        self.security_group_id: str = self.security_group.id
        self.monitoring_role = service_role(
            self, "monitoring-role", f"{identifier}-rds-monitoring", "monitoring.rds.amazonaws.com", aws.account_id
        )
        IamRolePolicyAttachment(
            self,
            "monitoring-policy",
            role=self.monitoring_role.name,
            policy_arn=f"arn:{aws.partition}:iam::aws:policy/{ENHANCED_MONITORING_POLICY}",
        )

    def _instance(self, props: RdsInstanceProps, **specific) -> DbInstance:
        """The DB instance with every setting primary and replica share, plus ``specific``."""
        settings = props.settings
        return DbInstance(
            self,
            "instance",
            identifier=props.identifier,
            instance_class=props.instance_class,
            max_allocated_storage=settings.max_allocated_storage_gib,
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
            backup_retention_period=settings.backup_retention_days,
            backup_window=settings.backup_window,
            maintenance_window=settings.maintenance_window,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=settings.performance_insights_retention_days,
            monitoring_interval=settings.monitoring_interval,
            monitoring_role_arn=self.monitoring_role.arn,
            deletion_protection=settings.protect,
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
        settings = props.settings
        self.instance = self._instance(
            props,
            engine="postgres",
            engine_version=settings.engine_version,
            allocated_storage=settings.allocated_storage_gib,
            db_name=settings.database_name,
            username=settings.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.key.arn,
            allow_major_version_upgrade=False,
            skip_final_snapshot=not settings.protect,
            final_snapshot_identifier=f"{props.identifier}-final" if settings.protect else None,
            delete_automated_backups=not settings.protect,
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
        settings = props.settings
        self.instance: DbInstance | None = None
        self.arn: str | None = None
        self.endpoint: str | None = None
        self.address: str | None = None
        if settings.cross_region_replica:
            self.instance = self._instance(
                props,
                replicate_source_db=None if settings.replica_promoted else props.source_arn,
                skip_final_snapshot=True,  # RDS takes no final snapshot of a read replica
            )
            self.arn = self.instance.arn
            self.endpoint = self.instance.endpoint
            self.address = self.instance.address
        self.backups_replication: DbInstanceAutomatedBackupsReplication | None = None
        if settings.automated_backup_replication:
            self.backups_replication = DbInstanceAutomatedBackupsReplication(
                self,
                "backups-replication",
                source_db_instance_arn=props.source_arn,
                kms_key_id=self.key.arn,
                retention_period=settings.replicated_backup_retention_days,
            )

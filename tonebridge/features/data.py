"""Data in the cluster (spec §4.1, §4.2): the CloudNativePG operator and its PostgreSQL clusters, the Redis
operator and its cluster, the Vault role that reads Redis's password, and (infrastructure stack) the IRSA roles
the CloudNativePG clusters back up with.

Each feature takes its settings (``platform.<region>.postgres`` / ``.redis``, the models of
:mod:`tonebridge.props.cnpg` and :mod:`tonebridge.props.redis`) and the wiring other features resolve
(the namespaces and StorageClasses it waits for, Vault, Prometheus's namespace, the backup roles), builds
its constructs in the caller's scope under today's ids, and returns what it built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.data_operator import DataOperatorProps
from tonebridge.constructs.irsa import IrsaCluster
from tonebridge.constructs.postgres.backup_role import CnpgBackupRole, CnpgBackupRoleProps
from tonebridge.constructs.postgres.cnpg import (
    BarmanStore,
    CnpgClusterProps,
    CnpgOperator,
    CnpgOperatorProps,
    s3_range,
)
from tonebridge.constructs.postgres.ha import PostgresHA
from tonebridge.constructs.redis import RedisCluster, RedisClusterProps, RedisOperator, RedisOperatorProps
from tonebridge.props.cnpg import CnpgClusterSettings, PostgresPlatformSettings
from tonebridge.props.pools import Toleration
from tonebridge.props.redis import RedisSettings
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from cdktf import ITerraformDependable
    from constructs import Construct

    from tonebridge.constructs.backups import BackupBuckets
    from tonebridge.constructs.postgres.logical_backup import LogicalBackup
    from tonebridge.constructs.vault import Vault
    from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator


P = TypeVar("P", bound=DataOperatorProps)


class Prerequisites(Protocol):
    """The namespaces and StorageClasses a stack creates, as ``depends_on`` lists (the stack's foundation)."""

    def namespace_objects(self, names: Iterable[str]) -> list: ...

    def storage_class_objects(self, names: Iterable[str]) -> list: ...


class VsoPath(Protocol):
    """The region's secrets path as far as the data tier uses it: Vault and the Vault Secrets Operator."""

    vault: Vault
    operator: VaultSecretsOperator


class VaultAuth(Protocol):
    """Where a namespace logs in to Vault, through VSO or the CSI provider (the application's auth mount and token
    audience, shared by every namespace)."""

    auth_mount: str
    audience: str


@dataclass(frozen=True)
class Controllers:
    """Where the data tier's operators run: the cluster's Kubernetes ``1.NN`` and the controllers' placement."""

    kubernetes_version: str
    node_selector: Mapping[str, str]
    tolerations: Sequence[Toleration]

    def props(self, props_class: type[P], namespace: str, **more: Any) -> P:
        """An operator's props (``props_class``): its namespace, here, and ``more`` settings."""
        placement = {"node_selector": self.node_selector, "tolerations": self.tolerations}
        return props_class(kubernetes_version=self.kubernetes_version, namespace=namespace, **placement, **more)


@dataclass(frozen=True)
class RedisTier:
    """The Redis operator and its cluster."""

    operator: RedisOperator
    cluster: RedisCluster


@dataclass(frozen=True)
class PostgresTier:
    """The CloudNativePG operator and its clusters, by ``<namespace>/<name>``."""

    operator: CnpgOperator
    clusters: Mapping[str, PostgresHA]


@dataclass(frozen=True)
class DataTier:
    """What a region's platform runs of the data tier (each None where off): the CloudNativePG clusters,
    production's logical backup job, the Redis cluster."""

    postgres: PostgresTier | None
    logical_backup: LogicalBackup | None
    redis: RedisTier | None


def redis_vault_role(settings: RedisSettings) -> VaultRole | None:
    """Redis's password: VSO logs in for the Redis namespace as a role of its own, readable path exactly one."""
    return settings.password.vault_role(settings.namespace) if settings.enabled else None


def add_redis(
    scope: Construct,
    settings: RedisSettings,
    controllers: Controllers,
    base: Prerequisites,
    secrets: VsoPath | None,
    vault_auth: VaultAuth,
    *,
    warm: bool,
    monitoring_namespace: str | None,
) -> RedisTier | None:
    """Spec §4.2: the operator and a sharded cluster whose password VSO copies from Vault (None where off).
    ``warm``: the secondary region's copy, a warm cache (its objects say so)."""
    if not settings.enabled:
        return None
    operator = RedisOperator(
        scope, "redis-operator", controllers.props(RedisOperatorProps, settings.operator_namespace)
    )
    if secrets is None:
        # The configuration's rules make Redis need the secrets path; this is the last guard.
        raise ValueError(f"{settings.name}: Redis reads its password from Vault: platform secrets must be enabled")
    vault = secrets.vault
    cluster = RedisCluster(
        scope,
        f"redis-{settings.namespace}-{settings.name}",
        RedisClusterProps(
            settings,
            vault_address=vault.address,
            ca_secret=vault.ca_bundle_secret,
            auth_mount=vault_auth.auth_mount,
            audience=vault_auth.audience,
            labels={"tonebridge.io/cache-role": "warm-standby" if warm else "primary"},
            monitoring_namespace=monitoring_namespace,
        ),
        depends_on=[
            operator.release,
            # its policies reach into the clients' namespace
            *base.namespace_objects([settings.namespace, settings.clients.namespace]),
            *base.storage_class_objects([settings.storage_class]),
            secrets.operator.release,
            vault.certificates,
        ],
    )
    return RedisTier(operator, cluster)


class BucketNames(Protocol):
    """The backups buckets' names (``backups`` of the configuration): each environment's own, and the
    replicated copy in a secondary region."""

    def bucket_for(self, environment: str) -> str: ...

    def replica_bucket_name(self, secondary_region: str) -> str: ...


@dataclass(frozen=True)
class CnpgWiring:
    """What a region's CloudNativePG clusters need besides their settings.

    :param region: the cluster's AWS region (its S3 range; a replica reads that region's bucket copy).
    :param vpc_cidr: where the API server and the STS endpoint answer.
    :param parameters: ``postgresql.conf`` (spec §4.1, ``database.settings``; the values RDS gets too).
    :param buckets: the backups buckets' names.
    :param environments: the ``environment`` label of each declared namespace: each environment's
        database writes its own bucket (staging never writes production's); undeclared is production.
    :param backup_roles: the IRSA role ARN of each cluster's backups, by ``<namespace>/<name>``.
    """

    region: str
    vpc_cidr: str
    parameters: Mapping[str, str]
    buckets: BucketNames
    environments: Mapping[str, str | None]
    backup_roles: Mapping[str, str]

    def stores(self, cluster: CnpgClusterSettings) -> tuple[BarmanStore | None, BarmanStore | None]:
        """``(backup, replica_store)`` of ``cluster``: where its backups go, or, for a replica, where it reads
        (a replica only reads; the primary cluster's backups are the ones that count)."""
        if cluster.replica:
            return None, BarmanStore(self.buckets.replica_bucket_name(self.region), compression=cluster.compression)
        environment = self.environments.get(cluster.namespace, "production")
        bucket = self.buckets.bucket_for(environment)
        return BarmanStore(bucket, compression=cluster.compression, encryption=cluster.encryption), None


def add_postgres(
    scope: Construct,
    settings: PostgresPlatformSettings,
    controllers: Controllers,
    base: Prerequisites,
    wiring: CnpgWiring,
    *,
    monitoring_namespace: str | None,
    metrics_release: ITerraformDependable | None,
) -> PostgresTier | None:
    """Spec §4.1 in the cluster: the CloudNativePG operator and this region's clusters (None without one).
    ``metrics_release``: the Prometheus Operator's release, whose PodMonitor CRD a monitored cluster needs."""
    if not settings.clusters:
        return None
    props = controllers.props(CnpgOperatorProps, settings.operator_namespace, replicas=settings.operator_replicas)
    operator = CnpgOperator(scope, "cnpg", props)
    s3_cidr = s3_range(wiring.region)
    clusters: dict[str, PostgresHA] = {}
    for cluster in settings.clusters:
        backup, replica_store = wiring.stores(cluster)
        clusters[cluster.key] = PostgresHA(
            scope,
            f"postgres-{cluster.namespace}-{cluster.name}",
            CnpgClusterProps(
                cluster,
                parameters=wiring.parameters,
                backup_role_arn=wiring.backup_roles[cluster.key],
                backup=backup,
                replica_store=replica_store,
                vpc_cidr=wiring.vpc_cidr,
                s3_cidr=s3_cidr,
                operator_namespace=settings.operator_namespace,
                monitoring_namespace=monitoring_namespace,
            ),
            depends_on=[
                operator.release,
                *base.namespace_objects([cluster.namespace]),
                *base.storage_class_objects([cluster.storage_class]),
                # enablePodMonitor: the PodMonitor CRD comes with the Prometheus Operator.
                *([metrics_release] if metrics_release is not None and cluster.monitoring else []),
            ],
        )
    return PostgresTier(operator, clusters)


@dataclass(frozen=True)
class CnpgBackupTargets:
    """Where a region's CloudNativePG clusters back up to (the infrastructure side of spec §4.1 backups).

    :param region / primary_region: this region, and the one whose buckets hold every backup.
    :param eks_cluster: this region's EKS cluster name (the roles are named after it) and ``eks``, the
        cluster itself, whose IRSA provider the roles trust.
    :param buckets: the backups buckets by environment (``production``'s, and one per other environment).
    :param environments: the ``environment`` label of each declared namespace (undeclared: production).
    :param primary_stack: the primary region's stack when it is another one, deployed before this: its buckets
        then name each role by its ARN string and by condition (a token would make it depend on this stack).
    """

    region: str
    primary_region: str
    eks_cluster: str
    eks: IrsaCluster
    buckets: Mapping[str, BackupBuckets]
    environments: Mapping[str, str | None]
    primary_stack: Construct | None = None


def add_cnpg_backup_roles(
    scope: Construct, clusters: Sequence[CnpgClusterSettings], targets: CnpgBackupTargets
) -> dict[str, CnpgBackupRole]:
    """One IRSA role per CloudNativePG cluster, keyed ``<namespace>/<name>`` (the platform annotates the
    cluster's service account with it): a primary cluster writes its environment's bucket, a replica reads
    the copy of production's bucket replicated into its region. Each bucket's policy and key name the role."""
    roles: dict[str, CnpgBackupRole] = {}
    for cluster in clusters:
        environment = targets.environments.get(cluster.namespace, "production")
        backups = targets.buckets[environment]
        if cluster.replica:  # reads the copy replicated into this region
            if environment != "production":
                raise ValueError(f"CNPG replica {cluster.name}: only production's backups are replicated")
            bucket_arn, key_arn = backups.replica_bucket_arn, backups.replica_key.arn if backups.replica_key else None
        else:
            bucket_arn, key_arn = backups.bucket_arn, backups.key.arn
        if bucket_arn is None:
            raise ValueError(f"CNPG replica {cluster.name} needs backups.replicate")
        name = cluster.backup_role_name(targets.eks_cluster)
        role = roles[cluster.key] = CnpgBackupRole(
            scope,
            f"cnpg-backups-{cluster.namespace}-{cluster.name}",
            CnpgBackupRoleProps(
                role_name=name,
                irsa=targets.eks.irsa,
                cluster=cluster,
                bucket_arn=bucket_arn,
                bucket_region=targets.region if cluster.replica else targets.primary_region,
                key_arn=key_arn,
            ),
        )
        later = targets.primary_stack is not None
        arn = role.arn
        if targets.primary_stack is not None:
            aws = AwsContext.of(targets.primary_stack)
            arn = f"arn:{aws.partition}:iam::{aws.account_id}:role/{name}"
        if cluster.replica:
            backups.allow_reader(arn, replica=True, created_later=later)
        else:
            backups.allow_writer(arn, created_later=later)
    return roles

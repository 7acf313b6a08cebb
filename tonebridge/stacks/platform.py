"""``<env>-<region>-platform``: everything inside one region's cluster, through kubernetes and helm.

The providers are configured from the infrastructure stack's cluster outputs (cdktf cross-stack
references: outputs there, remote state here) and authenticate with ``aws eks get-token`` each
time Terraform runs, so no cluster token is ever written to state or plan. AWS resources that
in-cluster components need (keys, IRSA roles, web ACLs) live in the infrastructure stack, where
Terraform can validate and plan them; this stack only refers to them.
"""

from __future__ import annotations

from cdktf import Fn, ITerraformDependable
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform_data import CnpgClusterConfig, RedisConfig
from tonebridge.constructs.postgres.cnpg import (
    BarmanStore,
    CnpgCluster,
    CnpgClusterProps,
    CnpgOperator,
    CnpgOperatorProps,
    CnpgReplicaSource,
)
from tonebridge.constructs.redis import (
    RedisCluster,
    RedisClusterProps,
    RedisOperator,
    RedisOperatorProps,
    VaultPassword,
)
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.infrastructure import InfrastructureStack

#: The client authentication API `aws eks get-token` answers with.
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def get_token_args(cluster_name: str, region: str) -> list[str]:
    """Arguments of ``aws eks get-token`` for one cluster (the AWS CLI must be on the operator's PATH)."""
    return ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]


class PlatformStack(TonebridgeStack):
    """The in-cluster platform of one region; deployed after (and depending on) its infrastructure stack."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, region: str, infra: InfrastructureStack) -> None:
        super().__init__(scope, env, f"{region}-platform", region, aws_provider=False)
        self.add_dependency(infra)
        self.infra = infra
        self.config = env.platform[region]
        #: The cluster's Kubernetes minor version: pod security profiles and schemas are pinned to it.
        self.kubernetes_version = env.clusters[region].version
        self._providers(infra, region)
        self._postgres()
        self._redis()

    def _providers(self, infra: InfrastructureStack, region: str) -> None:
        cluster = infra.cluster
        ca_certificate = Fn.base64decode(cluster.certificate_authority_data)
        args = get_token_args(cluster.name, region)
        KubernetesProvider(
            self,
            "kubernetes",
            host=cluster.endpoint,
            cluster_ca_certificate=ca_certificate,
            exec=[KubernetesProviderExec(api_version=EXEC_API_VERSION, command="aws", args=args)],
        )
        HelmProvider(
            self,
            "helm",
            kubernetes=HelmProviderKubernetes(
                host=cluster.endpoint,
                cluster_ca_certificate=ca_certificate,
                exec=HelmProviderKubernetesExec(api_version=EXEC_API_VERSION, command="aws", args=args),
            ),
        )

    # --- what other platform components provide (switch each to its construct at merge) --------

    def namespace_dependencies(self, name: str) -> list[ITerraformDependable]:
        """The Namespace construct that creates application namespace ``name`` (production, staging)."""
        return []

    def storage_class_dependencies(self, name: str) -> list[ITerraformDependable]:
        """The StorageClass manifest of ``name`` (``fast-ssd``), which every data volume asks for."""
        return []

    def vault_secrets_operator_dependencies(self) -> list[ITerraformDependable]:
        """The Vault Secrets Operator release, which serves VaultStaticSecret."""
        return []

    # --- data tier (spec §4.1, §4.2) -------------------------------------------------------------

    def _postgres(self) -> None:
        """CloudNativePG clusters of this region; their backup roles come from the infrastructure stack."""
        postgres = self.config.postgres
        if not postgres.clusters:
            return
        operator = CnpgOperator(
            self,
            "cnpg",
            CnpgOperatorProps(
                kubernetes_version=self.kubernetes_version,
                namespace=postgres.operator_namespace,
                replicas=postgres.operator_replicas,
            ),
        )
        for cluster in postgres.clusters:
            CnpgCluster(
                self,
                f"postgres-{cluster.namespace}-{cluster.name}",
                cnpg_cluster_props(
                    self.env,
                    self.region,
                    cluster,
                    self.infra.cnpg_backup_roles[f"{cluster.namespace}/{cluster.name}"].arn,
                ),
                depends_on=[
                    operator.release,
                    *self.namespace_dependencies(cluster.namespace),
                    *self.storage_class_dependencies(cluster.storage_class),
                ],
            )

    def _redis(self) -> None:
        redis = self.config.redis
        if not redis.enabled:
            return
        operator = RedisOperator(
            self,
            "redis-operator",
            RedisOperatorProps(kubernetes_version=self.kubernetes_version, namespace=redis.operator_namespace),
        )
        RedisCluster(
            self,
            f"redis-{redis.namespace}-{redis.name}",
            redis_cluster_props(self.env, self.region, redis),
            depends_on=[
                operator.release,
                *self.namespace_dependencies(redis.namespace),
                *self.storage_class_dependencies(redis.storage_class),
                *self.vault_secrets_operator_dependencies(),
            ],
        )


def cnpg_cluster_props(env: EnvironmentConfig, region: str, cfg: CnpgClusterConfig, role_arn: str) -> CnpgClusterProps:
    """Map one CloudNativePG cluster's configuration onto its props. Server settings are spec §4.1's,
    from ``database.settings`` (the same values the RDS engine gets, in RDS's units)."""
    backups = env.backups
    replica = None
    backup = BarmanStore(bucket=backups.bucket, compression=cfg.compression, encryption=cfg.encryption)
    if cfg.replica:
        replica = CnpgReplicaSource(
            source_cluster=cfg.replica.source_cluster,
            store=BarmanStore(bucket=backups.replica_bucket_name(region), compression=cfg.compression),
        )
        backup = None  # a replica only reads; the primary cluster's backups are the ones that count
    return CnpgClusterProps(
        name=cfg.name,
        namespace=cfg.namespace,
        parameters=env.database.settings.postgresql_conf(),
        backup_role_arn=role_arn,
        backup=backup,
        instances=cfg.instances,
        image=cfg.image,
        database=cfg.database,
        owner=cfg.owner,
        storage_size=cfg.storage_size,
        storage_class=cfg.storage_class,
        monitoring=cfg.monitoring,
        retention=cfg.retention,
        schedule=cfg.backup_schedule,
        resources=cfg.resources.manifest(),
        replica=replica,
    )


def redis_cluster_props(env: EnvironmentConfig, region: str, cfg: RedisConfig) -> RedisClusterProps:
    """Map the Redis configuration onto its props; the secondary region's copy is a warm cache."""
    warm = region != env.aws.primary_region
    return RedisClusterProps(
        name=cfg.name,
        namespace=cfg.namespace,
        password=VaultPassword(
            mount=cfg.password.mount,
            path=cfg.password.path,
            key=cfg.password.key,
            vault_auth=cfg.password.vault_auth,
            refresh_after=cfg.password.refresh_after,
        ),
        leaders=cfg.leaders,
        followers=cfg.followers,
        maxmemory=cfg.maxmemory,
        maxmemory_policy=cfg.maxmemory_policy,
        appendonly=cfg.appendonly,
        appendfsync=cfg.appendfsync,
        storage_size=cfg.storage_size,
        storage_class=cfg.storage_class,
        image=cfg.image,
        exporter_image=cfg.exporter_image,
        resources=cfg.resources.manifest(),
        labels={"tonebridge.io/cache-role": "warm-standby" if warm else "primary"},
    )

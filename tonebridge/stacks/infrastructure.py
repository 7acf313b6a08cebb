"""``<env>-<region>``: the AWS infrastructure of one region: network, cluster, registries, database, backups."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.backups import BackupBuckets, BackupBucketsProps
from tonebridge.constructs.ci_registry import ImagePushRole, ImagePushRoleProps
from tonebridge.constructs.cluster import TonebridgeCluster
from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer, EdgeLoadBalancerProps
from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
from tonebridge.constructs.pod_defaults import system_placement
from tonebridge.constructs.postgres import (
    RdsNetworkProps,
    RdsPostgres,
    RdsPostgresProps,
    RdsPostgresReplica,
    RdsPostgresReplicaProps,
)
from tonebridge.constructs.postgres.backup_role import CnpgBackupRole
from tonebridge.constructs.postgres.ha import PostgresHA
from tonebridge.constructs.registries import (
    ContainerRegistries,
    ContainerRegistriesProps,
    ReplicaRepositoryTemplate,
    ReplicaRepositoryTemplateProps,
)
from tonebridge.constructs.vault_aws import VaultUnseal, VaultUnsealProps
from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.features.data import CnpgBackupTargets, add_cnpg_backup_roles
from tonebridge.stacks.base import TonebridgeStack, stack_name
from tonebridge.stacks.data_recovery import add_logical_backup_role, expiring_prefixes
from tonebridge.stacks.infrastructure_alarms import add_cloud_alarms


def endpoint_buckets(env: EnvironmentConfig) -> list[str]:
    """The project's buckets that clients inside the VPCs use (state, backups of every environment's
    databases and their replica): the S3 gateway endpoint's policy names them and no other bucket of ours."""
    backups = env.backups
    names = [env.state.bucket, backups.bucket]
    if backups.replicate and env.aws.secondary_region:
        names.append(backups.replica_bucket_name(env.aws.secondary_region))
    for platform in env.platform.values():
        for cluster in platform.postgres.clusters:
            declared = platform.namespaces.get(cluster.namespace)
            names.append(backups.bucket_for(declared.environment if declared else "production"))
    return sorted(set(names))


def database_identifier(env: EnvironmentConfig) -> str:
    return f"{env.tags['Project']}-{env.name}"


def _rds_common(env: EnvironmentConfig, identifier: str, network: RdsNetworkProps) -> dict:
    """Settings the primary and its replica take from the same configuration fields."""
    rds = env.database.rds
    return {
        "identifier": identifier,
        "network": network,
        "parameters": env.database.settings.numeric(),
        "engine_version": rds.engine_version,
        "max_allocated_storage_gib": rds.max_allocated_storage_gib,
        "backup_retention_days": rds.backup_retention_days,
        "backup_window": rds.backup_window,
        "maintenance_window": rds.maintenance_window,
        "log_retention_days": rds.log_retention_days,
        "performance_insights_retention_days": rds.performance_insights_retention_days,
        "monitoring_interval": rds.monitoring_interval,
        "protect": rds.protect,
    }


def rds_props(env: EnvironmentConfig, network: RdsNetworkProps) -> RdsPostgresProps:
    """Map the database configuration onto the RDS primary's props (spec §4.1, §11.1)."""
    rds = env.database.rds
    return RdsPostgresProps(
        **_rds_common(env, database_identifier(env), network),
        instance_class=rds.instance_class,
        multi_az=rds.multi_az,
        allocated_storage_gib=rds.allocated_storage_gib,
        database_name=rds.database_name,
        master_username=rds.master_username,
    )


def rds_replica_props(
    env: EnvironmentConfig, region: str, source_arn: str, network: RdsNetworkProps
) -> RdsPostgresReplicaProps:
    """Map the database configuration onto the secondary region's replica props (spec §9.1)."""
    rds = env.database.rds
    return RdsPostgresReplicaProps(
        **_rds_common(env, f"{database_identifier(env)}-{region}", network),
        source_arn=source_arn,
        promoted=rds.replica_promoted,
        instance_class=rds.replica_instance_class or rds.instance_class,
        multi_az=rds.replica_multi_az,
        create_replica=rds.cross_region_replica,
        replicate_automated_backups=rds.automated_backup_replication,
        replicated_backup_retention_days=rds.replicated_backup_retention_days,
    )


def backups_props(env: EnvironmentConfig, stack: TonebridgeStack) -> BackupBucketsProps:
    """Map the backups configuration onto the bucket props; the replica side gets an aliased provider."""
    backups = env.backups
    secondary = env.aws.secondary_region if backups.replicate else None
    return BackupBucketsProps(
        bucket=backups.bucket,
        access_log_bucket=backups.access_log_bucket_name,
        replica_bucket=backups.replica_bucket_name(secondary) if secondary else None,
        replica_region=secondary,
        replica_provider=stack.provider_for(secondary) if secondary else None,
        infrequent_access_after_days=backups.infrequent_access_after_days,
        archive_after_days=backups.archive_after_days,
        archive_storage_class=backups.archive_storage_class,
        noncurrent_expiry_days=backups.noncurrent_expiry_days,
        object_lock_days=backups.object_lock_days,
        object_lock_mode=backups.object_lock_mode,
        replication_time_control=backups.replication_time_control,
        access_log_retention_days=backups.access_log_retention_days,
        protect=backups.protect,
        expiring_prefixes=expiring_prefixes(env),
    )


class InfrastructureStack(TonebridgeStack):
    """Network, cluster, registries, database and backups of one region; its outputs are what the
    platform stack consumes.

    The primary region's stack holds the RDS primary and the backups bucket (with its replica, through
    an aliased provider: see :mod:`tonebridge.constructs.backups`); the secondary region's stack holds
    the database replica, given the primary stack's database (so it depends on that stack).
    """

    def __init__(self, scope: Construct, env: EnvironmentConfig, region: str) -> None:
        super().__init__(scope, env, region, region)
        self.vpc = TonebridgeVpc(
            self,
            "network",
            env.network[region],
            name=f"{env.tags['Project']}-{env.name}-{region}",
            eks_cluster_names=[env.clusters[region].name],
            s3_buckets=endpoint_buckets(env),
        )
        cluster, net = env.clusters[region], env.network[region]
        self.cluster = TonebridgeCluster(
            self,
            "cluster",
            cluster,
            vpc_id=self.vpc.vpc_id,
            subnet_ids=self.vpc.subnet_ids,
            api_allowed_cidrs=[str(net.vpc_cidr)],
            internal_cidrs=[str(net.vpc_cidr), str(net.pods.cidr)],
            max_pods_per_node=net.pods.max_pods_per_node,
            pod_subnets=dict(zip(net.availability_zones, self.vpc.pod_subnet_ids, strict=True)),
            addon_node_selector=system_placement(group.labels for group in cluster.node_groups.values())[0],
        )
        self._registries(env, region)
        self._edge(env, region)
        self._vault(env, region)
        #: The primary region's PostgreSQL service (engine-neutral endpoint, port, secret, backup location).
        self.postgres: PostgresHA | None = None
        self.database: RdsPostgres | None = None
        self.database_replica: RdsPostgresReplica | None = None
        self.backups: BackupBuckets | None = None
        self._data(env, region)
        self._cnpg_backup_roles(env, region)
        #: IRSA role of production's logical backup job (primary region; None elsewhere).
        self.logical_backup_role = add_logical_backup_role(self, env, region)
        #: CloudWatch alarms and their encrypted topic (None where off).
        self.alarms = add_cloud_alarms(self, env, region)
        self._ci(env, region)
        self._outputs(env, region)

    def _data(self, env: EnvironmentConfig, region: str) -> None:
        rds = env.database.rds
        network = RdsNetworkProps(
            vpc_id=self.vpc.vpc_id,
            db_subnet_group_name=self.vpc.db_subnet_group_name,
            client_security_group_ids=[self.cluster.node_security_group_id, self.cluster.cluster_security_group_id],
        )
        if region == env.aws.primary_region:
            # PostgresHA is no construct level: the instance keeps its id, ``database``.
            self.postgres = PostgresHA(self, "database", rds_props(env, network))
            self.database = self.postgres.engine_construct
            self.backups = BackupBuckets(self, "backups", backups_props(env, self))
            self._environment_backups(env)
            if env.dr is not None:
                # The DR stack's Storage Transfer role (deployed after this stack) copies the bucket to GCS.
                # It copies the other environments' buckets too (under <environment>/ in GCS).
                aws = AwsContext.of(self)
                transfer = f"arn:{aws.partition}:iam::{aws.account_id}:role/{env.dr.transfer.aws_role_name}"
                for bucket in (self.backups, *self.environment_backups.values()):
                    bucket.allow_reader(transfer, created_later=True)
        elif rds.cross_region_replica or rds.automated_backup_replication:
            primary = self.node.scope.node.try_find_child(stack_name(env, env.aws.primary_region))
            if not isinstance(primary, InfrastructureStack) or primary.database is None:
                raise ValueError(f"{self.name}: the database replica needs the primary region's stack")
            self.database_replica = RdsPostgresReplica(
                self, "database-replica", rds_replica_props(env, region, primary.database.arn, network)
            )

    def _environment_backups(self, env: EnvironmentConfig) -> None:
        """A backups bucket (own key, own log bucket, same lock and lifecycle, no replica) for each
        other environment whose CloudNativePG clusters run on this environment's clusters (staging):
        its database never writes, lists or holds a key of production's bucket."""
        #: Backups buckets by environment (``production``: :attr:`backups`).
        self.environment_backups: dict[str, BackupBuckets] = {}
        for region, platform in env.platform.items():
            for cluster in platform.postgres.clusters:
                environment = self._environment_of(env, region, cluster.namespace)
                if environment == "production" or environment in self.environment_backups:
                    continue
                base = backups_props(env, self)
                bucket = env.backups.bucket_for(environment)
                self.environment_backups[environment] = BackupBuckets(
                    self,
                    f"backups-{environment}",
                    BackupBucketsProps(
                        bucket=bucket,
                        access_log_bucket=f"{bucket}-access-logs",
                        infrequent_access_after_days=base.infrequent_access_after_days,
                        archive_after_days=base.archive_after_days,
                        archive_storage_class=base.archive_storage_class,
                        noncurrent_expiry_days=base.noncurrent_expiry_days,
                        object_lock_days=base.object_lock_days,
                        object_lock_mode=base.object_lock_mode,
                        replication_time_control=False,
                        access_log_retention_days=base.access_log_retention_days,
                        protect=base.protect,
                    ),
                )

    @staticmethod
    def _environment_of(env: EnvironmentConfig, region: str, namespace: str) -> str:
        """The ``environment`` label of a namespace of ``region``'s platform (production if undeclared)."""
        declared = env.platform[region].namespaces.get(namespace)
        return declared.environment if declared is not None else "production"

    def _cnpg_backup_roles(self, env: EnvironmentConfig, region: str) -> None:
        """One IRSA role per CloudNativePG cluster of this region's platform (spec §4.1 backups), keyed
        ``<namespace>/<name>``, writing (or, for a replica, reading) the primary region's buckets."""
        self.cnpg_backup_roles: dict[str, CnpgBackupRole] = {}
        clusters = env.platform[region].postgres.clusters if region in env.platform else []
        if not clusters:
            return
        primary = self
        if region != env.aws.primary_region:
            found = self.node.scope.node.try_find_child(stack_name(env, env.aws.primary_region))
            primary = found if isinstance(found, InfrastructureStack) else None
        if primary is None or primary.backups is None:
            raise ValueError(f"{self.name}: CloudNativePG backups need the primary region's backups bucket")
        namespaces = env.platform[region].namespaces
        targets = CnpgBackupTargets(
            region,
            env.aws.primary_region,
            env.clusters[region].name,
            self.cluster,
            {"production": primary.backups, **primary.environment_backups},
            {name: ns.environment for name, ns in namespaces.items()},
            primary_stack=None if primary is self else primary,
        )
        self.cnpg_backup_roles = add_cnpg_backup_roles(self, clusters, targets)

    def _registries(self, env: EnvironmentConfig, region: str) -> None:
        """Repositories live in the primary region; the secondary receives replicas of production's."""
        registries = env.registries
        prefix = f"{env.tags['Project']}-{env.name}"
        replica_region = env.aws.secondary_region if registries.replicate_production else None
        self.registries: ContainerRegistries | None = None
        if region == env.aws.primary_region:
            self.registries = ContainerRegistries(
                self,
                "registries",
                ContainerRegistriesProps(
                    name=prefix,
                    services=registries.services,
                    prefixes=[registries.production_prefix, registries.staging_prefix],
                    keep_releases=registries.keep_releases,
                    untagged_expiry_days=registries.untagged_expiry_days,
                    enhanced_scanning=registries.enhanced_scanning,
                    replicate_prefix=registries.production_prefix if replica_region else None,
                    replica_region=replica_region,
                ),
            )
        elif region == replica_region and registries.replica_template:
            ReplicaRepositoryTemplate(
                self,
                "registry-replicas",
                ReplicaRepositoryTemplateProps(
                    name=prefix,
                    prefix=registries.production_prefix,
                    keep_releases=registries.keep_releases,
                    untagged_expiry_days=registries.untagged_expiry_days,
                ),
            )

    def _edge(self, env: EnvironmentConfig, region: str) -> None:
        """Web ACL and certificate of the region's public ALB (spec §2.2); the platform stack's Ingress names them."""
        edge = env.platform[region].edge
        self.edge: EdgeProtection | None = None
        self.edge_lb: EdgeLoadBalancer | None = None
        if edge.enabled and edge.hostname:
            # Behind CloudFront (dns.cdn): the certificate also names CloudFront's origin, the client-IP
            # rules move to the CLOUDFRONT ACL, and only CloudFront (and Route53's checkers) get in.
            cdn = env.dns is not None and env.dns.cdn is not None and env.dns.cdn.enabled
            origin = [env.dns.routing.origin_hostname] if cdn and env.dns.routing.origin_hostname else []
            self.edge = EdgeProtection(
                self,
                "edge",
                EdgeProtectionProps(
                    name=f"{env.tags['Project']}-{env.name}-{region}",
                    region=region,
                    hostname=edge.hostname,
                    alternative_names=[*edge.alternative_names, *origin],
                    rate_limit=edge.rate_limit,
                    blocked_countries=edge.blocked_countries,
                    managed_rule_groups=edge.managed_rule_groups,
                    log_retention_days=edge.waf_log_retention_days,
                    client_ip_rules=not cdn,
                ),
            )
            net = env.network[region]
            self.edge_lb = EdgeLoadBalancer(
                self,
                "edge-alb",
                EdgeLoadBalancerProps(
                    name=f"{env.tags['Project']}-{env.name}-{region}",
                    vpc_id=self.vpc.vpc_id,
                    subnet_ids=self.vpc.subnet_ids["public"],
                    target_cidrs=[str(net.vpc_cidr), str(net.pods.cidr)],
                    target_security_group_id=self.cluster.node_security_group_id,
                    cluster_name=env.clusters[region].name,
                    web_acl_arn=self.edge.web_acl_arn,
                    deletion_protection=edge.deletion_protection,
                    access_logs_bucket=edge.access_logs_bucket,
                    shield_advanced=edge.shield_advanced,
                    origin_protection=cdn,
                ),
            )

    def _vault(self, env: EnvironmentConfig, region: str) -> None:
        """Vault's auto-unseal key and the IRSA role of its service account (spec §8.2)."""
        secrets = env.platform[region].secrets
        self.vault_unseal: VaultUnseal | None = None
        if secrets.enabled:
            self.vault_unseal = VaultUnseal(
                self,
                "vault-unseal",
                VaultUnsealProps(
                    name=env.clusters[region].name,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer=self.cluster.oidc_issuer,
                    service_account=secrets.vault.service_account,
                ),
            )

    def _ci(self, env: EnvironmentConfig, region: str) -> None:
        """The image-push roles of the pipeline (spec §6.2), each trusted by one service account only:
        the build agents' pushes to the staging repositories, the release agents' (a main-only job in
        the production folder, after approval) to the production repositories (spec §5.1). The
        platform stack annotates the two service accounts with them."""
        ci = env.platform[region].ci if region in env.platform else None
        self.ci_image_push: ImagePushRole | None = None
        self.ci_release_push: ImagePushRole | None = None
        if ci is None or not ci.enabled or self.registries is None:
            return
        arns = self.registries.repository_arns

        def stage(prefix: str) -> list[str]:
            return [arn for name, arn in arns.items() if name.startswith(f"{prefix}/")]

        cluster = env.clusters[region].name
        self.ci_image_push = ImagePushRole(
            self,
            "ci-image-push",
            ImagePushRoleProps(
                role_name=f"{cluster}-ci-image-push",
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer=self.cluster.oidc_issuer,
                namespace=ci.agents_namespace,
                service_account=ci.builder_service_account,
                repository_arns=stage(env.registries.staging_prefix),
            ),
        )
        self.ci_release_push = ImagePushRole(
            self,
            "ci-release-push",
            ImagePushRoleProps(
                role_name=f"{cluster}-ci-release-push",
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer=self.cluster.oidc_issuer,
                namespace=ci.release.namespace,
                service_account=ci.release.service_account,
                repository_arns=stage(env.registries.production_prefix),
            ),
        )

    def _outputs(self, env: EnvironmentConfig, region: str) -> None:
        vpc, cluster = self.vpc, self.cluster
        outputs: dict[str, object] = {
            "vpc_id": vpc.vpc_id,
            **{f"{tier}_subnet_ids": ids for tier, ids in vpc.subnet_ids.items()},
            "pod_subnet_ids": vpc.pod_subnet_ids,
            "availability_zones": env.network[region].availability_zones,
            "db_subnet_group_name": vpc.db_subnet_group_name,
            "cluster_name": cluster.name,
            "cluster_endpoint": cluster.endpoint,
            "cluster_certificate_authority_data": cluster.certificate_authority_data,
            "oidc_provider_arn": cluster.oidc_provider_arn,
            "oidc_issuer": cluster.oidc_issuer,
            "cluster_security_group_id": cluster.cluster_security_group_id,
            "node_security_group_id": cluster.node_security_group_id,
            "node_role_arn": cluster.node_role_arn,
            "volumes_key_arn": cluster.volumes_key_arn,
            **{f"{name.replace('-', '_')}_role_arn": role.arn for name, role in cluster.service_account_roles.items()},
        }
        if cluster.karpenter:
            outputs |= {
                "karpenter_controller_role_arn": cluster.karpenter.controller_role_arn,
                "karpenter_node_role_name": cluster.karpenter.node_role_name,
                "karpenter_instance_profile_name": cluster.karpenter.instance_profile_name,
                "karpenter_queue_name": cluster.karpenter.queue_name,
            }
        if self.edge:
            outputs |= {
                "edge_web_acl_arn": self.edge.web_acl_arn,
                "edge_certificate_arn": self.edge.certificate_arn,
                "edge_certificate_validation": self.edge.validation_options,
            }
        if self.edge_lb:
            outputs |= {
                "edge_load_balancer_arn": self.edge_lb.arn,
                "edge_load_balancer_dns_name": self.edge_lb.dns_name,
                "edge_load_balancer_zone_id": self.edge_lb.zone_id,
                "edge_gateway_target_group_arn": self.edge_lb.gateway_target_group_arn,
                "edge_status_target_group_arn": self.edge_lb.status_target_group_arn,
            }
        if self.vault_unseal:
            outputs |= {
                "vault_unseal_key_arn": self.vault_unseal.key_arn,
                "vault_unseal_role_arn": self.vault_unseal.role_arn,
            }
        if self.ci_image_push:
            outputs["ci_image_push_role_arn"] = self.ci_image_push.arn
        if self.ci_release_push:
            outputs["ci_release_push_role_arn"] = self.ci_release_push.arn
        if self.registries:
            outputs["repository_urls"] = {
                name: repo.repository_url for name, repo in self.registries.repositories.items()
            }
        if self.postgres and self.database:
            outputs |= {
                "database_endpoint": self.postgres.endpoint,
                "database_port": self.postgres.port,
                "database_master_secret_arn": self.postgres.secret,
                "database_security_group_id": self.database.security_group_id,
            }
        if self.database_replica:
            if self.database_replica.address:
                outputs["database_replica_endpoint"] = self.database_replica.address
            outputs["database_replica_security_group_id"] = self.database_replica.security_group_id
        if self.backups:
            outputs |= {"backups_bucket": self.backups.bucket_name, "backups_bucket_arn": self.backups.bucket_arn}
            if self.backups.replica_bucket_name:
                outputs["backups_replica_bucket"] = self.backups.replica_bucket_name
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)

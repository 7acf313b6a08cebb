"""``<env>-<region>``: the AWS infrastructure of one region: network, cluster, registries, database, backups."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.backups import BackupBuckets
from tonebridge.constructs.ci_registry import ImagePushRole, ImagePushRoleProps
from tonebridge.constructs.cluster import TonebridgeCluster
from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer, EdgeLoadBalancerProps
from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
from tonebridge.constructs.pod_defaults import system_placement
from tonebridge.constructs.postgres import RdsPostgres, RdsPostgresReplica
from tonebridge.constructs.postgres.backup_role import CnpgBackupRole, CnpgBackupRoleProps
from tonebridge.constructs.postgres.ha import PostgresHA
from tonebridge.constructs.vault_aws import VaultUnseal, VaultUnsealProps
from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.features.backups import add_backups
from tonebridge.features.database import add_database
from tonebridge.features.region import RegionPlacement, add_registries
from tonebridge.stacks.base import TonebridgeStack, stack_name
from tonebridge.stacks.data_recovery import add_logical_backup_role, expiring_prefixes
from tonebridge.stacks.infrastructure_alarms import add_cloud_alarms


def cnpg_environments(env: EnvironmentConfig) -> list[str]:
    """The ``environment`` label of each CloudNativePG cluster's namespace (production if undeclared),
    in the order of the platform sections and their clusters."""
    return [
        InfrastructureStack._environment_of(env, region, cluster.namespace)
        for region, platform in env.platform.items()
        for cluster in platform.postgres.clusters
    ]


def endpoint_buckets(env: EnvironmentConfig) -> list[str]:
    """The project's buckets that clients inside the VPCs use (state, backups of every environment's
    databases and their replica): the S3 gateway endpoint's policy names them and no other bucket of ours."""
    backups = env.backups
    names = [env.state.bucket, backups.bucket, *map(backups.bucket_for, cnpg_environments(env))]
    if backups.replicate and env.aws.secondary_region:
        names.append(backups.replica_bucket_name(env.aws.secondary_region))
    return sorted(set(names))


def database_identifier(env: EnvironmentConfig) -> str:
    return f"{env.tags['Project']}-{env.name}"


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
        at = RegionPlacement(database_identifier(env), region, env.aws.primary_region, env.aws.secondary_region)
        self.registries = add_registries(self, env.registries, at)
        self._edge(env, region)
        self._vault(env, region)
        #: The primary region's PostgreSQL service (engine-neutral endpoint, port, secret, backup location).
        self.postgres: PostgresHA | None = None
        self.database: RdsPostgres | None = None
        self.database_replica: RdsPostgresReplica | None = None
        self.backups: BackupBuckets | None = None
        self._data(env, at)
        self._cnpg_backup_roles(env, region)
        #: IRSA role of production's logical backup job (primary region; None elsewhere).
        self.logical_backup_role = add_logical_backup_role(self, env, region)
        #: CloudWatch alarms and their encrypted topic (None where off).
        self.alarms = add_cloud_alarms(self, env, region)
        self._ci(env, region)
        self._outputs(env, region)

    def _data(self, env: EnvironmentConfig, at: RegionPlacement) -> None:
        primary = self.node.scope.node.try_find_child(stack_name(env, env.aws.primary_region))
        database = add_database(
            self,
            env.database.rds,
            env.database.settings.numeric(),
            at,
            self.vpc,
            self.cluster,
            primary.database if isinstance(primary, InfrastructureStack) else None,
        )
        self.postgres, self.database, self.database_replica = database.postgres, database.primary, database.replica
        backups = add_backups(
            self,
            env.backups,
            at,
            self.provider_for,
            environments=cnpg_environments(env),
            expiring_prefixes=expiring_prefixes(env),
            transfer_role_name=env.dr.transfer.aws_role_name if env.dr else None,
        )
        #: Backups buckets: production's, and by environment the others' (primary region; else None and {}).
        self.backups, self.environment_backups = backups.production, backups.environments

    @staticmethod
    def _environment_of(env: EnvironmentConfig, region: str, namespace: str) -> str:
        """The ``environment`` label of a namespace of ``region``'s platform (production if undeclared)."""
        declared = env.platform[region].namespaces.get(namespace)
        return declared.environment if declared is not None else "production"

    def _cnpg_backup_roles(self, env: EnvironmentConfig, region: str) -> None:
        """One IRSA role per CloudNativePG cluster of this region's platform (spec §4.1 backups),
        keyed ``<namespace>/<name>``; the platform stack annotates the cluster's service account with it."""
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
        for cluster in clusters:
            environment = self._environment_of(env, region, cluster.namespace)
            backups = primary.backups if environment == "production" else primary.environment_backups[environment]
            if cluster.replica:  # reads the copy replicated into this region
                if environment != "production":
                    raise ValueError(
                        f"{self.name}: CNPG replica {cluster.name}: only production's backups are replicated"
                    )
                bucket_arn, key_arn = (
                    backups.replica_bucket_arn,
                    backups.replica_key.arn if backups.replica_key else None,
                )
            else:
                bucket_arn, key_arn = backups.bucket_arn, backups.key.arn
            if bucket_arn is None:
                raise ValueError(f"{self.name}: CNPG replica {cluster.name} needs backups.replicate")
            role = self.cnpg_backup_roles[f"{cluster.namespace}/{cluster.name}"] = CnpgBackupRole(
                self,
                f"cnpg-backups-{cluster.namespace}-{cluster.name}",
                CnpgBackupRoleProps(
                    role_name=cluster.backup_role_name(env.clusters[region].name),
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer=self.cluster.oidc_issuer,
                    namespace=cluster.namespace,
                    cluster_name=cluster.name,
                    bucket_arn=bucket_arn,
                    bucket_region=region if cluster.replica else env.aws.primary_region,
                    key_arn=key_arn,
                    read_only=cluster.replica is not None,
                ),
            )
            # Its bucket's policy and key name the role. A role of a later stack is named by its ARN
            # string (a token would make the primary stack depend on this one) and by condition.
            later = primary is not self
            arn = role.arn
            if later:
                aws = AwsContext.of(primary)
                name = cluster.backup_role_name(env.clusters[region].name)
                arn = f"arn:{aws.partition}:iam::{aws.account_id}:role/{name}"
            if cluster.replica:
                backups.allow_reader(arn, replica=True, created_later=later)
            else:
                backups.allow_writer(arn, created_later=later)

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

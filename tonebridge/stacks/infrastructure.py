"""``<env>-<region>``: the AWS infrastructure of one region: network, cluster, registries, database, backups."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.postgres.backup_role import CnpgBackupRole
from tonebridge.features.alarms import add_cloud_alarms
from tonebridge.features.backups import add_backups
from tonebridge.features.ci import add_ci_push_roles
from tonebridge.features.data import CnpgBackupTargets, add_cnpg_backup_roles
from tonebridge.features.database import add_database
from tonebridge.features.edge import add_edge
from tonebridge.features.network import add_network
from tonebridge.features.peering import add_peering
from tonebridge.features.region import RegionPlacement, add_registries
from tonebridge.features.unseal import add_vault_unseal
from tonebridge.props.ci import CiSettings
from tonebridge.stacks.base import TonebridgeStack, stack_name
from tonebridge.stacks.data_recovery import add_logical_backup_role, expiring_prefixes


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
        at = RegionPlacement(database_identifier(env), region, env.aws.primary_region, env.aws.secondary_region)
        platform = env.platform.get(region)
        network = env.network[region]
        peering = network.peering
        api_from = [str(env.network[peering.region].vpc_cidr)] if peering and peering.cluster_api else []
        self.network = add_network(self, network, env.clusters[region], at, endpoint_buckets(env), api_from)
        self.vpc, self.cluster = self.network.vpc, self.network.cluster
        peer = self.node.scope.node.try_find_child(stack_name(env, peering.region)) if peering else None
        #: The peering with another region's VPC (``network.<region>.peering``; None without).
        self.peering = add_peering(
            self, peering, at, self.vpc, peer.vpc if isinstance(peer, InfrastructureStack) else None, self.provider_for
        )
        self.registries = add_registries(self, env.registries, at)
        cdn = env.dns is not None and env.dns.cdn is not None and env.dns.cdn.enabled
        self.regional_edge = add_edge(
            self,
            platform.edge if platform and platform.edge.enabled else None,
            at,
            self.network,
            behind_cdn=cdn,
            cdn_origin=env.dns.routing.origin_hostname if cdn and env.dns else None,
        )
        #: Web ACL and certificate of the region's public ALB (spec §2.2), and the ALB; the platform
        #: stack's gateway binding and the global stack's listener and DNS name them.
        self.edge, self.edge_lb = self.regional_edge.protection, self.regional_edge.load_balancer
        secrets = platform.secrets if platform and platform.secrets.enabled else None
        #: Vault's auto-unseal key and the IRSA role of its service account (spec §8.2).
        self.vault_unseal = add_vault_unseal(self, secrets.vault.service_account if secrets else None, self.network)
        primary = None if at.is_primary else self.node.scope.node.try_find_child(stack_name(env, at.primary_region))
        self.data = add_database(
            self,
            env.database.rds,
            env.database.settings.numeric(),
            at,
            self.vpc,
            self.cluster,
            primary.database if isinstance(primary, InfrastructureStack) else None,
        )
        #: The primary region's PostgreSQL service (engine-neutral endpoint, port, secret, backup location).
        self.postgres, self.database, self.database_replica = self.data.postgres, self.data.primary, self.data.replica
        self.backup_buckets = add_backups(
            self,
            env.backups,
            at,
            self.provider_for,
            environments=cnpg_environments(env),
            expiring_prefixes=expiring_prefixes(env),
            transfer_role_name=env.dr.transfer.aws_role_name if env.dr else None,
        )
        #: Backups buckets: production's, and by environment the others' (primary region; else None and {}).
        self.backups, self.environment_backups = self.backup_buckets.production, self.backup_buckets.environments
        self._cnpg_backup_roles(env, region)
        #: IRSA role of production's logical backup job (primary region; None elsewhere).
        self.logical_backup_role = add_logical_backup_role(self, env, region)
        observability = platform.observability if platform and platform.observability.enabled else None
        alarms = observability.cloud_alarms if observability and observability.cloud_alarms.enabled else None
        #: CloudWatch alarms and their encrypted topic (None where off).
        self.alarms = add_cloud_alarms(self, alarms, at, self.data, self.vpc, self.network.zones, self.cluster)
        self._ci(env, region)
        self._outputs(env, region)

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

    def _ci(self, env: EnvironmentConfig, region: str) -> None:
        """The image-push roles of the pipeline (spec §6.2; the platform stack's Jenkins uses them)."""
        ci = env.platform[region].ci if region in env.platform else CiSettings()
        name = env.clusters[region].name
        self.ci_push = add_ci_push_roles(self, ci, self.registries, env.registries, self.cluster, name, region)
        self.ci_image_push = self.ci_push.builder if self.ci_push else None
        self.ci_release_push = self.ci_push.release if self.ci_push else None

    def _outputs(self, env: EnvironmentConfig, region: str) -> None:
        outputs = self.network.outputs | self.regional_edge.outputs
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
        outputs |= self.data.outputs | self.backup_buckets.outputs
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)

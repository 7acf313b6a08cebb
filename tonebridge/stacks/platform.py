"""``<env>-<region>-platform``: everything inside one region's cluster, through kubernetes and helm.

The providers are configured from the infrastructure stack's cluster outputs (cdktf cross-stack
references: outputs there, remote state here) and authenticate with ``aws eks get-token`` each
time Terraform runs, so no cluster token is ever written to state or plan. AWS resources that
in-cluster components need (keys, IRSA roles, web ACLs) live in the infrastructure stack, where
Terraform can validate and plan them; this stack only refers to them.
"""

from __future__ import annotations

from constructs import Construct

from tonebridge import versions
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.constructs.observability import ObservabilityStack
from tonebridge.constructs.pod_defaults import controller_placement, system_placement
from tonebridge.features.autoscaling import add_autoscaling
from tonebridge.features.ci import add_ci, ci_vault_role
from tonebridge.features.data import CnpgWiring, Controllers, DataTier, add_postgres, add_redis, redis_vault_role
from tonebridge.features.database import add_database_clients
from tonebridge.features.edge_hosts import forwarded_hosts
from tonebridge.features.foundation import ClusterWiring, Foundation, Placement, add_cluster_providers, add_foundation
from tonebridge.features.gitops import add_argocd_sso, add_gitops
from tonebridge.features.mesh import add_mesh, mtls_port_exceptions, strict_mtls_namespaces
from tonebridge.features.scanning import add_scanning
from tonebridge.features.secrets import Secrets, VaultConsumer, add_secrets
from tonebridge.props.pools import Toleration
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.data_recovery import add_logical_backup, logical_backup_vault_role
from tonebridge.stacks.data_recovery import enabled as logical_backup_enabled
from tonebridge.stacks.infrastructure import InfrastructureStack
from tonebridge.stacks.platform_observability import add_observability, observability_vault_role, vault_namespaces


class PlatformStack(TonebridgeStack):
    """The in-cluster platform of one region; deployed after (and depending on) its infrastructure stack."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, region: str, infra: InfrastructureStack) -> None:
        super().__init__(scope, env, f"{region}-platform", region, aws_provider=False)
        self.add_dependency(infra)
        self.infra = infra
        self.config = cfg = env.platform[region]
        cluster = env.clusters[region]
        pods = env.network[region].pods
        wiring = ClusterWiring(region, cluster, infra.cluster, infra.vpc, pods.max_pods_per_node, env.tags)
        #: Where the CRD steps of charts whose CRDs Helm never upgrades apply them (constructs/crd_upgrade.py).
        self.crd_target = wiring.crd_target
        #: The cluster's Kubernetes minor version: pod security profiles and schemas are pinned to it.
        self.kubernetes_version = cluster.version
        groups = [group.labels for group in cluster.node_groups.values()]
        #: Where the critical add-ons run (autoscaler, metrics-server): spec §3.1's system pool, where there is one.
        self.system_node_selector, self.system_tolerations = system = system_placement(groups)
        #: Where the other controllers run (istiod, Karpenter, Argo CD, cert-manager, operators): the application pool.
        self.controller_node_selector, self.controller_tolerations = controllers = controller_placement(groups)
        add_cluster_providers(self, wiring)
        # Each feature gets what it needs as arguments and returns what later ones need (tonebridge/features).
        #: Application namespaces by name (spec §3.2) and the StorageClasses (``fast-ssd``, default ``gp3``).
        self.foundation = base = add_foundation(
            self, cfg.namespaces, cfg.storage, wiring, digest_allowed_by_tag=self._allowed_by_tag()
        )
        add_autoscaling(self, cfg.autoscaling, wiring, system=Placement(*system), controllers=Placement(*controllers))
        strict = strict_mtls_namespaces(cfg.istio, cfg.namespaces)
        mesh = add_mesh(
            self,
            cfg.istio,
            base,
            wiring,
            placement=Placement(*controllers),
            strict_mtls_namespaces=strict,
            mtls_port_exceptions=mtls_port_exceptions(
                strict, cfg.postgres.clusters, cfg.ci if cfg.ci.enabled else None
            ),
            edge=infra.edge_lb if cfg.edge.enabled and cfg.edge.hostname else None,
            edge_hosts=forwarded_hosts(cfg.edge, env.dns),
        )
        #: Argo CD (spec §6.1), where this region runs it, and what its single sign-on needs from Vault.
        gitops = add_gitops(
            self,
            self.config.argocd,
            kubernetes_version=self.kubernetes_version,
            system=(self.system_node_selector, self.system_tolerations),
            controllers=controllers,
            foundation=base,
        )
        self.argocd = gitops.argocd
        #: Spec §8.2's secrets path (None where off): Vault, the Vault Secrets Operator, the CSI driver.
        self.secrets = secrets = add_secrets(
            self,
            self.config.secrets,
            infra.vault_unseal,
            kubernetes_version=self.kubernetes_version,
            region=region,
            controllers=controllers,
            foundation=base,
            # The namespaces whose pods log in to Vault (they get its CA bundle): Redis's, monitoring's, Argo CD's.
            consumers=[
                *([VaultConsumer(self.config.redis.namespace)] if self.config.redis.enabled else []),
                *(VaultConsumer(ns) for ns in vault_namespaces(self.config)),
                *gitops.vault_consumers,
            ],
            roles=[
                redis_vault_role(self.config.redis),
                observability_vault_role(self.config),
                ci_vault_role(self.config.ci),
                logical_backup_vault_role(env, region),
                gitops.vault_role,
            ],
        )
        add_argocd_sso(self, self.config.argocd, gitops, secrets)
        add_scanning(self, self.config.scanning, kubernetes_version=self.kubernetes_version, controllers=controllers)
        #: Spec §7 (None where off); before the data tier, whose PodMonitors need its CRDs.
        self.observability = observability = add_observability(self, base, mesh, secrets)
        #: Spec §4.1's CloudNativePG clusters, production's logical backup, spec §4.2's Redis (each None where off).
        self.data = self._data(base, observability, secrets)
        #: Jenkins (spec §6.2), where platform.<region>.ci enables it.
        self.jenkins = add_ci(
            self,
            self.config.ci,
            infra.ci_push,
            base,
            secrets,
            self.config.secrets.application,
            groups,
            self.kubernetes_version,
        )
        if observability:
            # Last: the monitoring namespace's side of every scrape the data tier declared.
            observability.admit_declared()

    def _allowed_by_tag(self) -> list[str]:
        """What the digest rule admits by tag, exactly: the images the platform itself puts in namespaces with
        ``require_image_digest`` and upstream publishes no digest for: Istio's injected sidecar (meshed
        namespaces) and the logical backup's image (its namespace, in the primary region)."""
        required = {name: ns for name, ns in self.config.namespaces.items() if ns.require_image_digest}
        allowed: list[str] = []
        if self.config.istio.enabled and any(ns.meshed for ns in required.values()):
            allowed.append(versions.image("docker.io/istio/proxyv2"))
        backup = self.env.database.logical_backup
        if logical_backup_enabled(self.env, self.region) and backup.namespace in required and "@" not in backup.image:
            allowed.append(backup.image)
        return allowed

    # --- data tier (spec §4.1, §4.2) -------------------------------------------------------------

    def _data(self, base: Foundation, observability: ObservabilityStack | None, secrets: Secrets | None) -> DataTier:
        """The data tier's features in their order: the PodMonitors of both stores need observability's CRDs;
        the operators run beside the other controllers."""
        tolerations = [Toleration(t["key"], t["value"], t["effect"]) for t in self.controller_tolerations]
        controllers = Controllers(self.kubernetes_version, self.controller_node_selector, tolerations)
        monitoring = _monitoring_namespace(self.config)
        metrics = observability.metrics_release if observability else None
        postgres = add_postgres(
            self,
            self.config.postgres,
            controllers,
            base,
            self._cnpg_wiring(),
            monitoring_namespace=monitoring,
            metrics_release=metrics,
        )
        logical_backup = add_logical_backup(self, base, secrets)
        #: The RDS database's client services and their egress to it (None where the region has no instance).
        self.database_clients = add_database_clients(
            self,
            self.env.database.rds,
            self.infra.data,
            [str(c) for c in self.env.network[self.region].subnets.data],
            base,
        )
        warm = self.region != self.env.aws.primary_region  # the secondary region's copy is a warm cache
        redis = add_redis(
            self,
            self.config.redis,
            controllers,
            base,
            secrets,
            self.config.secrets.application,
            warm=warm,
            monitoring_namespace=monitoring,
        )
        return DataTier(postgres, logical_backup, redis)

    def _cnpg_wiring(self) -> CnpgWiring:
        """What this region's CloudNativePG clusters need besides their settings: the VPC, spec §4.1's server
        settings (``database.settings``), the backups buckets, each namespace's environment, the backup roles
        the infrastructure stack made."""
        env, region = self.env, self.region
        return CnpgWiring(
            region,
            str(env.network[region].vpc_cidr),
            env.database.settings.postgresql_conf(),
            env.backups,
            {name: ns.environment for name, ns in self.config.namespaces.items()},
            {key: role.arn for key, role in self.infra.cnpg_backup_roles.items()},
        )


def _monitoring_namespace(platform: PlatformConfig) -> str | None:
    """Where Prometheus runs, if this region runs one (the data stores admit its scrapes)."""
    return platform.observability.namespace if platform.observability.enabled else None

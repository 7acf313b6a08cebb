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
from tonebridge.config.platform_data import CnpgClusterConfig, RedisConfig
from tonebridge.constructs.app_secrets import ApplicationSecrets, ApplicationSecretsProps, SecretObject
from tonebridge.constructs.argocd import ArgoApplicationSpec, ArgoCd, ArgoCdProps
from tonebridge.constructs.cert_manager import CertManager, CertManagerProps
from tonebridge.constructs.observability import ObservabilityStack
from tonebridge.constructs.pod_defaults import controller_placement, system_placement
from tonebridge.constructs.postgres.cnpg import (
    BarmanStore,
    CnpgClusterProps,
    CnpgOperator,
    CnpgOperatorProps,
    CnpgReplicaSource,
    s3_range,
)
from tonebridge.constructs.postgres.ha import PostgresHA
from tonebridge.constructs.redis import (
    RedisClients,
    RedisCluster,
    RedisClusterProps,
    RedisOperator,
    RedisOperatorProps,
    VaultPassword,
)
from tonebridge.constructs.secrets_store import SecretsStoreCsi, SecretsStoreCsiProps
from tonebridge.constructs.trivy import TrivyOperator, TrivyOperatorProps
from tonebridge.constructs.vault import Vault, VaultProps
from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator, VaultSecretsOperatorProps
from tonebridge.features.autoscaling import add_autoscaling
from tonebridge.features.foundation import ClusterWiring, Foundation, Placement, add_cluster_providers, add_foundation
from tonebridge.features.mesh import add_mesh, mtls_port_exceptions, strict_mtls_namespaces
from tonebridge.props.pools import Toleration
from tonebridge.props.vault import VaultRole
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.data_recovery import add_logical_backup, logical_backup_vault_role
from tonebridge.stacks.data_recovery import enabled as logical_backup_enabled
from tonebridge.stacks.infrastructure import InfrastructureStack
from tonebridge.stacks.platform_argocd import (
    add_argocd_sso,
    argocd_signature_keys,
    argocd_sso,
    argocd_vault_namespaces,
    argocd_vault_role,
)
from tonebridge.stacks.platform_ci import add_ci, ci_vault_role
from tonebridge.stacks.platform_observability import add_observability, observability_vault_role, vault_namespaces
from tonebridge.stacks.platform_parts import Secrets


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
        )
        #: Argo CD (spec §6.1), where this region runs it.
        self.argocd = argocd = self._gitops(base)
        #: Spec §8.2's secrets path (None where off): Vault, the Vault Secrets Operator, the CSI driver.
        self.secrets = secrets = self._secrets(region, base, argocd)
        add_argocd_sso(self, argocd, secrets)
        self._scanning()
        #: Spec §7 (None where off); before the data tier, whose PodMonitors need its CRDs.
        self.observability = observability = add_observability(self, base, mesh, secrets)
        self._postgres(base, observability)
        #: Production's logical backup CronJob (primary region; None elsewhere).
        self.logical_backup = add_logical_backup(self, base, secrets)
        self._redis(base, secrets)
        #: Jenkins (spec §6.2), where platform.<region>.ci enables it.
        self.jenkins = add_ci(self, base, secrets)
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

    def _gitops(self, base: Foundation) -> ArgoCd | None:
        """Argo CD (§6.1), where this region runs it."""
        cfg = self.config
        argocd = cfg.argocd
        if not argocd.enabled:
            return None
        app = argocd.application
        signature_keys, require_signatures = argocd_signature_keys(cfg)
        if argocd.node_pool == "system":
            pool, pool_tolerations = self.system_node_selector, self.system_tolerations
        else:
            pool, pool_tolerations = self.controller_node_selector, self.controller_tolerations
        return ArgoCd(
            self,
            "argocd",
            ArgoCdProps(
                kubernetes_version=self.kubernetes_version,
                namespace=argocd.namespace,
                project=argocd.project,
                sso=argocd_sso(cfg),
                admin_enabled=argocd.sso.admin_enabled if argocd.sso else None,
                signature_keys=signature_keys,
                require_signatures=require_signatures,
                synced_kinds=argocd.synced_kinds,
                server_replicas=argocd.server_replicas,
                repo_server_replicas=argocd.repo_server_replicas,
                node_selector=pool,
                tolerations=pool_tolerations,
                applications=[
                    ArgoApplicationSpec(
                        name=app.name,
                        repo_url=app.repo_url,
                        target_revision=app.target_revision,
                        path=app.path,
                        namespace=app.namespace,
                        prune=app.prune,
                        self_heal=app.self_heal,
                        allow_empty=app.allow_empty,
                        sync_options=app.sync_options,
                        retry_limit=app.retry_limit,
                        backoff_duration=app.backoff_duration,
                        backoff_factor=app.backoff_factor,
                        backoff_max_duration=app.backoff_max_duration,
                    )
                ],
            ),
            depends_on=base.namespace_objects([app.namespace]),
        )

    def _controller_tolerations(self) -> list[Toleration]:
        """The controllers' tolerations in the form the data-tier operators' props take."""
        return [Toleration(t["key"], t["value"], t["effect"]) for t in self.controller_tolerations]

    def _secrets(self, region: str, base: Foundation, argocd: ArgoCd | None) -> Secrets | None:
        """Spec §8.2: cert-manager's private CA, Vault with every feature's role, the CSI path, the operator,
        the application's objects (None where this region runs no Vault)."""
        cfg = self.config.secrets
        unseal = self.infra.vault_unseal
        if not cfg.enabled or unseal is None:
            return None
        version, app, vault_cfg = self.kubernetes_version, cfg.application, cfg.vault
        redis = self.config.redis
        csi_namespace = "kube-system"
        cert_manager = CertManager(
            self,
            "cert-manager",
            CertManagerProps(
                kubernetes_version=version,
                replicas=cfg.cert_manager_replicas,
                node_selector=self.controller_node_selector,
                tolerations=self.controller_tolerations,
            ),
        )
        vault = Vault(
            self,
            "vault",
            VaultProps(
                kubernetes_version=version,
                region=region,
                unseal_key_arn=unseal.key_arn,
                unseal_role_arn=unseal.role_arn,
                ca_issuer=cert_manager.ca_issuer,
                settings=vault_cfg,
                application=VaultRole(
                    role=app.role,
                    service_account=app.service_account,
                    namespace=app.namespace,
                    paths=tuple(o.secret_path for o in app.objects),
                    subject="the application's secrets",
                ),
                auth_mount=app.auth_mount,
                audience=app.audience,
                ca_bundle_namespaces=[
                    csi_namespace,
                    app.namespace,
                    *([redis.namespace] if redis.enabled else []),
                    *vault_namespaces(self.config),
                    *argocd_vault_namespaces(self.config),
                ],
            ),
            depends_on=[
                cert_manager.issuers,
                # Vault's CA bundle goes into each of these namespaces (Redis's own among them).
                *base.namespace_objects(
                    [app.namespace, *([redis.namespace] if redis.enabled else []), *vault_namespaces(self.config)]
                ),
                *([argocd.namespace.manifest] if argocd is not None and argocd_vault_namespaces(self.config) else []),
                *base.storage_class_objects([vault_cfg.storage_class]),
            ],
        )
        # Each feature's role, declared by the feature as a typed value; the bootstrap lists them in this order.
        for role in (
            redis_vault_role(self.config),
            observability_vault_role(self.config),
            ci_vault_role(self.config),
            logical_backup_vault_role(self.env, region),
            argocd_vault_role(self.config),
        ):
            if role is not None:
                vault.grant(role)
        csi = SecretsStoreCsi(
            self,
            "secrets-store-csi",
            SecretsStoreCsiProps(
                vault_address=vault.address,
                ca_secret=vault.ca_bundle_secret,
                namespace=csi_namespace,
                rotation_poll_interval=cfg.csi_rotation_poll_interval,
            ),
            depends_on=[vault.certificates],
        )
        operator = VaultSecretsOperator(
            self,
            "vault-secrets-operator",
            VaultSecretsOperatorProps(kubernetes_version=version, replicas=cfg.operator_replicas),
        )
        ApplicationSecrets(
            self,
            "application-secrets",
            ApplicationSecretsProps(
                namespace=app.namespace,
                service_account=app.service_account,
                role=app.role,
                vault_address=vault.address,
                ca_cert_path=csi.ca_cert_path,
                ca_secret=vault.ca_bundle_secret,
                objects=[SecretObject(o.object_name, o.secret_path, o.secret_key) for o in app.objects],
                auth_mount=app.auth_mount,
                audience=app.audience,
            ),
            depends_on=[csi.driver, operator.release, vault.certificates, *base.namespace_objects([app.namespace])],
        )
        return Secrets(vault=vault, operator=operator, csi=csi)

    def _scanning(self) -> None:
        """Spec §5.2: trivy-operator, HIGH and CRITICAL."""
        cfg = self.config.scanning
        if not cfg.enabled:
            return
        TrivyOperator(
            self,
            "trivy",
            TrivyOperatorProps(
                kubernetes_version=self.kubernetes_version,
                severities=cfg.severities,
                ignore_unfixed=cfg.ignore_unfixed,
                concurrent_scan_jobs=cfg.concurrent_scan_jobs,
                scan_job_timeout=cfg.scan_job_timeout,
                scan_job_node_selector=cfg.scan_job_node_selector,
                scan_job_resources=cfg.scan_job_resources.manifest(),
                node_selector=self.controller_node_selector,
                tolerations=self.controller_tolerations,
            ),
        )

    # --- data tier (spec §4.1, §4.2) -------------------------------------------------------------

    def _postgres(self, base: Foundation, observability: ObservabilityStack | None) -> None:
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
                node_selector=self.controller_node_selector,
                tolerations=self._controller_tolerations(),
            ),
        )
        for cluster in postgres.clusters:
            PostgresHA(
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
                    *base.namespace_objects([cluster.namespace]),
                    *base.storage_class_objects([cluster.storage_class]),
                    # enablePodMonitor: the PodMonitor CRD comes with the Prometheus Operator.
                    *([observability.metrics_release] if observability and cluster.monitoring else []),
                ],
            )

    def _redis(self, base: Foundation, secrets: Secrets | None) -> None:
        redis = self.config.redis
        if not redis.enabled:
            return
        operator = RedisOperator(
            self,
            "redis-operator",
            RedisOperatorProps(
                kubernetes_version=self.kubernetes_version,
                namespace=redis.operator_namespace,
                node_selector=self.controller_node_selector,
                tolerations=self._controller_tolerations(),
            ),
        )
        if secrets is None:
            # The configuration's rules make Redis need the secrets path; this is the last guard.
            raise ValueError(f"{self.region}: Redis reads its password from Vault: platform secrets must be enabled")
        vault = secrets.vault
        RedisCluster(
            self,
            f"redis-{redis.namespace}-{redis.name}",
            redis_cluster_props(
                self.env,
                self.region,
                redis,
                vault_address=vault.address,
                ca_secret=vault.ca_bundle_secret,
            ),
            depends_on=[
                operator.release,
                # its policies reach into the clients' namespace
                *base.namespace_objects([redis.namespace, redis.clients.namespace]),
                *base.storage_class_objects([redis.storage_class]),
                secrets.operator.release,
                vault.certificates,
            ],
        )


def redis_vault_role(platform: PlatformConfig) -> VaultRole | None:
    """Redis's password: VSO logs in for the Redis namespace as a role of its own, readable path exactly one."""
    redis = platform.redis
    if not redis.enabled:
        return None
    return VaultRole(
        role=redis.password.role,
        service_account=redis.password.service_account,
        namespace=redis.namespace,
        paths=(f"{redis.password.mount}/data/{redis.password.path}",),
        subject="the Redis password",
    )


def cnpg_cluster_props(env: EnvironmentConfig, region: str, cfg: CnpgClusterConfig, role_arn: str) -> CnpgClusterProps:
    """Map one CloudNativePG cluster's configuration onto its props. Server settings are spec §4.1's,
    from ``database.settings`` (the same values the RDS engine gets, in RDS's units). The API
    server and the STS endpoint answer inside the VPC; Prometheus scrapes where observability is on."""
    backups = env.backups
    platform = env.platform[region]
    replica = None
    declared = platform.namespaces.get(cfg.namespace)
    environment = declared.environment if declared is not None else "production"
    # Each environment's database writes its own bucket (staging never writes production's).
    backup = BarmanStore(bucket=backups.bucket_for(environment), compression=cfg.compression, encryption=cfg.encryption)
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
        vpc_cidr=str(env.network[region].vpc_cidr),
        s3_cidr=s3_range(region),
        client_services=cfg.client_services,
        operator_namespace=platform.postgres.operator_namespace,
        monitoring_namespace=_monitoring_namespace(platform),
    )


def redis_cluster_props(
    env: EnvironmentConfig, region: str, cfg: RedisConfig, *, vault_address: str, ca_secret: str
) -> RedisClusterProps:
    """Map the Redis configuration onto its props; the secondary region's copy is a warm cache.
    VSO logs in over the auth mount and audience of the application's secrets, as Redis's own role."""
    warm = region != env.aws.primary_region
    platform = env.platform[region]
    app = platform.secrets.application
    return RedisClusterProps(
        name=cfg.name,
        namespace=cfg.namespace,
        password=VaultPassword(
            mount=cfg.password.mount,
            path=cfg.password.path,
            address=vault_address,
            ca_secret=ca_secret,
            key=cfg.password.key,
            refresh_after=cfg.password.refresh_after,
            role=cfg.password.role,
            service_account=cfg.password.service_account,
            auth_mount=app.auth_mount,
            audience=app.audience,
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
        exporter_resources=cfg.exporter_resources.manifest(),
        labels={"tonebridge.io/cache-role": "warm-standby" if warm else "primary"},
        clients=RedisClients(namespace=cfg.clients.namespace, services=cfg.clients.services),
        operator_namespace=cfg.operator_namespace,
        monitoring_namespace=_monitoring_namespace(platform),
    )


def _monitoring_namespace(platform: PlatformConfig) -> str | None:
    """Where Prometheus runs, if this region runs one (the data stores admit its scrapes)."""
    return platform.observability.namespace if platform.observability.enabled else None

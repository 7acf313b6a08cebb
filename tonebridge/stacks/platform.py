"""``<env>-<region>-platform``: everything inside one region's cluster, through kubernetes and helm.

The providers are configured from the infrastructure stack's cluster outputs (cdktf cross-stack
references: outputs there, remote state here) and authenticate with ``aws eks get-token`` each
time Terraform runs, so no cluster token is ever written to state or plan. AWS resources that
in-cluster components need (keys, IRSA roles, web ACLs) live in the infrastructure stack, where
Terraform can validate and plan them; this stack only refers to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import Fn
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

from tonebridge import versions
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.config.platform_base import NamespaceConfig
from tonebridge.constructs.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerProps
from tonebridge.constructs.crd_upgrade import CrdTarget
from tonebridge.constructs.edge_binding import EdgeBinding, EdgeBindingProps
from tonebridge.constructs.image_digest import ImageDigest, ImageDigestProps
from tonebridge.constructs.istio import Istio, IstioProps
from tonebridge.constructs.karpenter_pools import KarpenterController, KarpenterControllerProps
from tonebridge.constructs.load_balancer_controller import LoadBalancerController, LoadBalancerControllerProps
from tonebridge.constructs.metrics_server import MetricsServer, MetricsServerProps
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.network_policies import ISTIOD, NetworkIsolation, NetworkIsolationProps, ServiceTraffic
from tonebridge.constructs.observability import ObservabilityStack
from tonebridge.constructs.pod_defaults import controller_placement, system_placement
from tonebridge.constructs.read_only_root import ReadOnlyRoot
from tonebridge.constructs.resource_limits import ResourceLimits, ResourceLimitsProps
from tonebridge.constructs.storage_classes import StorageClasses, StorageClassesProps
from tonebridge.features.ci import add_ci, ci_vault_role
from tonebridge.features.data import CnpgWiring, Controllers, DataTier, add_postgres, add_redis, redis_vault_role
from tonebridge.features.gitops import add_argocd_sso, add_gitops
from tonebridge.features.scanning import add_scanning
from tonebridge.features.secrets import VaultConsumer, add_secrets
from tonebridge.props.pools import Toleration
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.data_recovery import add_logical_backup, logical_backup_vault_role
from tonebridge.stacks.data_recovery import enabled as logical_backup_enabled
from tonebridge.stacks.infrastructure import InfrastructureStack
from tonebridge.stacks.platform_mtls import mtls_port_exceptions, strict_mtls_namespaces
from tonebridge.stacks.platform_observability import add_observability, observability_vault_role, vault_namespaces
from tonebridge.stacks.platform_parts import Foundation, Mesh, Secrets

#: The label that makes Istio inject sidecars into a namespace's pods (its pods then need istiod).
MESH_INJECTION = ("istio-injection", "enabled")

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
        #: Where the CRD steps of charts whose CRDs Helm never upgrades apply them (constructs/crd_upgrade.py).
        self.crd_target = CrdTarget(cluster_name=env.clusters[region].name, region=region)
        #: The cluster's Kubernetes minor version: pod security profiles and schemas are pinned to it.
        self.kubernetes_version = env.clusters[region].version
        groups = [group.labels for group in env.clusters[region].node_groups.values()]
        #: Where the critical add-ons run (autoscaler, metrics-server): spec §3.1's system pool, where there is one.
        self.system_node_selector, self.system_tolerations = system_placement(groups)
        #: Where the other controllers run (istiod, Karpenter, Argo CD, cert-manager, operators): the application pool.
        self.controller_node_selector, self.controller_tolerations = controller_placement(groups)
        self._providers(infra, region)
        # Each step gets what it needs as arguments and returns what later steps need (platform_parts.py).
        namespaces = self._namespaces()
        self._resource_limits(namespaces)
        self._network_policies(namespaces)
        #: Application namespaces by name (spec §3.2) and the StorageClasses (``fast-ssd``, default ``gp3``).
        self.foundation = base = Foundation(namespaces, self._storage_classes())
        self._autoscaling(env, region)
        mesh = self._mesh_edge(region, base)
        controllers = (self.controller_node_selector, self.controller_tolerations)
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

    def _autoscaling(self, env: EnvironmentConfig, region: str) -> None:
        """Spec §10: cluster autoscaler for the managed groups, Karpenter's spot pool (where the
        infrastructure stack made its AWS side), metrics-server; controllers on the system pool."""
        cfg = self.config.autoscaling
        cluster = self.infra.cluster
        cluster_cfg = env.clusters[region]
        placement = {"node_selector": self.system_node_selector, "tolerations": self.system_tolerations}
        ca = cfg.cluster_autoscaler
        if ca.enabled:
            ClusterAutoscaler(
                self,
                "cluster-autoscaler",
                ClusterAutoscalerProps(
                    cluster_name=cluster_cfg.name,
                    region=region,
                    kubernetes_version=self.kubernetes_version,
                    role_arn=cluster.service_account_roles["cluster-autoscaler"].arn,
                    settings=ca,
                    **placement,
                ),
            )
        if cluster.karpenter is not None:
            KarpenterController(
                self,
                "karpenter",
                KarpenterControllerProps(
                    cluster_name=cluster_cfg.name,
                    controller_role_arn=cluster.karpenter.controller_role_arn,
                    interruption_queue=cluster.karpenter.queue_name,
                    instance_profile=cluster.karpenter.instance_profile_name,
                    subnet_ids=self.infra.vpc.subnet_ids["private"],
                    security_group_ids=[cluster.node_security_group_id],
                    volumes_key_arn=cluster.volumes_key_arn,
                    settings=cfg.karpenter,
                    max_pods=env.network[region].pods.max_pods_per_node,
                    namespace=cluster_cfg.karpenter.namespace,
                    service_account=cluster_cfg.karpenter.service_account,
                    kernel_parameters=cluster.kernel_parameters,
                    # Pods take their addresses from the pod subnets (VPC CNI custom networking),
                    # so each node's primary interface carries none.
                    reserved_enis=1 if cluster.pod_subnets else 0,
                    tags=dict(env.tags),
                    # Not a critical add-on: beside the other controllers, on a managed pool it does not scale.
                    node_selector=self.controller_node_selector,
                    tolerations=self.controller_tolerations,
                ),
            )
        if cfg.metrics_server.enabled:
            MetricsServer(self, "metrics-server", MetricsServerProps(settings=cfg.metrics_server, **placement))

    # --- namespaces, limits, isolation, storage (spec §3.2, §8.1, §8.3, §12.2) ----------------------

    def _namespaces(self) -> dict[str, Namespace]:
        """Pod Security Admission replaces the spec's PodSecurityPolicy (§8.3): production and
        staging are ``restricted`` (a config rule allows nothing else). ``monitoring`` stays
        ``restricted`` too: Prometheus, Alertmanager and Grafana run as non-root without host
        access; node-exporter, which needs hostNetwork, hostPID and host paths, gets a namespace of
        its own with a privileged level and its reason (observability issue), so that exception
        never covers the rest of the monitoring stack.

        Pod Security Admission has no read-only-root rule; namespaces with
        ``read_only_root_filesystem`` (the default) get it from one ValidatingAdmissionPolicy."""
        read_only = [ns.read_only_root_filesystem for ns in self.config.namespaces.values()]
        #: The §8.3 read-only root filesystem rule (None when no namespace asks for it).
        self.read_only_root = ReadOnlyRoot(self, "read-only-root") if any(read_only) else None
        #: Images by digest where the release job writes digests (None when no namespace asks for it).
        self.image_digest = self._image_digest()
        namespaces: dict[str, Namespace] = {}
        for name, ns in self.config.namespaces.items():
            labels = {**ns.labels, **({"environment": ns.environment} if ns.environment else {})}
            if ns.read_only_root_filesystem:
                labels |= ReadOnlyRoot.namespace_labels
            if ns.require_image_digest:
                labels |= ImageDigest.namespace_labels
            namespaces[name] = Namespace(
                self,
                f"namespace-{name}",
                NamespaceProps(
                    name=name,
                    kubernetes_version=self.kubernetes_version,
                    pod_security=ns.pod_security,
                    reason=ns.pod_security_reason,
                    labels=labels,
                ),
            )
        return namespaces

    def _image_digest(self) -> ImageDigest | None:
        """The digest rule for namespaces with ``require_image_digest``. Admitted by tag, exactly: the images the
        platform itself puts there and upstream publishes no digest for: Istio's injected sidecar (meshed
        namespaces) and the logical backup's image (its namespace, in the primary region)."""
        required = {name: ns for name, ns in self.config.namespaces.items() if ns.require_image_digest}
        if not required:
            return None
        allowed: list[str] = []
        meshed = any(ns.labels.get(MESH_INJECTION[0]) == MESH_INJECTION[1] for ns in required.values())
        if self.config.istio.enabled and meshed:
            allowed.append(versions.image("docker.io/istio/proxyv2"))
        backup = self.env.database.logical_backup
        if logical_backup_enabled(self.env, self.region) and backup.namespace in required and "@" not in backup.image:
            allowed.append(backup.image)
        return ImageDigest(self, "image-digest", ImageDigestProps(allowed_by_tag=tuple(allowed)))

    def _resource_limits(self, namespaces: Mapping[str, Namespace]) -> None:
        """ResourceQuota (§3.2 and §12.2 merged: one quota with all five limits) and LimitRange (§12.2)."""
        for name, ns in self.config.namespaces.items():
            if not (ns.quota or ns.limit_range):
                continue
            ResourceLimits(
                self,
                f"resource-limits-{name}",
                resource_limits_props(name, ns),
                depends_on=[namespaces[name].manifest],
            )

    def _network_policies(self, namespaces: Mapping[str, Namespace]) -> None:
        """Default deny plus the §8.1 service graph; istiod reachable where sidecars are injected."""
        for name, ns in self.config.namespaces.items():
            if not ns.network_isolation:
                continue
            meshed = ns.labels.get(MESH_INJECTION[0]) == MESH_INJECTION[1]
            services = [
                ServiceTraffic(
                    name=service,
                    port=traffic.port,
                    from_namespaces=traffic.from_namespaces,
                    from_services=traffic.from_services,
                    to_services=traffic.to_services,
                )
                for service, traffic in ns.network_isolation.services.items()
            ]
            NetworkIsolation(
                self,
                f"network-isolation-{name}",
                NetworkIsolationProps(namespace=name, services=services, mesh_control_plane=ISTIOD if meshed else None),
                depends_on=[namespaces[name].manifest],
            )

    def _storage_classes(self) -> StorageClasses:
        """Volumes encrypted with the cluster's volume key (the EBS CSI driver's role has a grant on it)."""
        fast = self.config.storage.fast_ssd
        return StorageClasses(
            self,
            "storage-classes",
            StorageClassesProps(
                kms_key_arn=self.infra.cluster.volumes_key_arn,
                fast_iops=fast.iops,
                fast_throughput=fast.throughput,
                fast_smallest_volume_gib=fast.smallest_volume_gib,
                fast_reclaim_policy=fast.reclaim_policy,
            ),
        )

    def _mesh_edge(self, region: str, base: Foundation) -> Mesh:
        """Istio (§3.3) and the public ALB with its controller (§2.2)."""
        cfg, cluster = self.config, self.infra.cluster
        selector, tolerations = self.controller_node_selector, self.controller_tolerations
        mesh: Istio | None = None
        if cfg.istio.enabled:
            istio = cfg.istio
            strict = strict_mtls_namespaces(cfg)
            mesh = Istio(
                self,
                "istio",
                IstioProps(
                    kubernetes_version=self.kubernetes_version,
                    settings=istio,
                    node_selector=selector,
                    tolerations=tolerations,
                    strict_mtls_namespaces=strict,
                    mtls_port_exceptions=mtls_port_exceptions(cfg, strict),
                ),
                depends_on=base.namespace_objects(strict),
            )
        edge = cfg.edge
        # The load balancer controller, where the edge runs one (Prometheus scrapes it).
        controller: LoadBalancerController | None = None
        if edge.enabled and mesh and self.infra.edge_lb and edge.hostname:
            controller = LoadBalancerController(
                self,
                "load-balancer-controller",
                LoadBalancerControllerProps(
                    cluster_name=cluster.name,
                    region=region,
                    vpc_id=self.infra.vpc.vpc_id,
                    role_arn=cluster.service_account_roles["load-balancer-controller"].arn,
                    replicas=2,
                    node_selector=selector,
                    tolerations=tolerations,
                ),
            )
            EdgeBinding(
                self,
                "edge",
                EdgeBindingProps(
                    namespace=cfg.istio.namespace,
                    service=mesh.gateway_service,
                    gateway_target_group_arn=self.infra.edge_lb.gateway_target_group_arn,
                    status_target_group_arn=self.infra.edge_lb.status_target_group_arn,
                ),
                depends_on=[controller.release, mesh.gateway.release],
            )
        return Mesh(istio=mesh, load_balancer_controller=controller)

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


def resource_limits_props(namespace: str, ns: NamespaceConfig) -> ResourceLimitsProps:
    """Map a namespace's quota and limit range configuration onto the construct's props."""
    hard: dict[str, str] = {}
    quota_name = "quota"
    if ns.quota:
        quota_name = ns.quota.name
        hard = {
            "requests.cpu": ns.quota.requests_cpu,
            "requests.memory": ns.quota.requests_memory,
            "limits.cpu": ns.quota.limits_cpu,
            "limits.memory": ns.quota.limits_memory,
            "persistentvolumeclaims": str(ns.quota.persistentvolumeclaims),
        }
    limits: dict[str, dict[str, str]] = {}
    limit_range_name = "resource-limits"
    if ns.limit_range:
        limit_range_name = ns.limit_range.name
        bounds = {"max": "max", "min": "min", "default": "default", "defaultRequest": "default_request"}
        limits = {key: getattr(ns.limit_range, attr).model_dump() for key, attr in bounds.items()}
    return ResourceLimitsProps(
        namespace=namespace,
        quota_hard=hard,
        quota_name=quota_name,
        container_limits=limits,
        limit_range_name=limit_range_name,
    )


def _monitoring_namespace(platform: PlatformConfig) -> str | None:
    """Where Prometheus runs, if this region runs one (the data stores admit its scrapes)."""
    return platform.observability.namespace if platform.observability.enabled else None

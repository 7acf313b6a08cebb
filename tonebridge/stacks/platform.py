"""``<env>-<region>-platform``: everything inside one region's cluster, through kubernetes and helm.

The providers are configured from the infrastructure stack's cluster outputs (cdktf cross-stack
references: outputs there, remote state here) and authenticate with ``aws eks get-token`` each
time Terraform runs, so no cluster token is ever written to state or plan. AWS resources that
in-cluster components need (keys, IRSA roles, web ACLs) live in the infrastructure stack, where
Terraform can validate and plan them; this stack only refers to them.
"""

from __future__ import annotations

from cdktf import Fn
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.argocd import ArgoApplicationSpec, ArgoCd, ArgoCdProps
from tonebridge.constructs.edge_ingress import EdgeIngress, EdgeIngressProps
from tonebridge.constructs.istio import Istio, IstioProps
from tonebridge.constructs.load_balancer_controller import LoadBalancerController, LoadBalancerControllerProps
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.infrastructure import SYSTEM_POOL_SELECTOR, InfrastructureStack

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
        self._mesh_edge_gitops(env, region)

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

    def _mesh_edge_gitops(self, env: EnvironmentConfig, region: str) -> None:
        """Istio (§3.3), the public ALB with its controller (§2.2) and Argo CD (§6.1)."""
        cfg, cluster = self.config, self.infra.cluster
        system_pool = any(
            g.labels.items() >= SYSTEM_POOL_SELECTOR.items() for g in env.clusters[region].node_groups.values()
        )
        selector = dict(SYSTEM_POOL_SELECTOR) if system_pool else {}
        tolerations = (
            [{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
            if system_pool
            else []
        )
        self.istio: Istio | None = None
        if cfg.istio.enabled:
            istio = cfg.istio
            self.istio = Istio(
                self,
                "istio",
                IstioProps(
                    kubernetes_version=self.kubernetes_version,
                    namespace=istio.namespace,
                    cni_namespace=istio.cni_namespace,
                    istiod_replicas=(istio.istiod_autoscale.min, istio.istiod_autoscale.max),
                    istiod_resources=istio.istiod_resources.as_values(),
                    proxy_resources=istio.proxy_resources.as_values(),
                    gateway_replicas=(istio.gateway_autoscale.min, istio.gateway_autoscale.max),
                    gateway_resources=istio.gateway_resources.as_values(),
                    cni_resources=istio.cni_resources.as_values(),
                    system_node_selector=selector,
                    system_tolerations=tolerations,
                    strict_mtls_namespaces=istio.strict_mtls_namespaces,
                ),
            )
        edge = cfg.edge
        if edge.enabled and self.istio and self.infra.edge and edge.hostname:
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
            EdgeIngress(
                self,
                "edge",
                EdgeIngressProps(
                    hostname=edge.hostname,
                    certificate_arn=self.infra.edge.certificate_arn,
                    web_acl_arn=self.infra.edge.web_acl_arn,
                    service=self.istio.gateway_service,
                    namespace=cfg.istio.namespace,
                    paths=edge.paths,
                    ssl_policy=edge.ssl_policy,
                    deletion_protection=edge.deletion_protection,
                    access_logs_bucket=edge.access_logs_bucket,
                    shield_advanced=edge.shield_advanced,
                    tags={key: env.tags[key] for key in ("Environment", "Project")},
                ),
                depends_on=[controller.release, self.istio.gateway.release],
            )
        argocd = cfg.argocd
        if argocd.enabled:
            app = argocd.application
            pool = selector if argocd.node_pool == "system" else {"workload": "application"}
            ArgoCd(
                self,
                "argocd",
                ArgoCdProps(
                    kubernetes_version=self.kubernetes_version,
                    namespace=argocd.namespace,
                    project=argocd.project,
                    server_replicas=argocd.server_replicas,
                    repo_server_replicas=argocd.repo_server_replicas,
                    node_selector=pool,
                    tolerations=tolerations if argocd.node_pool == "system" else [],
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
            )

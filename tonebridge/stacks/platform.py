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
from tonebridge.constructs.app_secrets import ApplicationSecrets, ApplicationSecretsProps, SecretObject
from tonebridge.constructs.cert_manager import CertManager, CertManagerProps
from tonebridge.constructs.secrets_store import SecretsStoreCsi, SecretsStoreCsiProps
from tonebridge.constructs.trivy import TrivyOperator, TrivyOperatorProps
from tonebridge.constructs.vault import Vault, VaultProps
from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator, VaultSecretsOperatorProps
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
        self._secrets(region)
        self._scanning()

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

    def _secrets(self, region: str) -> None:
        """Spec §8.2: cert-manager's private CA, Vault, the CSI path, the operator, the application's objects."""
        cfg = self.config.secrets
        unseal = self.infra.vault_unseal
        if not cfg.enabled or unseal is None:
            return
        version, app, vault_cfg = self.kubernetes_version, cfg.application, cfg.vault
        csi_namespace = "kube-system"
        cert_manager = CertManager(
            self, "cert-manager", CertManagerProps(kubernetes_version=version, replicas=cfg.cert_manager_replicas)
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
                storage_class=vault_cfg.storage_class,
                service_account=vault_cfg.service_account,
                replicas=vault_cfg.replicas,
                data_storage=vault_cfg.data_storage,
                audit_storage=vault_cfg.audit_storage,
                zone_anti_affinity=vault_cfg.zone_anti_affinity,
                node_selector=vault_cfg.node_selector,
                resources=vault_cfg.resources.as_dict(),
                ca_bundle_namespaces=[csi_namespace, app.namespace],
                bootstrap={
                    "role": app.role,
                    "service_account": app.service_account,
                    "namespace": app.namespace,
                    "audience": app.audience,
                    "auth_mount": app.auth_mount,
                    "paths": [o.secret_path for o in app.objects],
                },
            ),
            depends_on=[cert_manager.issuers],
        )
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
            depends_on=[csi.driver, operator.release, vault.certificates],
        )

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
                scan_job_resources=cfg.scan_job_resources.as_dict(),
            ),
        )

"""The Secrets Store CSI driver and Vault's CSI provider: Vault secrets mounted into pods as files.

Both are node agents (DaemonSets with host paths; the driver is privileged to mount volumes for
the kubelet), so they live in ``kube-system``, which carries no ``restricted`` label: no
restricted namespace has to be relaxed for them. Rotation is on; syncing to Kubernetes Secrets is
off (a synced secret is one more copy in etcd; the Vault Secrets Operator is the path for
workloads that need a Secret object).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import SECRETS_STORE_CSI_DRIVER, VAULT
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps
from tonebridge.constructs.pod_defaults import EVERY_NODE_TOLERATIONS
from tonebridge.props.secrets import SecretsSettings

#: Where Vault's CA is mounted in the provider's pods (SecretProviderClass ``vaultCACertPath``).
CA_DIR = "/vault/tls"


class SecretsStoreCsi(Construct):
    """Attributes: ``driver`` and ``provider`` (helm releases, for ``depends_on``), ``ca_cert_path``.

    :param settings: the secrets path's settings (``platform.<region>.secrets``: how often mounted secrets
        are refreshed from Vault).
    :param vault_address: https URL the provider uses unless a SecretProviderClass names one.
    :param ca_secret: secret in ``namespace`` whose ``ca.crt`` is Vault's CA.
    :param sync_secrets: also let SecretProviderClasses sync into Kubernetes Secrets (default off).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: SecretsSettings,
        *,
        vault_address: str,
        ca_secret: str,
        namespace: str = "kube-system",
        sync_secrets: bool = False,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        if not vault_address.startswith("https://"):
            raise ValueError(f"vault_address {vault_address!r} must be https://")
        super().__init__(scope, construct_id)
        self.ca_cert_path = f"{CA_DIR}/ca.crt"
        self.driver = ChartRelease(
            self,
            "driver",
            ChartReleaseProps(
                release_name="secrets-store-csi-driver",
                chart=SECRETS_STORE_CSI_DRIVER,
                namespace=namespace,
                values={
                    "linux": {"tolerations": list(EVERY_NODE_TOLERATIONS), "priorityClassName": "system-node-critical"},
                    "syncSecret": {"enabled": sync_secrets},
                    "enableSecretRotation": True,
                    "rotationPollInterval": settings.csi_rotation_poll_interval,
                },
            ),
        ).release
        self.provider = ChartRelease(
            self,
            "vault-provider",
            ChartReleaseProps(
                release_name="vault-csi-provider",
                chart=VAULT,
                namespace=namespace,
                values=_provider_values(vault_address, ca_secret),
            ),
            depends_on=[self.driver, *depends_on],
        ).release


def _provider_values(vault_address: str, ca_secret: str) -> dict:
    return {
        "global": {"enabled": False, "externalVaultAddr": vault_address},
        "server": {"enabled": False},
        "injector": {"enabled": False},
        "csi": {
            "enabled": True,
            "priorityClassName": "system-node-critical",
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
            "agent": {
                "resources": {
                    "requests": {"cpu": "50m", "memory": "128Mi"},
                    "limits": {"cpu": "200m", "memory": "256Mi"},
                }
            },
            "pod": {"tolerations": list(EVERY_NODE_TOLERATIONS)},
            "volumes": [{"name": "vault-ca", "secret": {"secretName": ca_secret}}],
            "volumeMounts": [{"name": "vault-ca", "mountPath": CA_DIR, "readOnly": True}],
            # Runs as root to create its socket in the host's provider directory; no capabilities.
            "daemonSet": {
                "securityContext": {"container": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
            },
        },
    }

"""Spec §8.2's secrets path as a feature: cert-manager's private CA, Vault with every feature's role, the
Secrets Store CSI driver, the Vault Secrets Operator and the application's objects.

Other features declare what they need from Vault as data (their :class:`~tonebridge.props.vault.VaultRole`
and the namespaces that must trust Vault's CA) and receive :class:`Secrets` back: Vault, the operator, the
CSI driver, and :meth:`Secrets.login` for a namespace's own VSO login.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from tonebridge.constructs.app_secrets import ApplicationSecrets
from tonebridge.constructs.cert_manager import CertManager, CertManagerProps
from tonebridge.constructs.secrets_store import SecretsStoreCsi
from tonebridge.constructs.vault import Vault, VaultProps
from tonebridge.constructs.vault_login import VaultLogin
from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator
from tonebridge.props.secrets import ApplicationSecretsSettings, SecretsSettings
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.constructs.vault_aws import VaultUnseal
    from tonebridge.features.depends import FoundationObjects, Placement

#: Where the CSI driver and Vault's provider run (node agents with host paths; no restricted label).
CSI_NAMESPACE = "kube-system"


@dataclass(frozen=True)
class VaultConsumer:
    """A namespace whose pods log in to Vault: it gets Vault's CA bundle (a ``vault-ca`` secret) once it
    exists, after the stack's namespace object of that name where the stack creates it, and after ``ready``
    (the namespace object of a chart that creates its own)."""

    namespace: str
    ready: tuple = ()


@dataclass(frozen=True)
class Secrets:
    """Spec §8.2's secrets path of a region: Vault (grant roles with ``vault.grant``), the Vault Secrets
    Operator (VaultAuth/VaultStaticSecret) and the Secrets Store CSI driver (its CA path), with the
    application's settings, whose auth mount and token audience every role logs in with."""

    vault: Vault
    operator: VaultSecretsOperator
    csi: SecretsStoreCsi
    application: ApplicationSecretsSettings

    def login(self, role: VaultRole, *, name: str) -> VaultLogin:
        """The VSO login of ``role``'s namespace as ``role`` (its service account), over TLS with Vault's CA;
        ``name`` names the VaultConnection (``<name>``) and VaultAuth (``<name>-auth``)."""
        return VaultLogin(
            namespace=role.namespace,
            address=self.vault.address,
            role=role.role,
            service_account=role.service_account,
            name=name,
            ca_secret=self.vault.ca_bundle_secret,
            auth_mount=self.application.auth_mount,
            audience=self.application.audience,
        )


def add_secrets(
    scope: Construct,
    settings: SecretsSettings,
    unseal: VaultUnseal | None,
    *,
    kubernetes_version: str,
    region: str,
    controllers: Placement,
    foundation: FoundationObjects,
    consumers: Sequence[VaultConsumer] = (),
    roles: Sequence[VaultRole | None] = (),
) -> Secrets | None:
    """The secrets path (None where ``settings`` or the region's unseal key, from the infrastructure stack, is off).

    :param consumers: the namespaces besides the application's whose pods log in to Vault, in order.
    :param roles: every other feature's role (None: that feature is off), granted in this order after the
        application's, which the bootstrap configures first.
    """
    if not settings.enabled or unseal is None:
        return None
    node_selector, tolerations = controllers
    app = settings.application
    namespaces = [consumer.namespace for consumer in consumers]
    cert_manager = CertManager(
        scope,
        "cert-manager",
        CertManagerProps(
            kubernetes_version=kubernetes_version,
            replicas=settings.cert_manager_replicas,
            node_selector=node_selector,
            tolerations=tolerations,
        ),
    )
    vault = Vault(
        scope,
        "vault",
        VaultProps(
            kubernetes_version=kubernetes_version,
            region=region,
            unseal_key_arn=unseal.key_arn,
            unseal_role_arn=unseal.role_arn,
            ca_issuer=cert_manager.ca_issuer,
            settings=settings.vault,
            application=app,
            ca_bundle_namespaces=[CSI_NAMESPACE, app.namespace, *namespaces],
        ),
        depends_on=[
            cert_manager.issuers,
            # Vault's CA bundle goes into each of these namespaces.
            *foundation.namespace_objects([app.namespace, *namespaces]),
            *(ready for consumer in consumers for ready in consumer.ready),
            *foundation.storage_class_objects([settings.vault.storage_class]),
        ],
    )
    # Each feature's role, declared by the feature as a typed value; the bootstrap lists them in this order.
    for role in roles:
        if role is not None:
            vault.grant(role)
    csi = SecretsStoreCsi(
        scope,
        "secrets-store-csi",
        settings,
        vault_address=vault.address,
        ca_secret=vault.ca_bundle_secret,
        namespace=CSI_NAMESPACE,
        depends_on=[vault.certificates],
    )
    operator = VaultSecretsOperator(scope, "vault-secrets-operator", settings, kubernetes_version=kubernetes_version)
    ApplicationSecrets(
        scope,
        "application-secrets",
        app,
        vault_address=vault.address,
        ca_cert_path=csi.ca_cert_path,
        ca_secret=vault.ca_bundle_secret,
        depends_on=[csi.driver, operator.release, vault.certificates, *foundation.namespace_objects([app.namespace])],
    )
    return Secrets(vault=vault, operator=operator, csi=csi, application=app)

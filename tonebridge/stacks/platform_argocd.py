"""Argo CD's single sign-on in the platform stack: the Vault role and the Vault Secrets Operator
objects that copy the OIDC client secret into the one Kubernetes secret Argo CD reads.

Argo CD reads ``$<secret>:<key>`` references only from Kubernetes secrets labelled
``app.kubernetes.io/part-of: argocd``; the CSI driver mounts files and cannot serve it. So the
operator logs in to Vault for the ``argocd`` namespace as a role of its own, whose policy reads
exactly the OIDC path, and keeps ``argocd-oidc`` in step (nothing in code, state or plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tonebridge.config.signature_rules import syncs_production
from tonebridge.constructs.argocd import ARGO_SECRET_LABEL, ArgoSignatureKey, ArgoSso
from tonebridge.constructs.kube import CustomResources
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.config.platform import PlatformConfig
    from tonebridge.constructs.argocd import ArgoCd
    from tonebridge.stacks.platform import PlatformStack
    from tonebridge.stacks.platform_parts import Secrets

#: The secret Argo CD's oidc.config refers to.
OIDC_SECRET = "argocd-oidc"  # noqa: S105 - a secret's name


def argocd_signature_keys(platform: PlatformConfig) -> tuple[list[ArgoSignatureKey], bool]:
    """The keys of ``platform.<region>.argocd.signature_keys`` with their armored public keys read from
    the repository, and whether this Argo CD must require them (it syncs production)."""
    keys = [
        ArgoSignatureKey(key.key_id, (PROJECT_ROOT / key.public_key).read_text(encoding="utf-8"))
        for key in platform.argocd.signature_keys
    ]
    return keys, syncs_production(platform)


def argocd_sso(platform: PlatformConfig) -> ArgoSso | None:
    """The construct's view of ``platform.<region>.argocd.sso`` (None where Argo CD or SSO is off)."""
    argocd = platform.argocd
    if not argocd.enabled or argocd.sso is None:
        return None
    sso = argocd.sso
    return ArgoSso(
        issuer=sso.issuer,
        client_id=sso.client_id,
        name=sso.name,
        secret_name=OIDC_SECRET,
        admin_groups=sso.admin_groups,
        readonly_groups=sso.readonly_groups,
    )


def argocd_vault_role(platform: PlatformConfig) -> VaultRole | None:
    """The bootstrap's role for Argo CD's namespace: read-only on exactly the OIDC client secret."""
    if argocd_sso(platform) is None:
        return None
    argocd, sso = platform.argocd, platform.argocd.sso
    return VaultRole(
        role=sso.vault_role,
        service_account=sso.vault_service_account,
        namespace=argocd.namespace,
        paths=(f"{sso.mount}/data/{sso.path}",),
        subject="Argo CD's OIDC client secret",
    )


def argocd_vault_namespaces(platform: PlatformConfig) -> list[str]:
    """Namespaces that need Vault's CA bundle for Argo CD's VaultConnection."""
    return [platform.argocd.namespace] if argocd_sso(platform) is not None else []


def add_argocd_sso(stack: PlatformStack, argocd: ArgoCd | None, secrets: Secrets | None) -> CustomResources | None:
    """The VSO login (service account, VaultConnection, VaultAuth) and the VaultStaticSecret of the
    OIDC client secret, after the operator (CRDs) and Argo CD's namespace exist."""
    platform = stack.config
    if argocd_sso(platform) is None or argocd is None or secrets is None:
        return None
    vault, operator = secrets.vault, secrets.operator
    sso, secrets = platform.argocd.sso, platform.secrets.application
    login = VaultLogin(
        namespace=platform.argocd.namespace,
        address=vault.address,
        role=sso.vault_role,
        service_account=sso.vault_service_account,
        name="argocd-vault",
        ca_secret=vault.ca_bundle_secret,
        auth_mount=secrets.auth_mount,
        audience=secrets.audience,
    )
    return CustomResources(
        stack,
        "argocd-sso",
        release_name="argocd-sso",
        namespace=platform.argocd.namespace,
        objects=[
            login_service_account(login),
            *login_objects(login),
            static_secret(login, name=OIDC_SECRET, mount=sso.mount, path=sso.path, labels=ARGO_SECRET_LABEL),
        ],
        depends_on=[operator.release, vault.certificates, argocd.release],
    )

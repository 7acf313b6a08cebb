"""Spec §6.1's GitOps as a feature: Argo CD with its project and Application, and its single sign-on.

Argo CD reads ``$<secret>:<key>`` references only from Kubernetes secrets labelled
``app.kubernetes.io/part-of: argocd``; the CSI driver mounts files and cannot serve it. So the
Vault Secrets Operator logs in to Vault for the ``argocd`` namespace as a role of its own, whose
policy reads exactly the OIDC path, and keeps ``argocd-oidc`` in step (nothing in code, state or plan).
The order is data flow: :func:`add_gitops` first (its role and namespace go to the secrets feature),
then :func:`add_argocd_sso` with the secrets feature's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from tonebridge.constructs.argocd import ARGO_SECRET_LABEL, OIDC_SECRET, ArgoCd, ArgoSignatureKey
from tonebridge.constructs.kube import CustomResources
from tonebridge.constructs.vault_login import login_objects, login_service_account, static_secret
from tonebridge.features.secrets import VaultConsumer
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.argocd import ArgoCdSettings
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.features.depends import FoundationObjects, Placement
    from tonebridge.features.secrets import Secrets


@dataclass(frozen=True)
class GitOps:
    """Argo CD where this region runs it, and what its single sign-on asks of Vault (None without SSO):
    the role the bootstrap grants, and its namespace as one of Vault's consumers."""

    argocd: ArgoCd | None
    vault_role: VaultRole | None

    @property
    def vault_consumers(self) -> list[VaultConsumer]:
        """Argo CD's namespace where its single sign-on logs in to Vault: it trusts Vault's CA once Argo CD's
        chart has created it."""
        if self.vault_role is None or self.argocd is None:
            return []
        return [VaultConsumer(self.vault_role.namespace, (self.argocd.namespace.manifest,))]


def signature_keys(settings: ArgoCdSettings) -> list[ArgoSignatureKey]:
    """The keys of ``settings.signature_keys`` with their armored public keys read from the repository."""
    return [
        ArgoSignatureKey(key.key_id, (PROJECT_ROOT / key.public_key).read_text(encoding="utf-8"))
        for key in settings.signature_keys
    ]


def sso_vault_role(settings: ArgoCdSettings) -> VaultRole | None:
    """The bootstrap's role for Argo CD's namespace: read-only on exactly the OIDC client secret (None where
    Argo CD or its single sign-on is off)."""
    sso = settings.sso
    if not settings.enabled or sso is None:
        return None
    return VaultRole(
        role=sso.vault_role,
        service_account=sso.vault_service_account,
        namespace=settings.namespace,
        paths=(f"{sso.mount}/data/{sso.path}",),
        subject="Argo CD's OIDC client secret",
    )


def add_gitops(
    scope: Construct,
    settings: ArgoCdSettings,
    *,
    kubernetes_version: str,
    system: Placement,
    controllers: Placement,
    foundation: FoundationObjects,
) -> GitOps:
    """Argo CD (construct id ``argocd``) on the pool ``settings.node_pool`` names, after the namespace it
    deploys to; an empty result where this region runs no Argo CD."""
    if not settings.enabled:
        return GitOps(argocd=None, vault_role=None)
    node_selector, tolerations = system if settings.node_pool == "system" else controllers
    argocd = ArgoCd(
        scope,
        "argocd",
        settings,
        kubernetes_version=kubernetes_version,
        node_selector=node_selector,
        tolerations=tolerations,
        signature_keys=signature_keys(settings),
        depends_on=foundation.namespace_objects([settings.application.namespace]),
    )
    return GitOps(argocd=argocd, vault_role=sso_vault_role(settings))


def add_argocd_sso(
    scope: Construct, settings: ArgoCdSettings, gitops: GitOps, secrets: Secrets | None
) -> CustomResources | None:
    """The VSO login (service account, VaultConnection, VaultAuth) and the VaultStaticSecret of the OIDC
    client secret (construct id ``argocd-sso``), after the operator (CRDs) and Argo CD's namespace exist."""
    role, argocd, sso = gitops.vault_role, gitops.argocd, settings.sso
    if role is None or argocd is None or sso is None or secrets is None:
        return None
    login = secrets.login(role, name="argocd-vault")
    return CustomResources(
        scope,
        "argocd-sso",
        release_name="argocd-sso",
        namespace=role.namespace,
        objects=[
            login_service_account(login),
            *login_objects(login),
            static_secret(login, name=OIDC_SECRET, mount=sso.mount, path=sso.path, labels=ARGO_SECRET_LABEL),
        ],
        depends_on=[secrets.operator.release, secrets.vault.certificates, argocd.release],
    )

"""Argo CD settings (spec §6.1): both ``platform.<region>.argocd`` in the YAML and the settings
:class:`tonebridge.constructs.argocd.ArgoCd` takes. Defaults are the spec's Application.

Each rule on a setting is declared once, here; rules that need more than these settings (DNS labels,
the project's name, relative paths: config/guard_rules.py; signature keys wherever production is
synced, checked against their files: config/signature_rules.py) stay with the configuration. What is
not configuration (the cluster's version, placement, the armored keys read from the repository, the
OIDC secret's name) is passed to the construct as wiring.

cdktf-free (the rules layer): config imports it as a field type, the construct as its input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tonebridge.props.types import StrictModel


class ArgoApplicationSettings(StrictModel):
    """The spec's Application (§6.1), values as given there."""

    name: str = Field(
        default="tonebridge-production",
        description="The Application object's name in Argo CD's namespace (a DNS label).",
    )
    repo_url: str = Field(
        default="https://github.com/tonebridge/k8s-manifests",
        pattern=r"^https://",
        description="The manifests repository it syncs from; the AppProject allows this repository only.",
    )
    target_revision: str = Field(default="main", description="Branch, tag or commit of the repository to sync.")
    path: str = Field(
        default="environments/production",
        description="Directory of the manifests, relative inside the repository (no leading '/', no '..').",
    )
    namespace: str = Field(
        default="production",
        description="Namespace the workloads are synced into, the AppProject's only destination; where it is a "
        "production namespace, `signature_keys` are required.",
    )
    prune: bool = Field(default=True, description="Automated sync deletes objects that were removed from Git.")
    self_heal: bool = Field(
        default=True, description="Automated sync reverts changes made in the cluster to what Git says."
    )
    allow_empty: bool = Field(
        default=False, description="Automated sync may prune every object when the path renders nothing."
    )
    sync_options: list[str] = Field(
        default_factory=lambda: ["Validate=true", "CreateNamespace=false"],
        description="Argo CD sync options, each `Key=value` (CreateNamespace=false: the platform stack creates "
        "the namespace).",
    )
    retry_limit: int = Field(default=5, ge=0, description="Retries of a failed sync (0: none).")
    backoff_duration: str = Field(
        default="5s", pattern=r"^\d+[smh]$", description="Wait before the first retry (seconds, minutes or hours)."
    )
    backoff_factor: int = Field(default=2, ge=1, description="Multiplier of the wait after each failed retry.")
    backoff_max_duration: str = Field(
        default="3m", pattern=r"^\d+[smh]$", description="Longest wait between retries, however many have failed."
    )


#: An IdP group name as Argo CD's RBAC CSV takes it: no comma, quote or newline (they would split or
#: break the policy line).
IdpGroup = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^,\"'\n]+$")]


class ArgoSsoSettings(StrictModel):
    """Argo CD's single sign-on through the company's OIDC provider; the client secret stays in Vault
    (KV v2 ``<mount>/<path>``, key ``client-secret``), copied by the Vault Secrets Operator into the
    secret Argo CD reads (``$argocd-oidc:client-secret``), never into code or state."""

    name: str = Field(
        default="SSO",
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9 ._-]+$",
        description="Label of the provider's button on Argo CD's login page.",
    )
    issuer: str = Field(
        pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$",
        description="The OIDC provider's issuer URL (its discovery document is under it).",
    )
    client_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The client ID registered for Argo CD at the provider (not secret).",
    )
    mount: str = Field(
        default="secret", pattern=r"^[a-z0-9][-a-z0-9]*$", description="Vault KV v2 mount holding the client secret."
    )
    path: str = Field(
        default="argocd/oidc",
        pattern=r"^[a-z0-9][-a-z0-9/]*$",
        description="Path of the client secret under `mount` (key `client-secret`).",
    )
    vault_role: str = Field(
        default="argocd",
        pattern=r"^[a-z0-9][-a-z0-9]*$",
        description="Vault Kubernetes-auth role the Vault Secrets Operator logs in as; its policy reads only "
        "`<mount>/data/<path>`.",
    )
    vault_service_account: str = Field(
        default="argocd-vault",
        pattern=r"^[a-z0-9][-a-z0-9]*$",
        description="Service account in Argo CD's namespace that the Vault role is bound to.",
    )
    admin_groups: list[IdpGroup] = Field(
        default_factory=list, description="IdP groups mapped to role:admin (platform operators)."
    )
    readonly_groups: list[IdpGroup] = Field(default_factory=list, description="IdP groups mapped to role:readonly.")
    admin_enabled: bool = Field(
        default=False,
        description="The local admin account: true only while bootstrapping (before SSO works), then false.",
    )


_GPG_KEY_ID = r"^[0-9A-F]{16}$"


class ArgoSignatureKeySettings(StrictModel):
    """One key Argo CD accepts commit signatures from: its ID as the AppProject names it, and the
    armored PUBLIC key in this repository that Argo CD's keyring is given (the ID is checked against
    the file: tonebridge/config/signature_rules.py). The private half never enters the repository."""

    key_id: str = Field(pattern=_GPG_KEY_ID, description="16 upper-case hex digits (gpg --keyid-format long).")
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\.asc$",
        description="Path of the armored public key (gpg --armor --export), relative to the repository root.",
    )
    holder: str = Field(
        min_length=1, max_length=120, description="Who signs with it (the release job, a reviewer): for audits."
    )


#: What the manifests repository may create in the production namespace: workloads and their
#: configuration. No RBAC objects, no Secrets (Vault), no ServiceAccounts (the platform's), no policy
#: objects the platform owns (quotas, limits, network policies, mTLS).
DEFAULT_SYNCED_KINDS = [
    {"group": "apps", "kind": "Deployment"},
    {"group": "", "kind": "Service"},
    {"group": "", "kind": "ConfigMap"},
    {"group": "autoscaling", "kind": "HorizontalPodAutoscaler"},
    {"group": "policy", "kind": "PodDisruptionBudget"},
    {"group": "networking.istio.io", "kind": "VirtualService"},
    {"group": "networking.istio.io", "kind": "DestinationRule"},
]
#: Never from Git, whatever the configuration says.
FORBIDDEN_SYNCED_KINDS = {
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
}


def _synced_kind(value: dict) -> dict:
    if set(value) != {"group", "kind"}:
        raise ValueError("each kind is {group, kind}")
    if value["kind"] in FORBIDDEN_SYNCED_KINDS or value["kind"] == "*" or value["group"] == "*":
        raise ValueError(f"{value['kind']} may not come from Git (RBAC, secrets, identities, platform policy)")
    return value


class ArgoCdSettings(StrictModel):
    """Argo CD from its Helm chart, and the project/application that deploy the workloads."""

    enabled: bool = Field(
        default=True, description="Run Argo CD in this region's cluster; false deploys none of this section."
    )
    namespace: str = Field(
        default="argocd", description="Namespace Argo CD is installed in and holds its AppProject and Applications."
    )
    project: str = Field(
        default="tonebridge",
        description="The AppProject confining the Application (its repository, namespace and kinds); never "
        "`default`, which allows anything anywhere.",
    )
    server_replicas: int = Field(
        default=2, ge=1, description="Pods of the API/UI server; more than one also gets a disruption budget."
    )
    repo_server_replicas: int = Field(
        default=2,
        ge=1,
        description="Pods of the repo server (renders manifests, verifies commit signatures); more than one also "
        "gets a disruption budget.",
    )
    node_pool: Literal["system", "application"] = Field(
        default="application",
        description="Node pool of every Argo CD pod: beside the other controllers on the application pool by "
        "default (the system pool's t3.medium nodes keep the critical add-ons only).",
    )
    application: ArgoApplicationSettings = ArgoApplicationSettings()
    sso: ArgoSsoSettings | None = Field(
        default=None, description="OIDC single sign-on; without it the local admin stays (bootstrap only)."
    )
    signature_keys: list[ArgoSignatureKeySettings] = Field(
        default_factory=list,
        description="Keys whose signature a synced commit must carry (the release job's key and the manifest "
        "reviewers'): required wherever Argo CD syncs a production namespace (signature_rules.py).",
    )
    synced_kinds: list[Annotated[dict[str, str], AfterValidator(_synced_kind)]] = Field(
        default_factory=lambda: [dict(k) for k in DEFAULT_SYNCED_KINDS],
        min_length=1,
        description="The only namespaced kinds the AppProject lets Git create.",
    )

"""Typed models of the mesh, edge and GitOps parts of ``platform.<region>``.

``istio`` (spec §3.3), ``edge`` (the L7 load balancer and web ACL of spec §2.2) and ``argocd``
(spec §6.1). Defaults are the spec's values where it gives them. ``istio`` is the Istio
construct's own settings model (:mod:`tonebridge.props.istio`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from tonebridge.config.types import BucketName, LogRetentionDays, StrictModel
from tonebridge.props.istio import IstioSettings

# --- shared -----------------------------------------------------------------------------------

_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")

_ISO_CODES = """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
    ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID
    IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR
    NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC
    VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
#: ISO 3166-1 alpha-2 codes (officially assigned), the codes WAF geo match statements accept.
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())


def _hostname(value: str) -> str:
    if not _HOSTNAME_RE.match(value):
        raise ValueError(f"{value!r} is not a fully qualified lowercase DNS name")
    return value


def _country(value: str) -> str:
    if value not in ISO_3166_ALPHA2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (for example KP)")
    return value


def _path(value: str) -> str:
    if not _PATH_RE.match(value) or value == "/" or value.endswith("/") or "//" in value:
        raise ValueError(f"{value!r} must be an absolute path prefix such as /api (no trailing '/')")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
CountryCode = Annotated[str, AfterValidator(_country)]
PathPrefix = Annotated[str, AfterValidator(_path)]


# --- istio (spec §3.3): the settings of tonebridge.constructs.istio, in tonebridge.props.istio ---

IstioConfig = IstioSettings


# --- edge (spec §2.2) -------------------------------------------------------------------------

#: AWS managed rule groups the web ACL evaluates by default (names as WAF lists them).
DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


class EdgeConfig(StrictModel):
    """The region's public L7 entry: WAFv2 web ACL, ACM certificate and the ALB (infrastructure stack),
    the Istio gateway's pods bound to its target groups (platform stack), its HTTPS listener (global stack)."""

    enabled: bool = True
    hostname: Hostname | None = Field(default=None, description="Public name the ALB's certificate is for.")
    alternative_names: list[Hostname] = Field(default_factory=list)
    rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000, description="Requests per IP per 5 minutes.")
    blocked_countries: list[CountryCode] = Field(default_factory=list)
    managed_rule_groups: list[str] = Field(default_factory=lambda: list(DEFAULT_MANAGED_RULE_GROUPS), min_length=1)
    waf_log_retention_days: LogRetentionDays = 365
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection: bool = True
    access_logs_bucket: BucketName | None = Field(
        default=None, description="S3 bucket (SSE-S3, ELB log delivery allowed) for ALB access logs."
    )
    paths: list[PathPrefix] = Field(default_factory=lambda: ["/api", "/auth"], min_length=1)
    shield_advanced: bool = Field(default=False, description="Shield Advanced protection of the ALB (paid).")


# --- argo cd (spec §6.1) ----------------------------------------------------------------------


class ArgoApplicationConfig(StrictModel):
    """The spec's Application (§6.1), values as given there."""

    name: str = "tonebridge-production"
    repo_url: str = Field(default="https://github.com/tonebridge/k8s-manifests", pattern=r"^https://")
    target_revision: str = "main"
    path: str = "environments/production"
    namespace: str = "production"
    prune: bool = True
    self_heal: bool = True
    allow_empty: bool = False
    sync_options: list[str] = Field(default_factory=lambda: ["Validate=true", "CreateNamespace=false"])
    retry_limit: int = Field(default=5, ge=0)
    backoff_duration: str = Field(default="5s", pattern=r"^\d+[smh]$")
    backoff_factor: int = Field(default=2, ge=1)
    backoff_max_duration: str = Field(default="3m", pattern=r"^\d+[smh]$")


#: An IdP group name as Argo CD's RBAC CSV takes it: no comma, quote or newline (they would split or
#: break the policy line).
IdpGroup = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^,\"'\n]+$")]


class ArgoSsoConfig(StrictModel):
    """Argo CD's single sign-on through the company's OIDC provider; the client secret stays in Vault
    (KV v2 ``<mount>/<path>``, key ``client-secret``), copied by the Vault Secrets Operator into the
    secret Argo CD reads (``$argocd-oidc:client-secret``), never into code or state."""

    name: str = Field(default="SSO", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 ._-]+$")
    issuer: str = Field(pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$")
    client_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
    mount: str = Field(default="secret", pattern=r"^[a-z0-9][-a-z0-9]*$")
    path: str = Field(default="argocd/oidc", pattern=r"^[a-z0-9][-a-z0-9/]*$")
    vault_role: str = Field(default="argocd", pattern=r"^[a-z0-9][-a-z0-9]*$")
    vault_service_account: str = Field(default="argocd-vault", pattern=r"^[a-z0-9][-a-z0-9]*$")
    admin_groups: list[IdpGroup] = Field(
        default_factory=list, description="IdP groups mapped to role:admin (platform operators)."
    )
    readonly_groups: list[IdpGroup] = Field(default_factory=list, description="IdP groups mapped to role:readonly.")
    admin_enabled: bool = Field(
        default=False,
        description="The local admin account: true only while bootstrapping (before SSO works), then false.",
    )


_GPG_KEY_ID = r"^[0-9A-F]{16}$"


class ArgoSignatureKeyConfig(StrictModel):
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


class ArgoCdConfig(StrictModel):
    """Argo CD from its Helm chart, and the project/application that deploy the workloads."""

    enabled: bool = True
    namespace: str = "argocd"
    project: str = "tonebridge"
    server_replicas: int = Field(default=2, ge=1)
    repo_server_replicas: int = Field(default=2, ge=1)
    #: Where the server, repo server and controller run: beside the other controllers on the application
    #: pool by default (the system pool's t3.medium nodes keep the critical add-ons only).
    node_pool: Literal["system", "application"] = "application"
    application: ArgoApplicationConfig = ArgoApplicationConfig()
    sso: ArgoSsoConfig | None = Field(
        default=None, description="OIDC single sign-on; without it the local admin stays (bootstrap only)."
    )
    signature_keys: list[ArgoSignatureKeyConfig] = Field(
        default_factory=list,
        description="Keys whose signature a synced commit must carry (the release job's key and the manifest "
        "reviewers'): required wherever Argo CD syncs a production namespace (signature_rules.py).",
    )
    synced_kinds: list[Annotated[dict[str, str], AfterValidator(_synced_kind)]] = Field(
        default_factory=lambda: [dict(k) for k in DEFAULT_SYNCED_KINDS],
        min_length=1,
        description="The only namespaced kinds the AppProject lets Git create.",
    )

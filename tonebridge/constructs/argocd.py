"""Argo CD (spec §6.1) from its Helm chart, with the project and Application that deploy the workloads.

The server is reachable only inside the cluster (ClusterIP; operators use ``kubectl port-forward``
or the CLI's ``--core`` mode). People sign in through the company's OIDC provider (Argo CD's own
OIDC client, no Dex); groups map to ``role:admin`` or ``role:readonly`` and everyone else gets
nothing. The local admin exists only for the bootstrap (its password generated into
``argocd-initial-admin-secret``, never set here) and is switched off once SSO works.

The Application lives in its own AppProject, which confines it to one repository, one destination
namespace, no cluster-scoped resources and an allow-list of workload kinds (no RBAC objects, no
Secrets, no ServiceAccounts, none of the platform's policy objects), and syncs only commits signed
by the configured keys, instead of ``default`` (which allows anything anywhere).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import ARGO_CD
from tonebridge.constructs.flow_policies import FlowIsolation
from tonebridge.constructs.kube import ChartReleaseProps, CustomResources
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import restricted_container_context
from tonebridge.flows import Endpoint, Flow
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.openpgp import read_public_key

#: The current API of Argo CD's Application and AppProject.
ARGO_API = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
#: Objects the platform stack owns in application namespaces; the Application may not replace them.
PLATFORM_OWNED = (
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    {"group": "security.istio.io", "kind": "PeerAuthentication"},
)
_DURATION = re.compile(r"^\d+[smh]$")


@dataclass(frozen=True)
class ArgoApplicationSpec:
    """One Argo CD Application: what to sync from where to where, and how (spec §6.1)."""

    name: str
    repo_url: str
    target_revision: str
    path: str
    namespace: str
    prune: bool = True
    self_heal: bool = True
    allow_empty: bool = False
    sync_options: Sequence[str] = ("Validate=true", "CreateNamespace=false")
    retry_limit: int = 5
    backoff_duration: str = "5s"
    backoff_factor: int = 2
    backoff_max_duration: str = "3m"

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.name) or not DNS_LABEL.match(self.namespace):
            raise ValueError(f"application {self.name!r}: name and namespace must be DNS labels")
        if not self.repo_url.startswith("https://"):
            raise ValueError(f"application {self.name}: repo_url must be https://")
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"application {self.name}: path must be relative inside the repository")
        for duration in (self.backoff_duration, self.backoff_max_duration):
            if not _DURATION.match(duration):
                raise ValueError(f"application {self.name}: {duration!r} is not a duration like 5s or 3m")
        if self.retry_limit < 0 or self.backoff_factor < 1:
            raise ValueError(f"application {self.name}: retry_limit >= 0 and backoff_factor >= 1")
        if any("=" not in option for option in self.sync_options):
            raise ValueError(f"application {self.name}: sync options are Key=value")


@dataclass(frozen=True)
class ArgoSso:
    """OIDC sign-in: ``issuer`` and ``client_id`` of the provider's application; the client secret is
    read from the Kubernetes secret ``secret_name`` (key ``client-secret``), which the Vault Secrets
    Operator fills from Vault. ``admin_groups`` / ``readonly_groups``: provider groups per role."""

    issuer: str
    client_id: str
    name: str = "SSO"
    secret_name: str = "argocd-oidc"  # noqa: S105 - a secret's name
    admin_groups: Sequence[str] = ()
    readonly_groups: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not self.issuer.startswith("https://"):
            raise ValueError("sso: issuer must be https://")
        for group in (*self.admin_groups, *self.readonly_groups):
            if any(c in group for c in ",\n\"'"):
                raise ValueError(f"sso: group {group!r} must not contain commas, quotes or newlines")


@dataclass(frozen=True)
class ArgoSignatureKey:
    """A key Argo CD accepts commit signatures from: ``key_id`` (16 hex digits, as the AppProject's
    ``signatureKeys`` and the ``argocd-gpg-keys-cm`` entry name it) and ``public_key``, the armored
    public key (``gpg --armor --export``) that holds it. Checked against each other here: a keyring
    without the named key would make every signed sync fail."""

    key_id: str
    public_key: str

    def __post_init__(self) -> None:
        held = read_public_key(self.public_key).key_ids  # OpenPgpError (a ValueError) for anything but one public key
        if self.key_id not in held:
            raise ValueError(f"signature key {self.key_id}: the armored key holds {', '.join(held)}")


#: Argo CD's own label for secrets it may read values from (``$<secret>:<key>``).
ARGO_SECRET_LABEL = {"app.kubernetes.io/part-of": "argocd"}


@dataclass(frozen=True)
class ArgoCdProps:
    """Props of :class:`ArgoCd`.

    kubernetes_version: the cluster's ``1.NN`` (pod security profile of the namespace).
    project: the AppProject the applications belong to (never ``default``).
    applications: what Argo CD deploys; every one's repository and namespace is allowed by the project.
    server_replicas, repo_server_replicas: 2+ in production, with PodDisruptionBudgets.
    node_selector, tolerations: where every Argo CD pod runs.
    sso: OIDC sign-in (None: local admin only, for the bootstrap).
    admin_enabled: the local admin account (default: on only without SSO).
    signature_keys: the keys whose signatures a synced commit must carry (the AppProject's
        ``signatureKeys``; their public keys go to Argo CD's keyring, ``argocd-gpg-keys-cm``).
    require_signatures: the applications deploy production: refuse to build without signature keys.
    synced_kinds: the namespaced kinds Git may create (``{group, kind}``; the AppProject's allow-list).
    """

    kubernetes_version: str
    applications: Sequence[ArgoApplicationSpec]
    namespace: str = "argocd"
    project: str = "tonebridge"
    server_replicas: int = 2
    repo_server_replicas: int = 2
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    sso: ArgoSso | None = None
    admin_enabled: bool | None = None
    signature_keys: Sequence[ArgoSignatureKey] = ()
    require_signatures: bool = False
    synced_kinds: Sequence[Mapping[str, str]] = (
        {"group": "apps", "kind": "Deployment"},
        {"group": "", "kind": "Service"},
        {"group": "", "kind": "ConfigMap"},
    )

    @property
    def local_admin(self) -> bool:
        return (self.sso is None) if self.admin_enabled is None else self.admin_enabled

    def __post_init__(self) -> None:
        if not self.local_admin and self.sso is None:
            raise ValueError("admin_enabled false needs sso: nobody could sign in")
        forbidden = {"Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
        if any(k["kind"] in forbidden or k["kind"] == "*" for k in self.synced_kinds):
            raise ValueError("synced_kinds: no RBAC objects, Secrets or ServiceAccounts from Git")
        if not DNS_LABEL.match(self.namespace) or not DNS_LABEL.match(self.project):
            raise ValueError("namespace and project must be DNS labels")
        if self.project == "default":
            raise ValueError("project: 'default' allows any repository and destination; name a project of its own")
        if self.server_replicas < 1 or self.repo_server_replicas < 1:
            raise ValueError("server_replicas and repo_server_replicas must be at least 1")
        names = [app.name for app in self.applications]
        if len(set(names)) != len(names):
            raise ValueError("application names must be distinct")
        if self.require_signatures and not self.signature_keys:
            raise ValueError("require_signatures: production syncs only signed commits; give signature_keys")


def _component(replicas: int, cpu: str, memory: str, limit_cpu: str, limit_memory: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "replicas": replicas,
        "resources": {
            "requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": limit_cpu, "memory": limit_memory},
        },
        "containerSecurityContext": restricted_container_context(),
    }
    if replicas > 1:
        values["pdb"] = {"enabled": True, "minAvailable": 1}
    return values


def app_project(props: ArgoCdProps) -> dict[str, Any]:
    """Only the applications' repositories, only their namespaces on this cluster, nothing cluster-scoped."""
    apps = props.applications
    return {
        "apiVersion": ARGO_API,
        "kind": "AppProject",
        "metadata": {"name": props.project, "namespace": props.namespace},
        "spec": {
            "description": "ToneBridge workloads, synced from their manifests repository",
            "sourceRepos": sorted({app.repo_url for app in apps}),
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in sorted({app.namespace for app in apps})],
            "clusterResourceWhitelist": [],
            # An allow-list: anything not named (RBAC, Secrets, ServiceAccounts, webhooks) is refused.
            "namespaceResourceWhitelist": [dict(kind) for kind in props.synced_kinds],
            "namespaceResourceBlacklist": [dict(kind) for kind in PLATFORM_OWNED],
            **(
                {"signatureKeys": [{"keyID": key.key_id} for key in props.signature_keys]}
                if props.signature_keys
                else {}
            ),
            "orphanedResources": {"warn": True},
        },
    }


#: Argo CD's GnuPG switch; the docs name server, repo server, application controller and ApplicationSet
#: controller, and the chart's ``global.env`` reaches all four.
GPG_ENABLED = {"name": "ARGOCD_GPG_ENABLED", "value": "true"}


def gpg_keys(keys: Sequence[ArgoSignatureKey]) -> dict[str, str]:
    """The chart's ``configs.gpg.keys``: each armored public key under its key ID (argocd-gpg-keys-cm)."""
    return {key.key_id: key.public_key.strip() + "\n" for key in keys}


def rbac_policy(sso: ArgoSso | None) -> dict[str, str]:
    """The chart's ``configs.rbac``: provider groups to built-in roles; nobody else gets any role."""
    lines = [f"g, {group}, role:admin" for group in (sso.admin_groups if sso else ())]
    lines += [f"g, {group}, role:readonly" for group in (sso.readonly_groups if sso else ())]
    return {"policy.default": "", "policy.csv": "\n".join(lines), "scopes": "[groups]"}


def oidc_config(sso: ArgoSso) -> str:
    """``oidc.config`` of argocd-cm: the client secret by reference to the secret VSO keeps."""
    return (
        f"name: {sso.name}\n"
        f"issuer: {sso.issuer}\n"
        f"clientID: {sso.client_id}\n"
        f"clientSecret: ${sso.secret_name}:client-secret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )


def application(app: ArgoApplicationSpec, project: str, namespace: str) -> dict[str, Any]:
    """The Application as the spec writes it, in ``project``."""
    return {
        "apiVersion": ARGO_API,
        "kind": "Application",
        "metadata": {"name": app.name, "namespace": namespace},
        "spec": {
            "project": project,
            "source": {"repoURL": app.repo_url, "targetRevision": app.target_revision, "path": app.path},
            "destination": {"server": IN_CLUSTER, "namespace": app.namespace},
            "syncPolicy": {
                "automated": {"prune": app.prune, "selfHeal": app.self_heal, "allowEmpty": app.allow_empty},
                "syncOptions": list(app.sync_options),
                "retry": {
                    "limit": app.retry_limit,
                    "backoff": {
                        "duration": app.backoff_duration,
                        "factor": app.backoff_factor,
                        "maxDuration": app.backoff_max_duration,
                    },
                },
            },
        },
    }


#: Ports Argo CD's components serve each other (the chart's defaults).
REPO_SERVER_PORT, REDIS_PORT = 8081, 6379
#: HTTPS anywhere: the Kubernetes API, the manifests repository (GitHub), the OIDC issuer.
HTTPS_ANYWHERE = "0.0.0.0/0"


def argocd_flows(namespace: str, release: str = "argocd") -> list[Flow]:
    """What Argo CD's components need: server, controller and ApplicationSet controller ask the repo
    server to render; server, controller and repo server share Redis; every pod reaches HTTPS (the API
    server, GitHub, the OIDC issuer). Nothing reaches Argo CD from the network: operators use
    ``kubectl port-forward``."""

    def component(name: str) -> Endpoint:
        labels = {"app.kubernetes.io/name": f"argocd-{name}", "app.kubernetes.io/instance": release}
        return Endpoint(f"argocd-{name}", namespace=namespace, pod_labels=labels)

    repo, redis = component("repo-server"), component("redis")
    flows = [
        Flow(component(c), repo, REPO_SERVER_PORT, "render manifests")
        for c in ("server", "application-controller", "applicationset-controller")
    ]
    flows += [
        Flow(component(c), redis, REDIS_PORT, "cache") for c in ("server", "application-controller", "repo-server")
    ]
    flows.append(
        Flow(
            Endpoint("argocd", namespace=namespace),
            Endpoint("https anywhere", cidr=HTTPS_ANYWHERE),
            443,
            "the Kubernetes API, the manifests repository and the OIDC issuer",
        )
    )
    return flows


class ArgoCd(Construct):
    """Attributes: ``namespace``, ``release`` (the argo-cd helm_release), ``resources`` (project + applications)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        props: ArgoCdProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        # The chart's pods meet restricted with the security contexts set below.
        self.namespace, self.release = namespaced_release(
            self,
            "release",
            ChartReleaseProps(
                release_name="argocd", chart=ARGO_CD, namespace=props.namespace, values=self._values(props)
            ),
            props.kubernetes_version,
            depends_on=depends_on,
        )
        # Default deny in argocd; exactly the declared flows are admitted (and proved by the fit check).
        FlowIsolation(
            self, "isolation", props.namespace, argocd_flows(props.namespace), depends_on=[self.namespace.manifest]
        )
        self.resources: CustomResources | None = None
        if props.applications:
            self.resources = CustomResources(
                self,
                "applications",
                release_name="argocd-applications",
                namespace=props.namespace,
                objects=[
                    app_project(props),
                    *(application(app, props.project, props.namespace) for app in props.applications),
                ],
                depends_on=[self.release],
            )

    @staticmethod
    def _values(props: ArgoCdProps) -> dict[str, Any]:
        return {
            "global": {
                "nodeSelector": dict(props.node_selector),
                "tolerations": list(props.tolerations),
                # GnuPG on in every component (Argo CD's default, stated so that no later values can
                # quietly turn it off: signatureKeys would then go unverified).
                "env": [GPG_ENABLED],
            },
            "crds": {"install": True, "keep": True},
            "dex": {"enabled": False},
            "notifications": {"enabled": False},
            "configs": {
                # No password here: Argo CD writes a random one to argocd-initial-admin-secret.
                "secret": {"createSecret": True},
                "cm": {
                    "admin.enabled": props.local_admin,
                    "users.anonymous.enabled": False,
                    "exec.enabled": False,
                    **({"oidc.config": oidc_config(props.sso)} if props.sso else {}),
                },
                "rbac": rbac_policy(props.sso),
                # The keyring the repo server verifies commits with (argocd-gpg-keys-cm, keyed by key ID).
                "gpg": {"keys": gpg_keys(props.signature_keys)},
            },
            "server": {
                **_component(props.server_replicas, "100m", "128Mi", "500m", "512Mi"),
                "service": {"type": "ClusterIP"},
                "ingress": {"enabled": False},
            },
            "repoServer": _component(props.repo_server_replicas, "100m", "256Mi", "1", "1Gi"),
            # One controller unless sharded: two unsharded controllers would fight over the same apps.
            "controller": _component(1, "250m", "512Mi", "2", "2Gi"),
            "applicationSet": _component(1, "50m", "64Mi", "500m", "256Mi"),
            "redis": {
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                },
                "containerSecurityContext": restricted_container_context(),
            },
        }

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import ARGO_CD
from tonebridge.constructs.flow_policies import FlowIsolation
from tonebridge.constructs.kube import ChartReleaseProps, CustomResources
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import restricted_container_context
from tonebridge.flows import Endpoint, Flow
from tonebridge.openpgp import read_public_key
from tonebridge.props.argocd import ArgoApplicationSettings, ArgoCdSettings, ArgoSsoSettings

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
#: The Kubernetes secret whose ``client-secret`` Argo CD's oidc.config refers to (the Vault Secrets
#: Operator fills it from Vault).
OIDC_SECRET = "argocd-oidc"  # noqa: S105 - a secret's name


def local_admin(settings: ArgoCdSettings) -> bool:
    """The local admin account: on without SSO (the bootstrap), else as ``sso.admin_enabled`` says."""
    return settings.sso.admin_enabled if settings.sso else True


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


def app_project(
    settings: ArgoCdSettings,
    applications: Sequence[ArgoApplicationSettings],
    signature_keys: Sequence[ArgoSignatureKey] = (),
) -> dict[str, Any]:
    """Only the applications' repositories, only their namespaces on this cluster, nothing cluster-scoped;
    only commits signed by ``signature_keys`` where there are any."""
    apps = applications
    return {
        "apiVersion": ARGO_API,
        "kind": "AppProject",
        "metadata": {"name": settings.project, "namespace": settings.namespace},
        "spec": {
            "description": "ToneBridge workloads, synced from their manifests repository",
            "sourceRepos": sorted({app.repo_url for app in apps}),
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in sorted({app.namespace for app in apps})],
            "clusterResourceWhitelist": [],
            # An allow-list: anything not named (RBAC, Secrets, ServiceAccounts, webhooks) is refused.
            "namespaceResourceWhitelist": [dict(kind) for kind in settings.synced_kinds],
            "namespaceResourceBlacklist": [dict(kind) for kind in PLATFORM_OWNED],
            **({"signatureKeys": [{"keyID": key.key_id} for key in signature_keys]} if signature_keys else {}),
            "orphanedResources": {"warn": True},
        },
    }


#: Argo CD's GnuPG switch; the docs name server, repo server, application controller and ApplicationSet
#: controller, and the chart's ``global.env`` reaches all four.
GPG_ENABLED = {"name": "ARGOCD_GPG_ENABLED", "value": "true"}


def gpg_keys(keys: Sequence[ArgoSignatureKey]) -> dict[str, str]:
    """The chart's ``configs.gpg.keys``: each armored public key under its key ID (argocd-gpg-keys-cm)."""
    return {key.key_id: key.public_key.strip() + "\n" for key in keys}


def rbac_policy(sso: ArgoSsoSettings | None) -> dict[str, str]:
    """The chart's ``configs.rbac``: provider groups to built-in roles; nobody else gets any role."""
    lines = [f"g, {group}, role:admin" for group in (sso.admin_groups if sso else ())]
    lines += [f"g, {group}, role:readonly" for group in (sso.readonly_groups if sso else ())]
    return {"policy.default": "", "policy.csv": "\n".join(lines), "scopes": "[groups]"}


def oidc_config(sso: ArgoSsoSettings, secret_name: str = OIDC_SECRET) -> str:
    """``oidc.config`` of argocd-cm: the client secret by reference to the secret VSO keeps (``secret_name``)."""
    return (
        f"name: {sso.name}\n"
        f"issuer: {sso.issuer}\n"
        f"clientID: {sso.client_id}\n"
        f"clientSecret: ${secret_name}:client-secret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )


def application(app: ArgoApplicationSettings, project: str, namespace: str) -> dict[str, Any]:
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


def distinct_applications(applications: Sequence[ArgoApplicationSettings]) -> None:
    """Each Application is an object of Argo CD's namespace: two of one name would overwrite each other."""
    names = [app.name for app in applications]
    if len(set(names)) != len(names):
        raise ValueError("application names must be distinct")


class ArgoCd(Construct):
    """Attributes: ``namespace``, ``release`` (the argo-cd helm_release), ``resources`` (project + applications).

    :param settings: ``platform.<region>.argocd`` (namespace, project, replicas, the Application, SSO, the
        kinds Git may create); its rules are the settings' own and the configuration's.
    :param kubernetes_version: the cluster's ``1.NN`` (pod security profile of the namespace).
    :param node_selector, tolerations: where every Argo CD pod runs.
    :param signature_keys: the keys whose signatures a synced commit must carry (the AppProject's
        ``signatureKeys``; their public keys go to Argo CD's keyring, ``argocd-gpg-keys-cm``), read from the
        files ``settings.signature_keys`` names.
    :param applications: what Argo CD deploys (default: the settings' one Application); every one's
        repository and namespace is allowed by the project.
    :param oidc_secret: the secret (key ``client-secret``) the OIDC client secret is read from.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: ArgoCdSettings,
        *,
        kubernetes_version: str,
        node_selector: Mapping[str, str] = MappingProxyType({}),
        tolerations: Sequence[Mapping[str, str]] = (),
        signature_keys: Sequence[ArgoSignatureKey] = (),
        applications: Sequence[ArgoApplicationSettings] | None = None,
        oidc_secret: str = OIDC_SECRET,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        apps = [settings.application] if applications is None else list(applications)
        distinct_applications(apps)
        namespace = settings.namespace
        values = _values(settings, node_selector, tolerations, signature_keys, oidc_secret)
        # The chart's pods meet restricted with the security contexts set below.
        self.namespace, self.release = namespaced_release(
            self,
            "release",
            ChartReleaseProps(release_name="argocd", chart=ARGO_CD, namespace=namespace, values=values),
            kubernetes_version,
            depends_on=depends_on,
        )
        # Default deny in argocd; exactly the declared flows are admitted (and proved by the fit check).
        FlowIsolation(self, "isolation", namespace, argocd_flows(namespace), depends_on=[self.namespace.manifest])
        self.resources: CustomResources | None = None
        if apps:
            self.resources = CustomResources(
                self,
                "applications",
                release_name="argocd-applications",
                namespace=namespace,
                objects=[
                    app_project(settings, apps, signature_keys),
                    *(application(app, settings.project, namespace) for app in apps),
                ],
                depends_on=[self.release],
            )


def _values(
    settings: ArgoCdSettings,
    node_selector: Mapping[str, str],
    tolerations: Sequence[Mapping[str, str]],
    signature_keys: Sequence[ArgoSignatureKey],
    oidc_secret: str,
) -> dict[str, Any]:
    sso = settings.sso
    return {
        "global": {
            "nodeSelector": dict(node_selector),
            "tolerations": list(tolerations),
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
                "admin.enabled": local_admin(settings),
                "users.anonymous.enabled": False,
                "exec.enabled": False,
                **({"oidc.config": oidc_config(sso, oidc_secret)} if sso else {}),
            },
            "rbac": rbac_policy(sso),
            # The keyring the repo server verifies commits with (argocd-gpg-keys-cm, keyed by key ID).
            "gpg": {"keys": gpg_keys(signature_keys)},
        },
        "server": {
            **_component(settings.server_replicas, "100m", "128Mi", "500m", "512Mi"),
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
        },
        "repoServer": _component(settings.repo_server_replicas, "100m", "256Mi", "1", "1Gi"),
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

"""Jenkins for the application pipeline of spec §6.2, from its Helm chart, configured as code.

Controller (namespace ``ci``, Pod Security ``restricted``):

* One replica (Jenkins has no active-active mode) from the pinned chart and image, every plugin
  pinned to a version and its dependencies resolved to the minimum those require, so a restart
  never upgrades anything. No executors on the controller: every build runs in an agent pod.
* JENKINS_HOME on a ``fast-ssd`` volume (encrypted with the cluster's key, retained on delete).
* Configuration as code only (JCasC): local security realm with sign-up off, logged-in users only,
  the Kubernetes cloud and its pod templates, the credentials the pipeline uses.
* Admin credentials and the notification webhook come from Vault through the Secrets Store CSI
  driver (a SecretProviderClass read as the Vault role bound to the controller's service account
  only) as files, which JCasC reads with ``${readFile:...}``. No Kubernetes Secret holds them
  and nothing is in code, state or plan; the chart's own admin secret is off.
* ClusterIP only, no Ingress: operators use ``kubectl port-forward``; webhooks from the source host
  come later through the edge, not by exposing the controller.

Placement (spec §2.2: CI/CD on the private-management tier): a managed node group in the
private-management subnets, labelled ``workload=management`` and tainted
``management=true:NoSchedule`` (:data:`tonebridge.props.pools.MANAGEMENT_POOL`). A selector
on an existing pool would put builds next to the application on the private-app subnets, which
§2.2 keeps apart; the node group keeps the tier's own subnets and route tables, and the taint keeps
everything else off it. Controller and agents both select and tolerate it.

Agents (namespace ``ci-builds``): the spec's privileged ``docker:dind`` is replaced by rootless
image builds with Kaniko, which needs no daemon, no privileged container and no host path. Kaniko
does need root inside its container: it unpacks the base image over its own root filesystem and
runs the Dockerfile's steps there, setting file owners as the image says. So that container sets
``runAsUser: 0``, keeps a writable root filesystem, and adds back CHOWN, DAC_OVERRIDE, FOWNER,
FSETID, SETUID and SETGID after dropping ALL, which the ``restricted`` profile forbids
(``runAsNonRoot``, ``capabilities.add``) and ``baseline`` allows. BuildKit rootless is no way out:
it needs ``seccompProfile: Unconfined`` (user namespaces and mounts), which ``baseline`` forbids as
well. The agents therefore get a namespace of their own at ``baseline`` (audit and warn stay
``restricted``), with that reason on the namespace; the controller's namespace stays restricted.
Everything else in the pods stays restricted: no privileged container, no privilege escalation,
seccomp RuntimeDefault, no host namespaces or paths; the other containers run as non-root with
all capabilities dropped and read-only root filesystems.

Two pod templates, two identities: ``tonebridge-build`` (jnlp, kaniko, trivy) runs as the builder
account, whose only credential is the IRSA role that pushes to the platform's repositories (no
Kubernetes API token is mounted); ``tonebridge-deploy`` (jnlp, kubectl) runs as the deployer
account, whose only rights are get/list/watch/patch on Deployments in the deploy namespaces
(:mod:`tonebridge.constructs.ci_rbac`). A Dockerfile step therefore never holds a deploy credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge import flows
from tonebridge.charts import JENKINS
from tonebridge.constructs.app_secrets import SecretObject, secret_provider_class
from tonebridge.constructs.ci_rbac import DeployAccess, DeployAccessProps, service_account
from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, CustomResources, kube_object
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.network_policies import NetworkIsolation, NetworkIsolationProps, peer, tcp
from tonebridge.constructs.pod_defaults import RUNTIME_DEFAULT_SECCOMP, restricted_container_context
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.ci import CiReleaseSettings, CiSettings

#: uid/gid of the jenkins user in the controller and inbound-agent images.
JENKINS_UID = 1000
#: The tool containers (trivy, registry-login, crane, kubectl, signer) run as the agent's user: the agent (jnlp)
#: creates the workspace and the durable-task control files (0755/0644, owned by it), and a step in another
#: container must write there (reports, the digest file, kustomization.yaml, the step's pid and log). The
#: kubernetes plugin recommends one uid across a pod's containers; their images need no particular uid.
TOOL_UID = JENKINS_UID
HTTP_PORT, AGENT_PORT = 8080, 50000
#: Where the controller sees its Vault files (JCasC reads them with ${readFile:...}).
SECRETS_DIR = "/run/secrets/jenkins"
#: Where the controller sees the release cloud's Kubernetes token (the launcher account's).
LAUNCHER_DIR = "/run/secrets/jenkins-release-launcher"
#: Secret volume mode: owner root, group the controller's fsGroup (1000) may read, nobody else.
LAUNCHER_TOKEN_MODE = 0o440
#: Scratch space of the tool containers: an emptyDir of the pod (their root filesystems are read-only).
TMP = "/tmp"  # noqa: S108 - a per-pod emptyDir, not the node's /tmp
#: What Kaniko adds back after dropping ALL (all of them in the baseline profile's allowed set).
KANIKO_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETGID", "SETUID")
BUILD_TEMPLATE, DEPLOY_TEMPLATE, TEST_TEMPLATE = "tonebridge-build", "tonebridge-deploy", "tonebridge-test"
RELEASE_TEMPLATE = "tonebridge-release"
#: Why the agents' namespace enforces baseline (kept as an annotation on the namespace).
AGENTS_REASON = (
    "Kaniko builds images without a daemon or privileged container, but as root inside its container "
    "(runAsUser 0 and CHOWN, DAC_OVERRIDE, FOWNER, FSETID, SETGID, SETUID to unpack layers with their "
    "owners); restricted forbids both, baseline allows them. BuildKit rootless would need seccomp "
    "Unconfined, which baseline forbids too. The controller stays in a restricted namespace."
)


#: The controller's files from Vault (object names are the file names under :data:`SECRETS_DIR`).
ADMIN_USERNAME, ADMIN_PASSWORD = "admin-username", "admin-password"
WEBHOOK = "notification-webhook"
MANIFESTS_TOKEN, SIGNING_KEY = "manifests-repo-token", "manifests-signing-key"
#: The SecretProviderClass that mounts them.
PROVIDER_CLASS = "jenkins-secrets"
#: The namespace the release job deploys production to (through the manifests repository and Argo CD).
PRODUCTION_NAMESPACE = "production"
#: The release cloud's own Kubernetes identity (:func:`release_launcher`) and its SYSTEM credential.
LAUNCHER_ACCOUNT = "jenkins-release-agent-launcher"
LAUNCHER_CREDENTIAL = "kubernetes-release-launcher"
LAUNCHER_TOKEN_SECRET = f"{LAUNCHER_ACCOUNT}-token"


def vault_objects(ci: CiSettings) -> list[SecretObject]:
    """The controller's files: admin user and password, the notification webhook, the manifests
    repository token and the release key that signs manifests commits (KV v2 paths)."""
    admin, notifications, manifests = (
        ci.vault.data_path(name) for name in ("admin_path", "notifications_path", "manifests_path")
    )
    return [
        SecretObject(ADMIN_USERNAME, admin, "username"),
        SecretObject(ADMIN_PASSWORD, admin, "password"),
        SecretObject(WEBHOOK, notifications, "webhook-url"),
        SecretObject(MANIFESTS_TOKEN, manifests, "token"),
        # The release key that signs manifests commits (Argo CD verifies it): same path, its own key.
        SecretObject(SIGNING_KEY, manifests, "signing-key"),
    ]


@dataclass(frozen=True)
class VaultAccess:
    """How the controller reaches Vault (the secrets path's wiring, not CI settings): the in-cluster
    ``address`` (https), the CSI driver's ``ca_cert_path``, the Kubernetes auth mount and audience."""

    address: str
    ca_cert_path: str
    auth_mount: str = "kubernetes"
    audience: str = "vault"


@dataclass(frozen=True)
class JenkinsProps:
    """Props of :class:`Jenkins`: the CI settings (``platform.<region>.ci``) and the wiring the stack
    resolves.

    kubernetes_version: the cluster's ``1.NN`` (pod security profiles).
    builder_role_arn: the IRSA role of the build pods (push to the staging repositories only).
    release_role_arn: the release agents' (push to the production repositories only).
    services: the release job's choices (the registries' services).
    vault: how the controller reaches Vault. registry: the ECR registry host, as ``TONEBRIDGE_REGISTRY``
    for every build. node_selector, tolerations: the management pool (controller and agents).
    """

    settings: CiSettings
    kubernetes_version: str
    builder_role_arn: str
    release_role_arn: str
    services: Sequence[str]
    vault: VaultAccess
    registry: str
    node_selector: Mapping[str, str]
    tolerations: Sequence[Mapping[str, str]] = ()

    def __post_init__(self) -> None:
        if not self.node_selector:
            raise ValueError("jenkins: node_selector must place it on the management pool")


def _tmp_volume() -> dict:
    return {"name": "tmp", "emptyDir": {}}


def _tool_container(name: str, image: str, resources: Mapping, env: Sequence[Mapping[str, str]] = ()) -> dict:
    """A long-running tool container for pipeline steps: non-root, read-only root, writable /tmp."""
    return {
        "name": name,
        "image": image,
        "command": ["cat"],
        "tty": True,
        "env": [{"name": "HOME", "value": TMP}, *(dict(e) for e in env)],
        "resources": {k: dict(v) for k, v in resources.items()},
        "securityContext": {**restricted_container_context(), "runAsUser": TOOL_UID, "runAsGroup": TOOL_UID},
        "volumeMounts": [{"name": "tmp", "mountPath": TMP}],
    }


def _jnlp(props: JenkinsProps) -> dict:
    """The inbound agent (remoting), restricted. Its workspace volume is added by the plugin, which also
    passes the workspace as ``JENKINS_AGENT_WORKDIR``: the image starts remoting with ``-workDir`` there,
    and remoting then keeps its JAR cache and logs inside the work directory (remoting's docs/workDir.md),
    so the read-only root needs no volume of its own for them."""
    ci = props.settings
    return {
        "name": "jnlp",
        "image": ci.agents.inbound_image,
        "resources": ci.agents.tool_resources.manifest(),
        "securityContext": {**restricted_container_context(), "runAsUser": JENKINS_UID, "runAsGroup": JENKINS_UID},
        "volumeMounts": [{"name": "tmp", "mountPath": TMP}],
    }


def _pod(
    props: JenkinsProps,
    service_account: str,
    containers: list[dict],
    *,
    token: bool,
    volumes: Sequence[dict] = (),
    annotations: Mapping[str, str] | None = None,
) -> dict:
    pod: dict = {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": token,
            "nodeSelector": dict(props.node_selector),
            "tolerations": [dict(t) for t in props.tolerations],
            "securityContext": {"seccompProfile": dict(RUNTIME_DEFAULT_SECCOMP), "fsGroup": JENKINS_UID},
            "containers": [_jnlp(props), *containers],
            "volumes": [_tmp_volume(), *volumes],
        },
    }
    if annotations:
        pod["metadata"] = {"annotations": dict(annotations)}
    return pod


#: The registry login and crane: a credential helper and a streaming upload, small and brief.
PUSH_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
#: Where the registry login leaves the short-lived ECR password for crane (a memory-backed emptyDir
#: mounted into those two containers only, never into Kaniko's).
REGISTRY_AUTH = "/registry-auth"
#: EKS's pod identity webhook mounts the web identity token into every container but these.
SKIP_IRSA = "eks.amazonaws.com/skip-containers"


def _image_containers(props: JenkinsProps) -> tuple[list[dict], list[dict], list[str]]:
    """Kaniko builds with no credential at all (``--no-push --tar-path``: a Dockerfile ``RUN`` step
    finds no web identity token, no registry password, no Kubernetes token); ``registry-login`` (the
    Kaniko image's ECR credential helper, the only container with the IRSA token) fetches a 12-hour
    registry password into a memory volume that only ``crane`` shares, and crane pushes the scanned
    tarball. Returns the containers, their extra volumes and the containers the token must skip."""
    ci = props.settings
    kaniko = {
        "name": "kaniko",
        "image": ci.agents.kaniko_image,
        "command": ["/busybox/cat"],
        "tty": True,
        "resources": ci.agents.build_resources.manifest(),
        "securityContext": {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "runAsUser": 0,
            "runAsNonRoot": False,
            "readOnlyRootFilesystem": False,
            "capabilities": {"drop": ["ALL"], "add": list(KANIKO_CAPABILITIES)},
            "seccompProfile": dict(RUNTIME_DEFAULT_SECCOMP),
        },
    }
    severity = ",".join(ci.agents.severities)
    trivy = _tool_container(
        "trivy",
        ci.agents.trivy_image,
        ci.agents.tool_resources.manifest(),
        [
            {"name": "TRIVY_SEVERITY", "value": severity},
            {"name": "TRIVY_EXIT_CODE", "value": "1"},
            {"name": "TRIVY_CACHE_DIR", "value": f"{TMP}/trivy"},
        ],
    )
    auth_mount = {"name": "registry-auth", "mountPath": REGISTRY_AUTH}
    login = _tool_container(
        "registry-login",
        ci.agents.kaniko_image,
        PUSH_RESOURCES,
        [{"name": "AWS_ECR_DISABLE_CACHE", "value": "true"}],
    )
    login["command"] = ["/busybox/cat"]
    login["volumeMounts"].append(auth_mount)
    crane = _tool_container(
        "crane", ci.agents.crane_image, PUSH_RESOURCES, [{"name": "DOCKER_CONFIG", "value": REGISTRY_AUTH}]
    )
    crane["command"] = ["/busybox/cat"]
    crane["volumeMounts"].append(auth_mount)
    volumes = [{"name": "registry-auth", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}]
    return [kaniko, trivy, login, crane], volumes, ["jnlp", "kaniko", "trivy", "crane"]


def build_pod(props: JenkinsProps) -> dict:
    """§6.2 "Build" and "Security Scan" for staging: Kaniko (no privileged container, no daemon, no
    credential), Trivy (whose defaults fail the step on the configured severities, ``--exit-code 1``),
    and the registry login and push (:func:`_image_containers`) to the staging repositories."""
    ci = props.settings
    containers, volumes, skip = _image_containers(props)
    return _pod(
        props,
        ci.builder_service_account,
        containers,
        token=False,
        volumes=volumes,
        annotations={SKIP_IRSA: ",".join(skip)},
    )


#: The Kubernetes token of the release pods, projected into the kubectl container only.
KUBE_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"  # noqa: S105 - a path


def release_pod(props: JenkinsProps) -> dict:
    """The release job's pod (production folder only): the same credential-free build, scan and
    push as :func:`build_pod`, as the releaser account (production push role), plus kubectl with a
    token (read-only in production) projected into that container alone."""
    ci = props.settings
    containers, volumes, skip = _image_containers(props)
    kubectl = _tool_container("kubectl", ci.agents.kubectl_image, ci.agents.tool_resources.manifest())
    # Signs and pushes the manifests commit: git and gpg (the inbound agent's image has git but no gpg).
    signer = _tool_container("signer", ci.agents.signer_image, PUSH_RESOURCES)
    kubectl["volumeMounts"].append({"name": "kube-api-access", "mountPath": KUBE_TOKEN_DIR, "readOnly": True})
    projected = {
        "name": "kube-api-access",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
            ]
        },
    }
    return _pod(
        props,
        ci.release.service_account,
        [*containers, kubectl, signer],
        token=False,
        volumes=[*volumes, projected],
        annotations={SKIP_IRSA: ",".join([*skip, "kubectl", "signer"])},
    )


def deploy_pod(props: JenkinsProps) -> dict:
    """§6.2 "Deploy to Staging": kubectl as the deployer account (read-only in production)."""
    ci = props.settings
    kubectl = _tool_container("kubectl", ci.agents.kubectl_image, ci.agents.tool_resources.manifest())
    return _pod(props, ci.deployer_service_account, [kubectl], token=True)


def test_pod(props: JenkinsProps) -> dict:
    """§6.2 "Integration Tests": no credential at all (the namespace's default account, no token);
    pipelines merge their test runner container into it."""
    return _pod(props, "default", [], token=False)


def _template(name: str, namespace: str, account: str, pod: dict) -> str:
    """One pod template as JCasC takes it: the pod as raw YAML, overriding the cloud's defaults."""
    return yaml.safe_dump(
        [
            {
                "name": name,
                "label": name,
                "namespace": namespace,
                "serviceAccount": account,
                "yamlMergeStrategy": "override",
                "showRawYaml": False,
                "yaml": json.dumps(pod, sort_keys=True),
            }
        ],
        sort_keys=False,
    )


def release_cloud(props: JenkinsProps) -> dict[str, Any]:
    """The chart's ``additionalClouds`` entry of the release cloud: usage-restricted (only folders
    that permit it, i.e. the release folder), agents in the release namespace, one pod template.
    The chart merges the main cloud's values into it, so the main cloud's templates are blanked
    (a YAML comment renders to nothing) rather than inherited."""
    ci = props.settings
    release = ci.release
    blanked = {name: f"# {name}: main cloud only" for name in (BUILD_TEMPLATE, DEPLOY_TEMPLATE, TEST_TEMPLATE)}
    return {
        release.cloud: {
            # Its own identity: the launcher account's token (a SYSTEM credential, looked up by the
            # cloud as SYSTEM; no job sees it), never the controller's, which has no rights in the
            # release namespace. The plugin still auto-configures the in-cluster CA and then replaces
            # the token with the credential's (KubernetesFactoryAdapter.createClient).
            "credentialsId": LAUNCHER_CREDENTIAL,
            "agent": {
                "namespace": release.namespace,
                "usageRestricted": True,
                "containerCap": release.max_agents,
                "podTemplates": {
                    **blanked,
                    RELEASE_TEMPLATE: _template(
                        RELEASE_TEMPLATE, release.namespace, release.service_account, release_pod(props)
                    ),
                },
            },
        }
    }


def pod_templates(props: JenkinsProps) -> dict[str, str]:
    """The kubernetes cloud's pod templates as the chart's ``agent.podTemplates`` takes them (JCasC)."""
    ci = props.settings
    templates = {
        BUILD_TEMPLATE: (build_pod(props), ci.builder_service_account),
        DEPLOY_TEMPLATE: (deploy_pod(props), ci.deployer_service_account),
        TEST_TEMPLATE: (test_pod(props), "default"),
    }
    return {name: _template(name, ci.agents_namespace, account, pod) for name, (pod, account) in templates.items()}


def _read(name: str) -> str:
    return "${readFile:" + f"{SECRETS_DIR}/{name}" + "}"


def _read_base64(name: str) -> str:
    return "${readFileBase64:" + f"{SECRETS_DIR}/{name}" + "}"


def _string_credential(name: str, description: str) -> dict:
    """A secret-text credential whose id is the Vault file's name and whose value is read from it."""
    return {"string": {"scope": "GLOBAL", "id": name, "description": description, "secret": _read(name)}}


def launcher_credential(release: CiReleaseSettings) -> dict:
    """The release cloud's Kubernetes token as a SYSTEM-scoped secret text: Jenkins itself (the
    cloud) can use it; no folder, job or pipeline ``withCredentials`` lookup sees SYSTEM credentials."""
    return {
        "string": {
            "scope": "SYSTEM",
            "id": LAUNCHER_CREDENTIAL,
            "description": f"Kubernetes token of {LAUNCHER_ACCOUNT}: the {release.cloud} cloud only",
            "secret": "${readFile:" + f"{LAUNCHER_DIR}/token" + "}",
        }
    }


def jcasc(props: JenkinsProps) -> dict[str, str]:
    """JCasC documents (the chart's ``controller.JCasC``): security realm, authorization, credentials, registry."""
    ci = props.settings
    realm = {
        "local": {
            "allowsSignup": False,
            "enableCaptcha": False,
            "users": [{"id": _read(ADMIN_USERNAME), "name": "Jenkins Admin", "password": _read(ADMIN_PASSWORD)}],
        }
    }
    credentials = {
        "credentials": {
            "system": {
                "domainCredentials": [
                    {
                        # The manifests token and signing key are not here: only the release folder holds them.
                        "credentials": [
                            _string_credential(WEBHOOK, "Pipeline notifications webhook (from Vault)"),
                            launcher_credential(ci.release),
                        ]
                    }
                ]
            }
        }
    }
    return {
        "securityRealm": yaml.safe_dump(realm, sort_keys=False),
        "authorizationStrategy": yaml.safe_dump(authorization(props), sort_keys=False),
        "credentials": yaml.safe_dump(credentials, sort_keys=False),
        "jobs": yaml.safe_dump({"jobs": [{"script": release_jobs(props)}]}, sort_keys=False, width=1000),
    }


#: What every logged-in user may do outside the release folder: staging stays self-service.
DEVELOPER_PERMISSIONS = (
    "Overall/Read",
    "Job/Build",
    "Job/Cancel",
    "Job/Configure",
    "Job/Create",
    "Job/Delete",
    "Job/Discover",
    "Job/Read",
    "Job/Workspace",
    "Run/Replay",
    "Run/Update",
    "View/Read",
)
#: The approvers' rights in the release folder: start and approve a release, read it. No Configure,
#: no Replay (either would change the job's script), no credentials.
APPROVER_PERMISSIONS = ("Job/Build", "Job/Cancel", "Job/Read", "Job/Discover")


def authorization(props: JenkinsProps) -> dict:
    """Matrix authorization: the admin user administers; logged-in users get the developer rights
    everywhere except the release folder, which does not inherit them (:func:`release_jobs`)."""
    return {
        "projectMatrix": {
            "entries": [
                {"user": {"name": _read(ADMIN_USERNAME), "permissions": ["Overall/Administer"]}},
                {"group": {"name": "authenticated", "permissions": list(DEVELOPER_PERMISSIONS)}},
            ]
        }
    }


def _groovy_list(items: Sequence[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def release_pipeline(props: JenkinsProps) -> str:
    """pipelines/release/Jenkinsfile with the release path's values filled in."""
    ci = props.settings
    release = ci.release
    text = (PROJECT_ROOT / "pipelines" / "release" / "Jenkinsfile").read_text()
    replacements = {
        "@SERVICES@": _groovy_list(props.services),
        "@BRANCH@": release.branch,
        "@SOURCE_URL@": release.source_url,
        "@APPROVERS@": ",".join(release.approvers),
        "@MANIFESTS_REPO@": release.manifests_repository,
        "@PRODUCTION_NAMESPACE@": PRODUCTION_NAMESPACE,
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def release_jobs(props: JenkinsProps) -> str:
    """Job DSL for the release folder: it alone may use the release cloud, holds the manifests
    credentials (folder scope, from Vault) and does not inherit the developers' rights; its one job
    runs the platform's release pipeline (never a service's Jenkinsfile). JCasC would resolve every
    ``${...}`` of the script, so the pipeline's are escaped (``^${``); the Vault reads are JCasC's."""
    ci = props.settings
    release = ci.release
    # Groovy reads backslashes in a triple-quoted string as escapes: double them, then escape the quotes.
    script = release_pipeline(props).replace("\\", "\\\\").replace("'''", "\\'\\'\\'").replace("${", "^${")
    approvers = "\n".join(
        f"          group {{ name('{group}'); permissions([{_groovy_list(APPROVER_PERMISSIONS)}]) }}"
        for group in release.approvers
    )
    return f"""folder('{release.folder}') {{
  description('The one approved path to production: main only, approved by {", ".join(release.approvers)}.')
  properties {{
    kubernetesFolderProperty {{ permittedClouds(['{release.cloud}']) }}
    authorizationMatrix {{
      inheritanceStrategy {{ nonInheriting() }}
      entries {{
{approvers}
      }}
    }}
    folderCredentialsProperty {{
      domainCredentials {{
        domainCredentials {{
          domain {{ name(''); description('') }}
          credentials {{
            stringCredentialsImpl {{
              scope('GLOBAL'); id('{MANIFESTS_TOKEN}')
              description('Commits image tags to the manifests repository (from Vault)')
              secret('{_read(MANIFESTS_TOKEN)}')
            }}
            fileCredentialsImpl {{
              scope('GLOBAL'); id('{SIGNING_KEY}'); fileName('signing-key.asc')
              description('Signs manifests commits (Argo CD signatureKeys; from Vault)')
              secretBytes(com.cloudbees.plugins.credentials.SecretBytes.fromString('{_read_base64(SIGNING_KEY)}'))
            }}
          }}
        }}
      }}
    }}
  }}
}}
pipelineJob('{release.folder}/release') {{
  description('Builds {release.branch}, scans, waits for an approver, pushes to production, commits the manifests.')
  definition {{
    cps {{
      sandbox(true)
      script('''{script}''')
    }}
  }}
}}
"""


def registry_script(registry: str) -> str:
    """The registry host as a global environment variable (its own JCasC document: it is a reference
    to the infrastructure stack, resolved by Terraform, and so must not share a string with JCasC's
    own ``${...}`` expressions)."""
    return (
        "jenkins:\n  globalNodeProperties:\n  - envVars:\n      env:\n"
        f"      - key: TONEBRIDGE_REGISTRY\n        value: {registry}\n"
    )


def values(props: JenkinsProps) -> dict[str, Any]:
    """Chart values: controller, persistence, agents, RBAC, service accounts."""
    ci = props.settings
    docs = jcasc(props)
    reload_image, reload_tag = ci.controller.config_reload_image.rsplit(":", 1)
    reload_registry, reload_repository = reload_image.split("/", 1)
    context = {**restricted_container_context(), "runAsUser": JENKINS_UID, "runAsGroup": JENKINS_UID}
    return {
        "controller": {
            "image": {
                "registry": "docker.io",
                "repository": "jenkins/jenkins",
                "tag": ci.controller.image_tag,
                "pullPolicy": "IfNotPresent",
            },
            "numExecutors": 0,
            "admin": {"createSecret": False},
            "installPlugins": [f"{name}:{version}" for name, version in sorted(ci.controller.plugins.items())],
            "installLatestPlugins": False,
            "installLatestSpecifiedPlugins": False,
            "overwritePlugins": True,
            "resources": ci.controller.resources.manifest(),
            "javaOpts": "-XX:MaxRAMPercentage=75.0",
            "serviceType": "ClusterIP",
            "agentListenerServiceType": "ClusterIP",
            "agentListenerPort": AGENT_PORT,
            "servicePort": HTTP_PORT,
            "targetPort": HTTP_PORT,
            "nodeSelector": dict(props.node_selector),
            "tolerations": [dict(t) for t in props.tolerations],
            "podSecurityContextOverride": {
                "runAsUser": JENKINS_UID,
                "runAsGroup": JENKINS_UID,
                "fsGroup": JENKINS_UID,
                "fsGroupChangePolicy": "OnRootMismatch",
                "runAsNonRoot": True,
                "seccompProfile": dict(RUNTIME_DEFAULT_SECCOMP),
            },
            "containerSecurityContext": context,
            "sidecars": {
                "configAutoReload": {
                    "enabled": True,
                    "image": {"registry": reload_registry, "repository": reload_repository, "tag": reload_tag},
                    "containerSecurityContext": context,
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"cpu": "200m", "memory": "256Mi"},
                    },
                }
            },
            "JCasC": {
                "defaultConfig": True,
                "overwriteConfiguration": True,
                "securityRealm": docs["securityRealm"],
                "authorizationStrategy": docs["authorizationStrategy"],
                "configScripts": {
                    "credentials": docs["credentials"],
                    "registry": registry_script(props.registry),
                    "release-jobs": docs["jobs"],
                },
            },
            "ingress": {"enabled": False},
            "prometheus": {"enabled": False},
            "testEnabled": False,
        },
        "persistence": {
            "enabled": True,
            "storageClass": ci.controller.storage_class,
            "size": ci.controller.storage,
            "accessMode": "ReadWriteOnce",
            "volumes": [
                {
                    "name": "vault-secrets",
                    "csi": {
                        "driver": "secrets-store.csi.k8s.io",
                        "readOnly": True,
                        "volumeAttributes": {"secretProviderClass": PROVIDER_CLASS},
                    },
                },
                {
                    "name": "release-launcher",
                    "secret": {
                        "secretName": LAUNCHER_TOKEN_SECRET,
                        "items": [{"key": "token", "path": "token"}],
                        "defaultMode": LAUNCHER_TOKEN_MODE,
                    },
                },
            ],
            "mounts": [
                {"name": "vault-secrets", "mountPath": SECRETS_DIR, "readOnly": True},
                {"name": "release-launcher", "mountPath": LAUNCHER_DIR, "readOnly": True},
            ],
        },
        "agent": {
            "enabled": True,
            "disableDefaultAgent": True,
            "namespace": ci.agents_namespace,
            "containerCap": ci.agents.max_agents,
            "restrictedPssSecurityContext": True,
            "podTemplates": pod_templates(props),
        },
        "additionalClouds": release_cloud(props),
        "rbac": {"create": True, "readSecrets": False},
        "serviceAccount": {"create": True, "name": ci.service_account},
        "serviceAccountAgent": {"create": False},
        "networkPolicy": {"enabled": False},
    }


def release_launcher(props: JenkinsProps) -> list[dict]:
    """The release cloud's own Kubernetes identity: a service account in the controller's namespace
    (no pod runs as it, no token is automounted) whose long-lived token Secret the controller mounts
    as a file for its SYSTEM credential (:func:`launcher_credential`). Its only rights are
    :func:`release_scheduling`'s, in the release namespace. The controller's own account has none
    there, so a pod template that names the release namespace through the main cloud is refused by
    the API server, whatever a Jenkinsfile says."""
    ci = props.settings
    account = service_account(LAUNCHER_ACCOUNT, ci.namespace, token=False)
    token = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": LAUNCHER_TOKEN_SECRET,
            "namespace": ci.namespace,
            "annotations": {"kubernetes.io/service-account.name": LAUNCHER_ACCOUNT},
        },
    }
    return [account, token]


def release_scheduling(props: JenkinsProps) -> list[dict]:
    """The chart's agent-scheduling Role, for the release namespace, bound to the launcher account
    only (not the controller's): the release cloud creates, watches and deletes its pods there,
    nothing else."""
    ci = props.settings
    namespace, name = ci.release.namespace, "jenkins-schedule-release-agents"
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["pods", "pods/exec", "pods/log", "events"],
                "verbs": ["get", "list", "watch"],
            },
            {"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["create", "delete", "patch"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": LAUNCHER_ACCOUNT, "namespace": ci.namespace}],
    }
    return [role, binding]


def _policy(name: str, namespace: str, pods: dict, types: list[str], **rules: list) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": pods, "policyTypes": types, **rules},
    }


#: Where HTTPS may go: anywhere (ECR, the update center, GitHub, the API server's endpoints).
ANYWHERE = [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def network_policies(props: JenkinsProps) -> list[dict]:
    """Beyond default deny and DNS: agents -> controller on 8080/50000, HTTPS out from both, and
    agents -> each integration-test target (with the matching ingress rule in the target's namespace)."""
    ci = props.settings
    controller = {"matchLabels": {"app.kubernetes.io/component": "jenkins-controller"}}
    agents_ns = peer(ci.agents_namespace)
    release_ns = peer(ci.release.namespace)
    controller_peer = peer(ci.namespace, controller["matchLabels"])
    ports = tcp(HTTP_PORT, AGENT_PORT)
    tests = [
        _policy(
            "allow-ci-integration-tests",
            target.namespace,
            {"matchLabels": {"app": target.service}},
            ["Ingress"],
            ingress=[{"from": [agents_ns], "ports": tcp(target.port)}],
        )
        for target in ci.test_targets
    ]
    to_targets = [
        {
            "to": [peer(target.namespace, {"app": target.service})],
            "ports": tcp(target.port),
        }
        for target in ci.test_targets
    ]
    return [
        *tests,
        _policy(
            "jenkins-controller",
            ci.namespace,
            controller,
            ["Ingress", "Egress"],
            ingress=[{"from": [agents_ns, release_ns], "ports": ports}],
            egress=[{"to": ANYWHERE, "ports": tcp(443)}],
        ),
        _policy(
            "jenkins-release-agents",
            ci.release.namespace,
            {},
            ["Egress"],
            egress=[{"to": [controller_peer], "ports": ports}, {"to": ANYWHERE, "ports": tcp(443)}],
        ),
        _policy(
            "jenkins-agents",
            ci.agents_namespace,
            {},
            ["Egress"],
            egress=[{"to": [controller_peer], "ports": ports}, *to_targets, {"to": ANYWHERE, "ports": tcp(443)}],
        ),
    ]


def jenkins_flows(props: JenkinsProps) -> list[flows.Flow]:
    """What the policies above exist for: agents reach the controller (web and inbound-agent ports) and the
    integration-test targets; controller and agents fetch over HTTPS (ECR, update center, GitHub)."""
    ci = props.settings
    agents = flows.Endpoint("jenkins agents", namespace=ci.agents_namespace)
    release = flows.Endpoint("jenkins release agents", namespace=ci.release.namespace)
    controller = flows.Endpoint(
        "jenkins", namespace=ci.namespace, pod_labels={"app.kubernetes.io/component": "jenkins-controller"}
    )
    internet = flows.Endpoint("https anywhere", cidr=ANYWHERE[0]["ipBlock"]["cidr"])
    return [
        flows.Flow(agents, controller, HTTP_PORT, "agents call the controller's API"),
        flows.Flow(agents, controller, AGENT_PORT, "inbound agents connect to the controller"),
        flows.Flow(release, controller, HTTP_PORT, "release agents call the controller's API"),
        flows.Flow(release, controller, AGENT_PORT, "release agents connect to the controller"),
        flows.Flow(release, internet, 443, "production registry, repositories and the API server over HTTPS"),
        *(
            flows.Flow(
                agents,
                flows.Endpoint(t.service, namespace=t.namespace, pod_labels={"app": t.service}),
                t.port,
                "integration tests",
            )
            for t in ci.test_targets
        ),
        flows.Flow(controller, internet, 443, "plugins, update center and repositories over HTTPS"),
        flows.Flow(agents, internet, 443, "image registries and repositories over HTTPS"),
    ]


class Jenkins(Construct):
    """Attributes: ``namespace`` and ``agents_namespace`` (Namespace), ``release``, ``secret_provider``
    (release of the SecretProviderClass), ``builder_account``, ``deploy_access``, ``values``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: JenkinsProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
        deploy_depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        ci, version = props.settings, props.kubernetes_version
        release = ci.release
        # The controller's namespace is restricted; both agents' namespaces baseline (AGENTS_REASON).
        baseline = {"pod_security": "baseline", "reason": AGENTS_REASON}
        own = {
            "": (ci.namespace, {}),
            "agents-": (ci.agents_namespace, baseline),
            "release-": (release.namespace, baseline),
        }
        self.namespace, self.agents_namespace, self.release_namespace = (
            Namespace(self, f"{prefix}namespace", NamespaceProps(name=name, kubernetes_version=version, **profile))
            for prefix, (name, profile) in own.items()
        )
        namespaces = [self.namespace.manifest, self.agents_namespace.manifest, self.release_namespace.manifest]
        for prefix, (name, _) in own.items():
            NetworkIsolation(self, f"{prefix}isolation", NetworkIsolationProps(namespace=name), depends_on=namespaces)
        self.policies: list[Manifest] = [
            kube_object(self, p, depends_on=[*namespaces, *deploy_depends_on]) for p in network_policies(props)
        ]
        declare_flows(self, jenkins_flows(props))
        # The two accounts that push images, each the only one its IRSA role trusts: Kaniko and Trivy
        # need AWS credentials, never a Kubernetes API token; the release agents' Kubernetes token is
        # projected into their kubectl container only (read-only in production).
        pushers = {
            (ci.builder_service_account, ci.agents_namespace): props.builder_role_arn,
            (release.service_account, release.namespace): props.release_role_arn,
        }
        self.builder_account, self.releaser_account = (
            kube_object(
                self,
                service_account(name, namespace, token=False, annotations={"eks.amazonaws.com/role-arn": arn}),
                depends_on=namespaces,
            )
            for (name, namespace), arn in pushers.items()
        )
        # The release cloud schedules its pods there as the launcher account (the chart binds the
        # controller's account in ci-builds only); the controller mounts the launcher's token.
        launcher, launcher_token = release_launcher(props)
        launcher_account = kube_object(self, launcher, depends_on=namespaces)
        # The token controller fills the Secret only for an account that exists: created after it.
        self.release_launcher = [
            launcher_account,
            kube_object(self, launcher_token, depends_on=[*namespaces, launcher_account]),
        ]
        self.release_scheduling = [
            kube_object(self, manifest, depends_on=[*namespaces, self.release_launcher[0]])
            for manifest in release_scheduling(props)
        ]
        read_only = [ns for ns in ci.deploy_namespaces if ns == PRODUCTION_NAMESPACE]
        self.deploy_access = DeployAccess(
            self,
            "deploy-access",
            DeployAccessProps.for_pipeline(ci, read_only),
            depends_on=[*namespaces, self.releaser_account],
            target_depends_on=deploy_depends_on,
        )
        vault = props.vault
        self.secret_provider = CustomResources(
            self,
            "secrets",
            release_name="jenkins-vault-secrets",
            namespace=ci.namespace,
            objects=[
                secret_provider_class(
                    PROVIDER_CLASS,
                    ci.namespace,
                    vault_address=vault.address,
                    ca_cert_path=vault.ca_cert_path,
                    role=ci.vault.role,
                    auth_mount=vault.auth_mount,
                    audience=vault.audience,
                    objects=vault_objects(ci),
                )
            ],
            depends_on=[*namespaces, *depends_on],
        ).release
        self.values = values(props)
        self.release = ChartRelease(
            self,
            "release",
            ChartReleaseProps(release_name="jenkins", chart=JENKINS, namespace=ci.namespace, values=self.values),
            depends_on=[
                *namespaces,
                self.secret_provider,
                self.builder_account,
                self.deploy_access.service_account,
                *self.release_launcher,
            ],
        ).release

"""CI settings (spec §6.2): both ``platform.<region>.ci`` in the YAML and what the Jenkins feature
(:func:`tonebridge.features.ci.add_ci`) and :class:`tonebridge.constructs.jenkins.Jenkins` take.

The defaults are the production settings: the chart's controller with pinned plugins, a persistent
home on ``fast-ssd``, its admin credentials and notification webhook from Vault, build agents in a
namespace of their own, an image-push identity limited to the platform's registries and a deploy
identity limited to updating deployments in ``staging`` and ``production``. The rules among these
fields are :meth:`CiSettings.problems`; the rules that need the rest of the environment (the
management pool, Vault, the platform's namespaces) are ``tonebridge.config.platform_ci.ci_problems``.

What is not configuration (the cluster's version, the push roles' ARNs, the registry host, the Vault
address and CA, the management pool's placement) is wiring the stack passes next to these settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from tonebridge import versions
from tonebridge.props.problems import COLLECTED, FieldProblem, PathPart
from tonebridge.props.types import ContainerResources, DnsLabel, Storage, StrictModel

_IMAGE = re.compile(r"^[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$")


def _pinned_image(value: str) -> str:
    if not _IMAGE.match(value) or value.endswith((":latest", ":dind")):
        raise ValueError(f"{value!r} must be <registry>/<repository>:<exact tag> (never latest)")
    return value


#: ``<registry>/<repository>:<tag>`` with an exact tag, registry named (no implicit docker.io).
PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
#: A plugin version as the update center publishes it (``5.10.0``, ``4423.vb_59f230b_ce53``).
PluginVersion = Annotated[str, Field(pattern=r"^[0-9][0-9A-Za-z._-]*$")]
#: A Trivy severity (the scan fails the build on the configured ones).
Severity = Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

#: The controller's plugins, each pinned: the pipeline (declarative, input), the Kubernetes cloud,
#: configuration as code, Git and GitHub sources, credentials bindings (the notification webhook).
#: Dependencies resolve to the minimum versions these require (installLatestPlugins off), so a
#: restart never upgrades anything by itself.
PINNED_PLUGINS = {
    "kubernetes": "4423.vb_59f230b_ce53",
    "workflow-aggregator": "608.v67378e9d3db_1",
    "configuration-as-code": "2053.vb_0da_47381a_25",
    "git": "5.10.0",
    "github-branch-source": "1967.vdea_d580c1a_b_a_",
    "credentials-binding": "717.v951d49b_5f3a_a_",
    "plain-credentials": "199.v9f8e1f741799",
    "timestamper": "1.30",
    # The approved path to production: matrix authorization (approver group), the production folder
    # and its release job defined as code (Job DSL), folder-scoped credentials (cloudbees-folder).
    "matrix-auth": "3.2.9",
    "job-dsl": "3654.vdf58f53e2d15",
}


class CiControllerSettings(StrictModel):
    """The Jenkins controller (one replica: Jenkins has no active-active mode)."""

    image_tag: str = Field(
        default=versions.image("docker.io/jenkins/jenkins").rsplit(":", 1)[1],
        pattern=r"^\d+\.\d+\.\d+-jdk\d+$",
        description="jenkins/jenkins LTS tag.",
    )
    storage: Storage = Field(default="50Gi", description="JENKINS_HOME volume (jobs, build records).")
    storage_class: DnsLabel = Field(default="fast-ssd", description="StorageClass of JENKINS_HOME.")
    resources: ContainerResources = ContainerResources(
        cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="4Gi"
    )
    plugins: dict[str, PluginVersion] = Field(
        default_factory=lambda: dict(PINNED_PLUGINS),
        min_length=1,
        description="Plugins installed at start, name -> exact version; their dependencies resolve to the "
        "minimum versions these need, so a restart never upgrades anything.",
    )
    config_reload_image: PinnedImage = Field(
        default=versions.image("docker.io/kiwigrid/k8s-sidecar"),
        description="Sidecar that reloads the configuration-as-code files when their ConfigMaps change.",
    )


class CiAgentSettings(StrictModel):
    """The build agents' pod template (spec §6.2's pod, without the privileged docker:dind)."""

    inbound_image: PinnedImage = Field(
        default=versions.image("docker.io/jenkins/inbound-agent"),
        description="The agent pods' jnlp container, which connects them to the controller.",
    )
    kaniko_image: PinnedImage = Field(
        default=versions.image("ghcr.io/osscontainertools/kaniko"),
        description="The maintained fork of kaniko (Google archived the original in June 2025); the -debug "
        "variant carries the busybox shell that Jenkins' container steps need.",
    )
    kubectl_image: PinnedImage = Field(
        default=versions.image("docker.io/alpine/k8s"),
        description="kubectl container of the deploy and release pods (spec §6.2's bitnami/kubectl, pinned).",
    )
    trivy_image: PinnedImage = Field(
        default=versions.image("docker.io/aquasec/trivy"),
        description="Trivy container of the build and release pods, which scans each image before it is pushed.",
    )
    crane_image: PinnedImage = Field(
        default=versions.image("gcr.io/go-containerregistry/crane/debug"),
        description="Pushes the image Kaniko built (a tarball) with the registry login: Kaniko itself builds "
        "without any credential, so a Dockerfile RUN step never sees one. The debug variant has the shell "
        "Jenkins' container steps need.",
    )
    signer_image: PinnedImage = Field(
        default=versions.image("quay.io/argoproj/argocd"),
        description="Signs and pushes the release job's manifests commit (git and gpg): Argo CD's own image, "
        "already pinned for the platform, carries both; the inbound agent's image has no gpg.",
    )
    severities: list[Severity] = Field(
        default_factory=lambda: ["HIGH", "CRITICAL"],
        min_length=1,
        description="Vulnerability severities that fail a scan: the Trivy container's TRIVY_SEVERITY (exit code 1), "
        "which both the release job and the application pipeline's scan obey (no flag overrides it).",
    )
    max_agents: int = Field(default=10, ge=1, le=50, description="Agent pods at once (the kubernetes cloud's cap).")
    build_resources: ContainerResources = ContainerResources(
        cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="4Gi"
    )
    tool_resources: ContainerResources = ContainerResources(
        cpu_request="100m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi"
    )


class CiTestTarget(StrictModel):
    """A service the integration-test stage calls directly (spec §6.2 "Integration Tests"): pods
    ``app=<service>`` of ``namespace`` on ``port``."""

    namespace: DnsLabel = Field(
        default="staging", description="Namespace of the service: one of `deploy_namespaces`, never production."
    )
    service: DnsLabel = Field(default="api-gateway", description="Pods labelled app=<service>.")
    port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        description="TCP port the tests call; the network policies open exactly it from the agents' namespace.",
    )


#: A path below the KV mount.
_KV_PATH = r"^[a-z0-9][-a-z0-9/]*$"


class CiVaultSettings(StrictModel):
    """Vault paths (KV v2 under ``mount``) the controller reads through the CSI driver, as role ``role``."""

    role: DnsLabel = Field(
        default="jenkins",
        description="Vault Kubernetes-auth role of the controller's service account; no other component's role.",
    )
    mount: DnsLabel = Field(
        default="secret", description="KV v2 mount of `admin_path`, `notifications_path` and `manifests_path`."
    )
    admin_path: str = Field(
        default="jenkins/admin",
        pattern=_KV_PATH,
        description="The admin account's credentials (keys `username` and `password`).",
    )
    notifications_path: str = Field(
        default="jenkins/notifications",
        pattern=_KV_PATH,
        description="The pipelines' notification webhook (key `webhook-url`): a Slack-compatible incoming webhook "
        "that stands for spec §6.2's slackSend.",
    )
    manifests_path: str = Field(
        default="jenkins/manifests-repo",
        pattern=_KV_PATH,
        description="Token that commits image tags to the manifests repository (production deploys).",
    )

    def data_path(self, field: str) -> str:
        """The KV v2 data path of one of the path fields (``admin_path`` ...)."""
        return f"{self.mount}/data/{getattr(self, field)}"


_GROUP = r"^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$"


def _groovy_safe(value: str) -> str:
    """The release job's Job DSL quotes the value in single quotes: no quote, ``$`` or backslash may end it."""
    if any(c in value for c in "'\"$\\"):
        raise ValueError(f"{value!r} must not contain quotes, $ or backslashes (it is quoted in the release job)")
    return value


class CiReleaseSettings(StrictModel):
    """The one approved path to production: a folder whose release job (defined here, not in any
    service's Jenkinsfile) builds ``main`` only, waits for a named approver, pushes to the production
    repositories and commits the image to the manifests repository. Only that folder may use the
    release agents' cloud, and only it holds the manifests credential."""

    folder: DnsLabel = Field(default="production", description="Jenkins folder of the release job.")
    namespace: DnsLabel = Field(default="ci-release", description="The release agents' namespace (baseline).")
    service_account: DnsLabel = Field(
        default="jenkins-releaser", description="The release agents': the only one the production push role trusts."
    )
    cloud: DnsLabel = Field(default="kubernetes-release", description="Usage-restricted Kubernetes cloud.")
    approvers: list[Annotated[str, Field(pattern=_GROUP)]] = Field(
        default_factory=lambda: ["tonebridge-release-approvers"],
        min_length=1,
        description="Groups (or user ids) of the security realm that approve a release (the input's submitter); "
        "they may build and read the folder, nobody may configure or replay its job.",
    )
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]+$", description="The only branch released.")
    source_url: Annotated[str, AfterValidator(_groovy_safe)] = Field(
        default="https://github.com/tonebridge/{service}.git",
        pattern=r"^https://[^\s{}]+\{service\}[^\s{}]*$",
        description="Each service's repository; {service} is replaced by the service name.",
    )
    max_agents: int = Field(
        default=2, ge=1, le=10, description="Release agent pods at once (the release job runs one build at a time)."
    )
    manifests_repository: str = Field(
        default="github.com/tonebridge/k8s-manifests.git",
        pattern=r"^[a-z0-9.-]+/[A-Za-z0-9._/-]+\.git$",
        description="Repository (host/path, cloned over HTTPS) the release job commits the new image to, the "
        "one Argo CD syncs production from.",
    )


class CiSettings(StrictModel):
    """Spec §6.2: Jenkins on the management tier with least-privilege build and deploy identities."""

    enabled: bool = Field(
        default=False,
        description="Run Jenkins in this region: the primary region only, with Vault (platform secrets) and a node "
        "group labelled workload=management in the management tier.",
    )
    namespace: DnsLabel = Field(default="ci", description="The controller's namespace (restricted).")
    agents_namespace: DnsLabel = Field(
        default="ci-builds", description="Build agents' namespace (baseline: Kaniko unpacks images as root)."
    )
    service_account: DnsLabel = Field(default="jenkins", description="The controller's; the only one Vault trusts.")
    builder_service_account: DnsLabel = Field(
        default="jenkins-builder", description="Build pods': the only one the ECR push role trusts."
    )
    deployer_service_account: DnsLabel = Field(
        default="jenkins-deployer", description="Deploy pods': may only get, list and patch deployments."
    )
    deploy_namespaces: list[DnsLabel] = Field(
        default_factory=lambda: ["staging", "production"],
        min_length=1,
        description="Platform namespaces the deployer account may update deployments in, distinct; in production it "
        "may only read (production is released through the manifests repository and Argo CD).",
    )
    test_targets: list[CiTestTarget] = Field(
        default_factory=lambda: [CiTestTarget()],
        description='Services the "Integration Tests" stage may call from the agents\' namespace.',
    )
    controller: CiControllerSettings = CiControllerSettings()
    agents: CiAgentSettings = CiAgentSettings()
    vault: CiVaultSettings = CiVaultSettings()
    release: CiReleaseSettings = CiReleaseSettings()

    @property
    def namespaces(self) -> set[str]:
        """The namespaces CI creates: the controller's, the build agents' and the release agents'."""
        return {self.namespace, self.agents_namespace, self.release.namespace}

    def problems(self) -> Iterator[tuple[tuple[PathPart, ...], str]]:
        """(field path below ``ci``, reason) for each rule among these fields: three namespaces of
        their own (they get different pod security), integration tests against staging only, one
        service account per identity. The loader reports them all (``ci_problems``)."""
        if self.namespace == self.agents_namespace:
            yield ("agents_namespace",), "must differ from namespace (they get different pod security)"
        if self.release.namespace in {self.namespace, self.agents_namespace}:
            yield ("release", "namespace"), "release agents need a namespace of their own"
        for i, target in enumerate(self.test_targets):
            if target.namespace not in self.deploy_namespaces or target.namespace == "production":
                yield ("test_targets", i, "namespace"), "integration tests run against staging only"
        accounts = [
            self.service_account,
            self.builder_service_account,
            self.deployer_service_account,
            self.release.service_account,
        ]
        if len(set(accounts)) != len(accounts):
            yield ("builder_service_account",), "controller, builder and deployer need distinct accounts"

    @model_validator(mode="after")
    def _distinct(self, info: ValidationInfo) -> CiSettings:
        """Settings built in code are valid by construction, so the construct never re-checks them."""
        first = None if (info.context or {}).get(COLLECTED) else next(self.problems(), None)
        if first:
            raise FieldProblem(*first)
        return self

"""Typed models of ``platform.<region>.ci``: Jenkins for the application pipeline of spec §6.2.

The defaults are the production settings: the chart's controller with pinned plugins, a persistent
home on ``fast-ssd``, its admin credentials and notification webhook from Vault, build agents in a
namespace of their own, an image-push identity limited to the platform's registries and a deploy
identity limited to updating deployments in ``staging`` and ``production``. Cross-field rules (the
management pool must exist, Vault must run, the deploy namespaces must be the platform's) are in
:func:`ci_problems`, which :mod:`tonebridge.config.semantics` calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from tonebridge import versions
from tonebridge.config.errors import Problem
from tonebridge.config.platform_secrets import Severity
from tonebridge.config.types import StrictModel
from tonebridge.props.pools import MANAGEMENT_POOL
from tonebridge.props.types import ContainerResources, DnsLabel, Storage

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

_IMAGE = re.compile(r"^[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$")


def _pinned_image(value: str) -> str:
    if not _IMAGE.match(value) or value.endswith((":latest", ":dind")):
        raise ValueError(f"{value!r} must be <registry>/<repository>:<exact tag> (never latest)")
    return value


#: ``<registry>/<repository>:<tag>`` with an exact tag, registry named (no implicit docker.io).
PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
#: A plugin version as the update center publishes it (``5.10.0``, ``4423.vb_59f230b_ce53``).
PluginVersion = Annotated[str, Field(pattern=r"^[0-9][0-9A-Za-z._-]*$")]

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


class CiControllerConfig(StrictModel):
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
    plugins: dict[str, PluginVersion] = Field(default_factory=lambda: dict(PINNED_PLUGINS), min_length=1)
    config_reload_image: PinnedImage = versions.image("docker.io/kiwigrid/k8s-sidecar")


class CiAgentConfig(StrictModel):
    """The build agents' pod template (spec §6.2's pod, without the privileged docker:dind)."""

    inbound_image: PinnedImage = versions.image("docker.io/jenkins/inbound-agent")
    kaniko_image: PinnedImage = Field(
        default=versions.image("ghcr.io/osscontainertools/kaniko"),
        description="The maintained fork of kaniko (Google archived the original in June 2025); the -debug "
        "variant carries the busybox shell that Jenkins' container steps need.",
    )
    kubectl_image: PinnedImage = versions.image("docker.io/alpine/k8s")
    trivy_image: PinnedImage = versions.image("docker.io/aquasec/trivy")
    crane_image: PinnedImage = Field(
        default=versions.image("gcr.io/go-containerregistry/crane/debug"),
        description="Pushes the image Kaniko built (a tarball) with the registry login: Kaniko itself builds "
        "without any credential, so a Dockerfile RUN step never sees one. The debug variant has the shell "
        "Jenkins' container steps need.",
    )
    severities: list[Severity] = Field(default_factory=lambda: ["HIGH", "CRITICAL"], min_length=1)
    max_agents: int = Field(default=10, ge=1, le=50, description="Agent pods at once (the kubernetes cloud's cap).")
    build_resources: ContainerResources = ContainerResources(
        cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="4Gi"
    )
    tool_resources: ContainerResources = ContainerResources(
        cpu_request="100m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi"
    )


class CiTestTargetConfig(StrictModel):
    """A service the integration-test stage calls directly (spec §6.2 "Integration Tests")."""

    namespace: DnsLabel = "staging"
    service: DnsLabel = Field(default="api-gateway", description="Pods labelled app=<service>.")
    port: int = Field(default=8080, ge=1, le=65535)


class CiVaultConfig(StrictModel):
    """Vault paths (KV v2 under ``mount``) the controller reads through the CSI driver, as role ``role``."""

    role: DnsLabel = "jenkins"
    mount: DnsLabel = "secret"
    admin_path: str = Field(default="jenkins/admin", pattern=r"^[a-z0-9][-a-z0-9/]*$")
    notifications_path: str = Field(default="jenkins/notifications", pattern=r"^[a-z0-9][-a-z0-9/]*$")
    manifests_path: str = Field(
        default="jenkins/manifests-repo",
        pattern=r"^[a-z0-9][-a-z0-9/]*$",
        description="Token that commits image tags to the manifests repository (production deploys).",
    )


_GROUP = r"^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$"


class CiReleaseConfig(StrictModel):
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
    source_url: str = Field(
        default="https://github.com/tonebridge/{service}.git",
        pattern=r"^https://[^\s{}]+\{service\}[^\s{}]*$",
        description="Each service's repository; {service} is replaced by the service name.",
    )
    max_agents: int = Field(
        default=2, ge=1, le=10, description="Release agent pods at once (the release job runs one build at a time)."
    )
    manifests_repository: str = Field(
        default="github.com/tonebridge/k8s-manifests.git", pattern=r"^[a-z0-9.-]+/[A-Za-z0-9._/-]+\.git$"
    )


class CiConfig(StrictModel):
    """Spec §6.2: Jenkins on the management tier with least-privilege build and deploy identities."""

    enabled: bool = False
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
    deploy_namespaces: list[DnsLabel] = Field(default_factory=lambda: ["staging", "production"], min_length=1)
    test_targets: list[CiTestTargetConfig] = Field(default_factory=lambda: [CiTestTargetConfig()])
    controller: CiControllerConfig = CiControllerConfig()
    agents: CiAgentConfig = CiAgentConfig()
    vault: CiVaultConfig = CiVaultConfig()
    release: CiReleaseConfig = CiReleaseConfig()


def ci_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Jenkins needs Vault, the management pool, its registry in this region, and real deploy targets."""
    selector = MANAGEMENT_POOL[0]
    for region, platform in cfg.platform.items():
        ci = platform.ci
        if not ci.enabled:
            continue
        base = ("platform", region, "ci")
        if region != cfg.aws.primary_region:
            yield Problem((*base, "enabled"), "the image-push role needs the registries, in aws.primary_region only")
        if not platform.secrets.enabled:
            yield Problem((*base, "enabled"), "the admin credentials come from Vault: platform secrets must be enabled")
        cluster = cfg.clusters.get(region)
        pools = [
            name
            for name, group in (cluster.node_groups.items() if cluster else ())
            if group.labels.items() >= selector.items() and group.subnet_tier == "management"
        ]
        if not pools:
            yield Problem(
                (*base, "enabled"),
                f"needs a node group labelled workload={selector['workload']} with subnet_tier management "
                "(spec §2.2: CI/CD runs on the management tier)",
            )
        names = {ci.namespace, ci.agents_namespace}
        if len(names) != 2:
            yield Problem((*base, "agents_namespace"), "must differ from namespace (they get different pod security)")
        if ci.release.namespace in names:
            yield Problem((*base, "release", "namespace"), "release agents need a namespace of their own")
        names.add(ci.release.namespace)
        for name in sorted(names & set(platform.namespaces)):
            yield Problem((*base, "namespace"), f"{name} is an application namespace; CI gets namespaces of its own")
        for i, name in enumerate(ci.deploy_namespaces):
            if name not in platform.namespaces:
                yield Problem((*base, "deploy_namespaces", i), f"{name} is not a namespace of platform.{region}")
        for i, target in enumerate(ci.test_targets):
            if target.namespace not in ci.deploy_namespaces or target.namespace == "production":
                yield Problem((*base, "test_targets", i, "namespace"), "integration tests run against staging only")
        accounts = [
            ci.service_account,
            ci.builder_service_account,
            ci.deployer_service_account,
            ci.release.service_account,
        ]
        if len(set(accounts)) != len(accounts):
            yield Problem((*base, "builder_service_account"), "controller, builder and deployer need distinct accounts")
        taken = {platform.secrets.application.role, platform.redis.password.role}
        if ci.vault.role in taken:
            yield Problem((*base, "vault", "role"), f"{ci.vault.role} is already another component's Vault role")
        if ci.controller.storage_class not in {"fast-ssd", "gp3"}:
            yield Problem((*base, "controller", "storage_class"), "must be a StorageClass the platform creates")

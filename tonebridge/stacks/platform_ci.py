"""CI/CD of the platform stack (spec §6.2): Jenkins on the management pool, from ``platform.<region>.ci``.

Called from :class:`tonebridge.stacks.platform.PlatformStack` after the secrets path exists
(the controller's credentials come from Vault through the CSI driver). The AWS side, the build
agents' image-push role, is in the infrastructure stack (``ci_image_push_role_arn``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tonebridge.config.platform import PlatformConfig
from tonebridge.config.platform_ci import CiConfig
from tonebridge.constructs.app_secrets import SecretObject
from tonebridge.constructs.jenkins import AgentImages, Jenkins, JenkinsProps, ReleasePath, TestTarget, VaultFiles
from tonebridge.props.pools import MANAGEMENT_POOL, pool_placement
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.stacks.platform import PlatformStack
    from tonebridge.stacks.platform_parts import Foundation, Secrets


def vault_objects(ci: CiConfig) -> list[SecretObject]:
    """The controller's files: admin user and password, the notification webhook, the manifests
    repository token (KV v2 paths)."""
    vault = ci.vault
    path = {name: f"{vault.mount}/data/{getattr(vault, name)}" for name in ("admin_path", "notifications_path")}
    return [
        SecretObject("admin-username", path["admin_path"], "username"),
        SecretObject("admin-password", path["admin_path"], "password"),
        SecretObject("notification-webhook", path["notifications_path"], "webhook-url"),
        SecretObject("manifests-repo-token", f"{vault.mount}/data/{vault.manifests_path}", "token"),
        # The release key that signs manifests commits (Argo CD verifies it): same path, its own key.
        SecretObject("manifests-signing-key", f"{vault.mount}/data/{vault.manifests_path}", "signing-key"),
    ]


def ci_vault_role(platform: PlatformConfig) -> VaultRole | None:
    """The Vault role of the Jenkins controller for the bootstrap ConfigMap: bound to its service
    account only, reading exactly its paths (None when CI is off)."""
    ci = platform.ci
    if not ci.enabled:
        return None
    return VaultRole(
        role=ci.vault.role,
        service_account=ci.service_account,
        namespace=ci.namespace,
        paths=tuple(sorted({o.secret_path for o in vault_objects(ci)})),
        subject="Jenkins' admin credentials, notification webhook and manifests token",
    )


def add_ci(stack: PlatformStack, base: Foundation, secrets: Secrets | None) -> Jenkins | None:
    """Jenkins where ``platform.<region>.ci`` enables it (the configuration's rules guarantee the
    management pool, Vault and the push role; these checks are the last guard)."""
    ci = stack.config.ci
    if not ci.enabled:
        return None
    push_role, registries = stack.infra.ci_image_push, stack.infra.registries
    release_role = stack.infra.ci_release_push
    if push_role is None or release_role is None or registries is None or secrets is None:
        raise ValueError(f"{stack.region}: Jenkins needs the image-push role, the registries and Vault")
    groups = stack.env.clusters[stack.region].node_groups.values()
    placement = pool_placement(MANAGEMENT_POOL, (group.labels for group in groups))
    if placement is None:
        raise ValueError(f"{stack.region}: Jenkins runs on the management pool, which this cluster lacks")
    node_selector, tolerations = placement
    vault, csi = secrets.vault, secrets.csi
    first_repository = next(iter(registries.repositories.values()))
    secrets = stack.config.secrets.application
    agents = ci.agents
    return Jenkins(
        stack,
        "jenkins",
        JenkinsProps(
            kubernetes_version=stack.kubernetes_version,
            controller_image_tag=ci.controller.image_tag,
            plugins=ci.controller.plugins,
            agents=AgentImages(
                inbound=agents.inbound_image,
                kaniko=agents.kaniko_image,
                kubectl=agents.kubectl_image,
                trivy=agents.trivy_image,
                crane=agents.crane_image,
                severities=agents.severities,
            ),
            builder_role_arn=push_role.arn,
            release=ReleasePath(
                role_arn=release_role.arn,
                services=stack.env.registries.services,
                approvers=ci.release.approvers,
                folder=ci.release.folder,
                namespace=ci.release.namespace,
                service_account=ci.release.service_account,
                cloud=ci.release.cloud,
                branch=ci.release.branch,
                source_url=ci.release.source_url,
                manifests_repository=ci.release.manifests_repository,
                max_agents=ci.release.max_agents,
            ),
            deploy_namespaces=ci.deploy_namespaces,
            test_targets=[TestTarget(t.namespace, t.service, t.port) for t in ci.test_targets],
            vault=VaultFiles(
                vault_address=vault.address,
                ca_cert_path=csi.ca_cert_path,
                role=ci.vault.role,
                objects=vault_objects(ci),
                auth_mount=secrets.auth_mount,
                audience=secrets.audience,
            ),
            # The account's private registry host (a plain reference: no quotes inside chart values).
            registry=f"{first_repository.registry_id}.dkr.ecr.{stack.region}.amazonaws.com",
            config_reload_image=ci.controller.config_reload_image,
            namespace=ci.namespace,
            agents_namespace=ci.agents_namespace,
            service_account=ci.service_account,
            builder_service_account=ci.builder_service_account,
            deployer_service_account=ci.deployer_service_account,
            storage=ci.controller.storage,
            storage_class=ci.controller.storage_class,
            resources=ci.controller.resources.manifest(),
            build_resources=agents.build_resources.manifest(),
            tool_resources=agents.tool_resources.manifest(),
            max_agents=agents.max_agents,
            node_selector=node_selector,
            tolerations=tolerations,
        ),
        depends_on=[csi.driver, vault.certificates, *base.storage_class_objects([ci.controller.storage_class])],
        deploy_depends_on=base.namespace_objects(ci.deploy_namespaces),
    )

"""CI/CD (spec §6.2): Jenkins on the management pool, and the AWS side its agents push images with.

Two halves in two stacks. :func:`add_ci_push_roles` (infrastructure stack) makes the image-push roles,
each trusted by one service account only: the build agents' pushes to the staging repositories, the
release agents' (a main-only job in the production folder, after approval) to the production
repositories (spec §5.1). :func:`add_ci` (platform stack, after the secrets path: the controller's
credentials come from Vault through the CSI driver) makes Jenkins, whose two service accounts carry
those roles. :func:`ci_vault_role` is the controller's Vault role for the Vault bootstrap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from constructs import Construct

from tonebridge.constructs.ci_registry import ImagePushRole, ImagePushRoleProps
from tonebridge.constructs.jenkins import Jenkins, JenkinsProps, VaultAccess, vault_objects
from tonebridge.props.ci import CiSettings
from tonebridge.props.pools import MANAGEMENT_POOL, pool_placement
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.constructs.cluster import TonebridgeCluster
    from tonebridge.constructs.registries import ContainerRegistries
    from tonebridge.features.foundation import Foundation
    from tonebridge.features.secrets import Secrets


class RegistryNames(Protocol):
    """The registries' settings the push roles need (``registries`` of the environment)."""

    production_prefix: str
    staging_prefix: str
    services: Sequence[str]


class VaultLogin(Protocol):
    """How workloads log in to Vault (``platform.<region>.secrets.application``)."""

    auth_mount: str
    audience: str


@dataclass(frozen=True)
class CiPushRoles:
    """The AWS side of CI in a region: ``builder`` pushes to the staging repositories (build agents),
    ``release`` to the production repositories (release agents); ``registry`` is the account's ECR
    host; ``services`` the services whose images the release job may release."""

    builder: ImagePushRole
    release: ImagePushRole
    registry: str
    services: tuple[str, ...]


def add_ci_push_roles(
    scope: Construct,
    settings: CiSettings,
    registries: ContainerRegistries | None,
    names: RegistryNames,
    cluster: TonebridgeCluster,
    cluster_name: str,
    region: str,
) -> CiPushRoles | None:
    """The image-push roles of the pipeline (None where CI is off or the region has no registries),
    named ``<cluster_name>-ci-image-push`` and ``<cluster_name>-ci-release-push``, trusted through
    ``cluster``'s IRSA provider."""
    if not settings.enabled or registries is None:
        return None
    arns = registries.repository_arns
    roles = {
        "ci-image-push": (settings.agents_namespace, settings.builder_service_account, names.staging_prefix),
        "ci-release-push": (settings.release.namespace, settings.release.service_account, names.production_prefix),
    }
    builder, release = (
        ImagePushRole(
            scope,
            role_id,
            ImagePushRoleProps(
                f"{cluster_name}-{role_id}",
                cluster.irsa,
                namespace,
                account,
                [arn for name, arn in arns.items() if name.startswith(f"{prefix}/")],
            ),
        )
        for role_id, (namespace, account, prefix) in roles.items()
    )
    first_repository = next(iter(registries.repositories.values()))
    # The account's private registry host (a plain reference: no quotes inside chart values).
    registry = f"{first_repository.registry_id}.dkr.ecr.{region}.amazonaws.com"
    return CiPushRoles(builder, release, registry, tuple(names.services))


def ci_vault_role(settings: CiSettings) -> VaultRole | None:
    """The Vault role of the Jenkins controller for the bootstrap ConfigMap: bound to its service
    account only, reading exactly its paths (None when CI is off)."""
    if not settings.enabled:
        return None
    return VaultRole(
        role=settings.vault.role,
        service_account=settings.service_account,
        namespace=settings.namespace,
        paths=tuple(sorted({o.secret_path for o in vault_objects(settings)})),
        subject="Jenkins' admin credentials, notification webhook and manifests token",
    )


def add_ci(
    scope: Construct,
    settings: CiSettings,
    push: CiPushRoles | None,
    base: Foundation,
    secrets: Secrets | None,
    vault_login: VaultLogin,
    node_labels: Iterable[Mapping[str, str]],
    kubernetes_version: str,
) -> Jenkins | None:
    """Jenkins where ``platform.<region>.ci`` enables it, on the management pool among the node
    groups' ``node_labels``, for a cluster of ``kubernetes_version`` (the configuration's rules
    guarantee the management pool, Vault and the push roles; these checks are the last guard)."""
    if not settings.enabled:
        return None
    if push is None or secrets is None:
        raise ValueError("Jenkins needs the image-push roles, the registries and Vault")
    placement = pool_placement(MANAGEMENT_POOL, node_labels)
    if placement is None:
        raise ValueError("Jenkins runs on the management pool, which this cluster lacks")
    node_selector, tolerations = placement
    vault, csi = secrets.vault, secrets.csi
    return Jenkins(
        scope,
        "jenkins",
        JenkinsProps(
            settings,
            kubernetes_version,
            push.builder.arn,
            push.release.arn,
            push.services,
            VaultAccess(vault.address, csi.ca_cert_path, vault_login.auth_mount, vault_login.audience),
            push.registry,
            node_selector,
            tolerations,
        ),
        depends_on=[csi.driver, vault.certificates, *base.storage_class_objects([settings.controller.storage_class])],
        deploy_depends_on=base.namespace_objects(settings.deploy_namespaces),
    )

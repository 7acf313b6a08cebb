"""``platform.<region>.ci``: Jenkins for the application pipeline of spec §6.2.

The settings models are :mod:`tonebridge.props.ci` (the schema the Jenkins feature takes); they are
re-exported here under their configuration names. The rules that need the rest of the environment (the
management pool must exist, Vault must run, the deploy namespaces must be the platform's) are in
:func:`ci_problems`, which :mod:`tonebridge.config.semantics` calls; the settings' own rules are
:meth:`~tonebridge.props.ci.CiSettings.problems`, reported from here with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tonebridge.config.errors import Problem
from tonebridge.props.ci import PINNED_PLUGINS as PINNED_PLUGINS
from tonebridge.props.ci import CiAgentSettings as CiAgentConfig
from tonebridge.props.ci import CiControllerSettings as CiControllerConfig
from tonebridge.props.ci import CiReleaseSettings as CiReleaseConfig
from tonebridge.props.ci import CiSettings as CiConfig
from tonebridge.props.ci import CiTestTarget as CiTestTargetConfig
from tonebridge.props.ci import CiVaultSettings as CiVaultConfig
from tonebridge.props.ci import PinnedImage as PinnedImage
from tonebridge.props.ci import PluginVersion as PluginVersion
from tonebridge.props.pools import MANAGEMENT_POOL

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

__all__ = [
    "PINNED_PLUGINS",
    "CiAgentConfig",
    "CiConfig",
    "CiControllerConfig",
    "CiReleaseConfig",
    "CiTestTargetConfig",
    "CiVaultConfig",
    "PinnedImage",
    "PluginVersion",
    "ci_problems",
]


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
        for path, reason in ci.problems():
            yield Problem((*base, *path), reason)
        for name in sorted(ci.namespaces & set(platform.namespaces)):
            yield Problem((*base, "namespace"), f"{name} is an application namespace; CI gets namespaces of its own")
        for i, name in enumerate(ci.deploy_namespaces):
            if name not in platform.namespaces:
                yield Problem((*base, "deploy_namespaces", i), f"{name} is not a namespace of platform.{region}")
        taken = {platform.secrets.application.role, platform.redis.password.role}
        if ci.vault.role in taken:
            yield Problem((*base, "vault", "role"), f"{ci.vault.role} is already another component's Vault role")
        if ci.controller.storage_class not in {"fast-ssd", "gp3"}:
            yield Problem((*base, "controller", "storage_class"), "must be a StorageClass the platform creates")

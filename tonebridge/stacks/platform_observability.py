"""The platform stack's observability (spec §7.1-§7.3): what the stack resolves for
:func:`tonebridge.features.observability.add_observability` (the cluster's version, node groups and
node range, the namespaces that deny by default), and the Vault side given to Vault's bootstrap
(:func:`observability_vault_role`, :func:`vault_namespaces`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tonebridge.config.platform import PlatformConfig
from tonebridge.constructs.observability import MonitoredCluster, ObservabilityStack
from tonebridge.features import observability
from tonebridge.props.vault import VaultRole

if TYPE_CHECKING:
    from tonebridge.features.foundation import Foundation
    from tonebridge.features.mesh import Mesh
    from tonebridge.features.secrets import Secrets
    from tonebridge.stacks.platform import PlatformStack


def observability_vault_role(platform: PlatformConfig) -> VaultRole | None:
    """The monitoring namespace's Vault role for the bootstrap: read-only on exactly its two secrets."""
    obs = platform.observability
    return obs.vault_grant() if obs.enabled else None


def vault_namespaces(platform: PlatformConfig) -> list[str]:
    """Namespaces that need Vault's CA bundle for the observability stack's VaultConnection."""
    obs = platform.observability
    return [obs.namespace] if obs.enabled else []


def add_observability(
    stack: PlatformStack, base: Foundation, mesh: Mesh, secrets: Secrets | None
) -> ObservabilityStack | None:
    """The region's observability stack (None where it is off), on this region's cluster."""
    cfg, region = stack.config, stack.region
    cluster = MonitoredCluster(
        stack.kubernetes_version,
        [group.labels for group in stack.env.clusters[region].node_groups.values()],
        str(stack.env.network[region].vpc_cidr),
        isolated_namespaces(cfg),
    )
    return observability.add_observability(
        stack, cfg.observability, cluster, base, mesh, secrets, cfg.secrets.application
    )


def isolated_namespaces(platform: PlatformConfig) -> list[str]:
    """Namespaces that deny ingress by default (spec §8.1): Prometheus needs a policy there."""
    return [name for name, ns in platform.namespaces.items() if ns.network_isolation is not None]

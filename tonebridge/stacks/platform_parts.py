"""What the platform stack's steps hand each other: small typed results, passed as arguments.

Each step of :class:`~tonebridge.stacks.platform.PlatformStack` receives what it needs and returns
what later steps need; none reads an attribute another step set on the stack, so the order of the
steps is visible in ``PlatformStack.__init__`` as data flow, not as side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# The foundation's and the mesh's results are their features'; kept importable here for the other steps.
from tonebridge.features.foundation import Foundation as Foundation
from tonebridge.features.mesh import Mesh as Mesh

if TYPE_CHECKING:
    from tonebridge.constructs.secrets_store import SecretsStoreCsi
    from tonebridge.constructs.vault import Vault
    from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator


@dataclass(frozen=True)
class Secrets:
    """Spec §8.2's secrets path of a region: Vault (grant roles with ``vault.grant``), the Vault Secrets
    Operator (VaultAuth/VaultStaticSecret) and the Secrets Store CSI driver (its CA path)."""

    vault: Vault
    operator: VaultSecretsOperator
    csi: SecretsStoreCsi

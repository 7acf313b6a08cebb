"""Vault's auto-unseal on AWS (spec §8.2): a customer key and the IRSA role of Vault's service account,
in the cluster's region."""

from __future__ import annotations

from constructs import Construct

from tonebridge.constructs.vault_aws import VaultUnseal, VaultUnsealProps
from tonebridge.features.network import RegionalNetwork


def add_vault_unseal(scope: Construct, service_account: str | None, network: RegionalNetwork) -> VaultUnseal | None:
    """The unseal key and role (id ``vault-unseal``, named after the cluster), trusted by
    ``service_account`` of the cluster's Vault; None without one (secrets off in this region)."""
    if service_account is None:
        return None
    props = VaultUnsealProps(network.cluster_name, network.cluster.irsa, service_account=service_account)
    return VaultUnseal(scope, "vault-unseal", props)

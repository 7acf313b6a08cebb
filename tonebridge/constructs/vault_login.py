"""How a namespace logs in to Vault through the Vault Secrets Operator, and the secrets VSO copies.

VSO only uses a service account of the requesting resource's namespace, so each consumer namespace
gets its own: a ServiceAccount (token never automounted: VSO requests short-lived tokens for it), a
VaultConnection over TLS with Vault's CA (a ``ca.crt`` secret of that namespace) and a VaultAuth
(kubernetes auth, the namespace's own Vault role, token audience). ``VaultStaticSecret`` objects then
name that VaultAuth. Shared by the Redis password (constructs/redis.py) and the monitoring
namespace's secrets (constructs/observability).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tonebridge.kubeapi import DNS_LABEL

#: The Vault Secrets Operator's API (the spec's vault.hashicorp.com/v1alpha1 never existed as a served API).
VSO_API_VERSION = "secrets.hashicorp.com/v1beta1"

_REFRESH = re.compile(r"^\d+[smh]$")


@dataclass(frozen=True)
class VaultLogin:
    """One namespace's login to Vault for VSO.

    :param namespace: the consumer namespace (created elsewhere).
    :param address: Vault's https URL.
    :param role: Vault kubernetes-auth role bound to ``service_account`` of ``namespace``.
    :param service_account: the identity VSO logs in with.
    :param name: prefix of the VaultConnection (``<name>``) and VaultAuth (``<name>-auth``).
    :param ca_secret: secret of ``namespace`` holding Vault's CA as ``ca.crt``.
    :param auth: the VaultAuth's name where it is not ``<name>-auth`` (the application's, as the spec names it).
    """

    namespace: str
    address: str
    role: str
    service_account: str
    name: str
    ca_secret: str = "vault-ca"  # noqa: S105 - a secret's name
    auth_mount: str = "kubernetes"
    audience: str = "vault"
    labels: Mapping[str, str] = field(default_factory=dict)
    auth: str = ""

    def __post_init__(self) -> None:
        if not self.address.startswith("https://"):
            raise ValueError(f"vault login {self.name}: address {self.address!r} must be https://")
        for label in (
            "namespace",
            "role",
            "service_account",
            "name",
            "ca_secret",
            "auth_mount",
            "audience",
            "auth_name",
        ):
            if not DNS_LABEL.match(getattr(self, label)):
                raise ValueError(f"vault login {self.name}: {label} {getattr(self, label)!r} is not a DNS label")

    @property
    def connection_name(self) -> str:
        return self.name

    @property
    def auth_name(self) -> str:
        return self.auth or f"{self.name}-auth"


def login_service_account(login: VaultLogin) -> dict[str, Any]:
    """The identity VSO logs in to Vault with for this namespace (tokens requested, never mounted)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": login.service_account, "namespace": login.namespace, "labels": dict(login.labels)},
        "automountServiceAccountToken": False,
    }


def login_objects(login: VaultLogin) -> list[dict[str, Any]]:
    """VaultConnection (TLS with Vault's CA) and VaultAuth of the namespace."""
    return [
        {
            "apiVersion": VSO_API_VERSION,
            "kind": "VaultConnection",
            "metadata": {"name": login.connection_name, "namespace": login.namespace},
            "spec": {"address": login.address, "caCertSecretRef": login.ca_secret, "skipTLSVerify": False},
        },
        {
            "apiVersion": VSO_API_VERSION,
            "kind": "VaultAuth",
            "metadata": {"name": login.auth_name, "namespace": login.namespace},
            "spec": {
                "vaultConnectionRef": login.connection_name,
                "method": "kubernetes",
                "mount": login.auth_mount,
                "kubernetes": {
                    "role": login.role,
                    "serviceAccount": login.service_account,
                    "audiences": [login.audience],
                },
            },
        },
    ]


def static_secret(
    login: VaultLogin,
    *,
    name: str,
    mount: str,
    path: str,
    refresh_after: str = "1h",
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A ``VaultStaticSecret``: VSO copies KV v2 ``<mount>/<path>`` into the secret ``name`` and keeps it in step."""
    if not _REFRESH.match(refresh_after):
        raise ValueError(f"vault secret {name}: refresh_after must look like 30s, 10m or 1h")
    if not mount or not path:
        raise ValueError(f"vault secret {name}: mount and path are required")
    return {
        "apiVersion": VSO_API_VERSION,
        "kind": "VaultStaticSecret",
        "metadata": {"name": name, "namespace": login.namespace},
        "spec": {
            "type": "kv-v2",
            "mount": mount,
            "path": path,
            "refreshAfter": refresh_after,
            "destination": {"name": name, "create": True, "labels": dict(labels or {})},
            "vaultAuthRef": login.auth_name,
        },
    }

"""AWS side of Vault's auto-unseal: a customer KMS key and the IRSA role Vault's pods use with it.

Vault seals its root key with this key (``seal "awskms"``), so pods restart and reschedule without
anyone typing unseal keys; the role may only encrypt, decrypt and describe with that one key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.irsa import IrsaProvider
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyUser

#: All that the awskms seal calls (Encrypt to wrap the root key, Decrypt to unseal, DescribeKey at start).
UNSEAL_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}$")


def unseal_policy(key_arn: str) -> dict:
    """Identity policy of the unseal role: the three seal actions on one key, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "VaultAutoUnseal", "Effect": "Allow", "Action": list(UNSEAL_ACTIONS), "Resource": key_arn}
        ],
    }


@dataclass(frozen=True)
class VaultUnsealProps:
    """Props of :class:`VaultUnseal`.

    name: prefix of the key alias and role name, e.g. the cluster name (required; ≤ 39 characters so
        that ``<name>-vault-unseal`` fits IAM's 64).
    irsa: the cluster's IRSA provider (required).
    namespace, service_account: Vault's service account (default ``vault``/``vault``).
    """

    name: str
    irsa: IrsaProvider
    namespace: str = "vault"
    service_account: str = "vault"

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"name {self.name!r} must be 1-39 lowercase letters, digits and '-'")


class VaultUnseal(Construct):
    """Attributes: ``key`` (EncryptionKey), ``key_arn``, ``role`` (ServiceAccountRole), ``role_arn``."""

    def __init__(self, scope: Construct, id_: str, props: VaultUnsealProps) -> None:
        super().__init__(scope, id_)
        name = f"{props.name}-vault-unseal"  # the key's alias and the role's name
        key = EncryptionKeyProps(alias=name, description=f"Vault auto-unseal, {props.name}")
        self.key = EncryptionKey(self, "key", key)
        policy = unseal_policy(self.key.arn)
        self.role = props.irsa.role(self, "role", name, props.namespace, props.service_account, policy=policy)
        # Vault calls KMS directly (no AWS service in between), so no kms:ViaService here.
        self.key.allow_use(KeyUser(arn=self.role.arn, actions=UNSEAL_ACTIONS))
        self.key_arn: str = self.key.arn
        self.role_arn: str = self.role.arn

"""Customer-managed KMS keys with rotation and a key policy that names the services allowed to use them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext

#: What a principal needs to encrypt and decrypt with a key, without administering it.
KEY_USE_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


@dataclass(frozen=True)
class ServiceGrant:
    """Lets an AWS service principal use the key, limited to this account's resources.

    ``context_key``/``context_pattern``: optional ``kms:EncryptionContext`` condition (for example
    CloudWatch Logs' ``aws:logs:arn``) so that the service can use the key only for our resources.
    """

    principal: str
    actions: Sequence[str] = KEY_USE_ACTIONS
    context_key: str | None = None
    context_pattern: str | None = None


def logs_grant(region: str, log_group_prefix: str) -> ServiceGrant:
    """CloudWatch Logs of ``region`` may use the key, for log groups under ``log_group_prefix`` only."""
    return ServiceGrant(
        principal=f"logs.{region}.amazonaws.com",
        context_key="aws:logs:arn",
        context_pattern=f"arn:*:logs:{region}:*:log-group:{log_group_prefix}*",
    )


@dataclass(frozen=True)
class EncryptionKeyProps:
    """Props of :class:`EncryptionKey`.

    alias: name after ``alias/`` (required).
    description: shown in the console (required).
    service_grants: services that may use the key besides IAM principals of this account.
    role_grants: roles of this account, by path and name (for example the EC2 Auto Scaling service-linked
        role), that may use the key and create grants for AWS resources. A service-linked role has no
        identity policy for customer keys, so the key policy has to name it.
    deletion_window_in_days: waiting period before deletion (default 30, the AWS maximum).
    """

    alias: str
    description: str
    service_grants: Sequence[ServiceGrant] = field(default_factory=tuple)
    role_grants: Sequence[str] = field(default_factory=tuple)
    deletion_window_in_days: int = 30

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_in_days <= 30:
            raise ValueError("deletion_window_in_days must be between 7 and 30")
        if not self.alias or self.alias.startswith("alias/"):
            raise ValueError("alias is the name after 'alias/'")


class EncryptionKey(Construct):
    """A symmetric customer key with yearly rotation and an alias.

    The key policy delegates to IAM in this account (as AWS's default key policy does) and grants
    the listed services use of the key. Attributes: ``key`` (the aws_kms_key), ``arn``, ``alias_name``.
    """

    def __init__(self, scope: Construct, id_: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        aws = AwsContext.of(self)
        root = f"arn:{aws.partition}:iam::{aws.account_id}:root"
        statements: list[dict] = [
            {
                "Sid": "AccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        for grant in props.service_grants:
            statement: dict = {
                "Sid": "Service" + "".join(part.capitalize() for part in grant.principal.split(".")[0].split("-")),
                "Effect": "Allow",
                "Principal": {"Service": grant.principal},
                "Action": list(grant.actions),
                "Resource": "*",
            }
            if grant.context_key:
                statement["Condition"] = {
                    "ArnLike": {f"kms:EncryptionContext:{grant.context_key}": grant.context_pattern}
                }
            statements.append(statement)
        if props.role_grants:
            roles = [f"arn:{aws.partition}:iam::{aws.account_id}:role/{path}" for path in props.role_grants]
            statements.append(
                {
                    "Sid": "RolesUseKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": roles},
                    "Action": list(KEY_USE_ACTIONS),
                    "Resource": "*",
                }
            )
            statements.append(
                {
                    "Sid": "RolesGrantForAwsResources",
                    "Effect": "Allow",
                    "Principal": {"AWS": roles},
                    "Action": "kms:CreateGrant",
                    "Resource": "*",
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                }
            )
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_in_days,
            policy=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)
        self.arn: str = self.key.arn
        self.alias_name: str = self.alias.name

"""Customer-managed KMS keys with rotation and a key policy that names everyone who may touch them.

No statement trusts the account root: AWS's default key policy (``kms:*`` for ``:root``) delegates the
key to every IAM policy of the account, so any principal with broad KMS rights could decrypt. Here the
policy lists the administrators (the deploy identities, the configured key administrators, the
break-glass role), the users (roles by ARN, usually limited to one AWS service by ``kms:ViaService``)
and the service principals (each limited to this account by ``aws:SourceAccount`` and, where the
service sends it, ``aws:SourceArn`` or an encryption context). The deploy identities and the
break-glass role keep the key manageable, which is what AWS's lockout safety check asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext, stack_of
from tonebridge.constructs.trust import policy_document
from tonebridge.props.security import SecuritySettings

#: What a principal needs to encrypt and decrypt with a key, without administering it.
KEY_USE_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")

#: AWS's "key administrators" statement, without kms:Create* (no CreateGrant: an administrator who
#: could grant itself use of the key would be a user nobody named) and with CreateAlias spelled out.
KEY_ADMIN_ACTIONS = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)

#: What the deploy identity needs to attach a key to the resources it creates (EKS, RDS, DynamoDB,
#: ECR, launch templates): AWS services act through grants the caller creates.
ATTACH_ACTIONS = ("kms:CreateGrant",)

_CONTEXT_ID = "key-access"
_ATTRIBUTE = "_tonebridge_key_access"


class KeyAccess(Construct):
    """The principals every key of a stack names, from the ``security`` settings: ``deployers``
    (administer, attach to AWS resources, and use the keys that say so), ``administrators`` (administer
    only) and ``break_glass`` (administer and use). Principals are IAM names in the stack's account
    (``role/<name>``, ``user/<name>``); the settings model requires a deployer (AWS's lockout check)
    and a break-glass role. Registered once per stack with :meth:`register`; every
    :class:`EncryptionKey` reads it."""

    def __init__(self, scope: Construct, id_: str, settings: SecuritySettings) -> None:
        super().__init__(scope, id_)
        self.deployers = tuple(settings.deploy_principals)
        self.administrators = tuple(settings.key_administrators)
        self.break_glass = settings.break_glass_role

    def arns(self, names: Sequence[str]) -> list[str]:
        aws = AwsContext.of(self)
        return [f"arn:{aws.partition}:iam::{aws.account_id}:{name}" for name in names]

    @property
    def deployer_arns(self) -> list[str]:
        return self.arns(self.deployers)

    @property
    def break_glass_arn(self) -> str:
        return self.arns([self.break_glass])[0]

    @classmethod
    def register(cls, stack: TerraformStack, settings: SecuritySettings) -> KeyAccess:
        access = cls(stack, _CONTEXT_ID, settings)
        setattr(stack, _ATTRIBUTE, access)  # found again without a jsii round-trip (KeyAccess.of)
        return access

    @classmethod
    def of(cls, scope: Construct) -> KeyAccess:
        """The stack's registered principals; a key in a stack that registered none is refused."""
        found = getattr(stack_of(scope), _ATTRIBUTE, None)
        if not isinstance(found, cls):
            raise ValueError(
                f"{scope.node.path}: no KeyAccess registered in this stack; keys must name their administrators"
            )
        return found


@dataclass(frozen=True)
class KeyUser:
    """An IAM role (by ARN) that may use the key.

    via_service: the AWS service endpoint (``s3.us-west-2.amazonaws.com``) the role must go through
        (``kms:ViaService``); None lets the role call KMS directly (Vault's auto-unseal does).
    actions: what it may do (default :data:`KEY_USE_ACTIONS`).
    grants_for_aws_resources: may also create grants for AWS resources (EBS volumes, for example).
    created_later: the role is created by a stack deployed after this one (KMS refuses a key policy
        whose principal does not exist yet), so the statement names it by ``aws:PrincipalArn`` under
        principal ``*`` instead: still that one role of this account, and nobody else.
    """

    arn: str
    via_service: str | None = None
    actions: Sequence[str] = KEY_USE_ACTIONS
    grants_for_aws_resources: bool = False
    created_later: bool = False


@dataclass(frozen=True)
class ServiceGrant:
    """Lets an AWS service principal use the key, limited to this account's resources.

    ``context_key``/``context_pattern``: optional ``kms:EncryptionContext`` condition (for example
    CloudWatch Logs' ``aws:logs:arn``) so that the service can use the key only for our resources.
    ``{account}`` in ``context_pattern`` or ``source_arn`` becomes the stack's account id.
    ``source_arn``: pattern of the resources on whose behalf the service calls (``aws:SourceArn``).
    Every grant carries ``aws:SourceAccount`` (this account) unless ``source_account`` is False, for
    the services that send an encryption context but no source keys (CloudWatch Logs).
    """

    principal: str
    actions: Sequence[str] = KEY_USE_ACTIONS
    context_key: str | None = None
    context_pattern: str | None = None
    source_arn: str | None = None
    source_account: bool = True


def logs_grant(region: str, log_group_prefix: str) -> ServiceGrant:
    """CloudWatch Logs of ``region`` may use the key, for this account's log groups under
    ``log_group_prefix`` only (the encryption context names the log group, account included).
    CloudWatch Logs sends no ``aws:SourceAccount`` to KMS, so the context is the condition."""
    return ServiceGrant(
        principal=f"logs.{region}.amazonaws.com",
        context_key="aws:logs:arn",
        context_pattern=f"arn:*:logs:{region}:{{account}}:log-group:{log_group_prefix}*",
        source_account=False,
    )


@dataclass(frozen=True)
class EncryptionKeyProps:
    """Props of :class:`EncryptionKey`.

    alias: name after ``alias/`` (required).
    description: shown in the console (required).
    service_grants: AWS services that may use the key (each with source conditions).
    users: IAM roles that may use the key (:class:`KeyUser`); more can be added with
        :meth:`EncryptionKey.allow_use`.
    role_grants: roles of this account, by path and name (for example the EC2 Auto Scaling service-linked
        role), that may use the key and create grants for AWS resources. A service-linked role has no
        identity policy for customer keys, so the key policy has to name it.
    deployers_use: the deploy identities also encrypt and decrypt with the key (the state key, whose
        objects Terraform reads; the database key, whose managed secret RDS creates as the caller).
    deployers_via_service: the deploy identities use the key only through this service endpoint
        (``ec2.<region>.amazonaws.com``: launching an instance with an encrypted volume needs the
        caller's use of the key); default None.
    deletion_window_in_days: waiting period before deletion (default 30, the AWS maximum).
    """

    alias: str
    description: str
    service_grants: Sequence[ServiceGrant] = field(default_factory=tuple)
    users: Sequence[KeyUser] = field(default_factory=tuple)
    role_grants: Sequence[str] = field(default_factory=tuple)
    deployers_use: bool = False
    deployers_via_service: str | None = None
    deletion_window_in_days: int = 30

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_in_days <= 30:
            raise ValueError("deletion_window_in_days must be between 7 and 30")
        if not self.alias or self.alias.startswith("alias/"):
            raise ValueError("alias is the name after 'alias/'")


def _sid(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace(".", "-").split("-") if part)


class EncryptionKey(Construct):
    """A symmetric customer key with yearly rotation, an alias and a key policy that names its
    administrators, users and services (module docstring). Attributes: ``key`` (the aws_kms_key),
    ``arn``, ``alias_name``. :meth:`allow_use` adds a user after construction (one line per user)."""

    def __init__(self, scope: Construct, id_: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._aws = AwsContext.of(self)
        self._access = KeyAccess.of(self)
        self._users: list[KeyUser] = list(props.users)
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_in_days,
            policy=self._policy(),
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)
        self.arn: str = self.key.arn
        self.alias_name: str = self.alias.name

    def allow_use(self, user: KeyUser) -> None:
        """Name one more role that may use the key (for example a new backup job's role)."""
        self._users.append(user)
        self.key.policy = self._policy()

    @property
    def user_arns(self) -> list[str]:
        """The roles named as users (tests and the bucket policies read them)."""
        return [user.arn for user in self._users]

    def _policy(self) -> str:
        props, aws, access = self.props, self._aws, self._access
        account = aws.account_id
        admins = [*access.deployer_arns, *access.arns(access.administrators), access.break_glass_arn]
        statements: list[dict] = [
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": admins},
                "Action": list(KEY_ADMIN_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "DeployersAttachToAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": access.deployer_arns},
                "Action": list(ATTACH_ACTIONS),
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Sid": "DeployersDescribe",
                "Effect": "Allow",
                "Principal": {"AWS": access.deployer_arns},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
        ]
        users = [access.break_glass_arn, *(access.deployer_arns if props.deployers_use else [])]
        statements.append(
            {
                "Sid": "BreakGlassUse" if not props.deployers_use else "DeployersAndBreakGlassUse",
                "Effect": "Allow",
                "Principal": {"AWS": users},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            }
        )
        if props.deployers_via_service:
            statements.append(
                {
                    "Sid": "DeployersUseThroughService",
                    "Effect": "Allow",
                    "Principal": {"AWS": access.deployer_arns},
                    "Action": list(KEY_USE_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:ViaService": props.deployers_via_service, "kms:CallerAccount": account}
                    },
                }
            )
        for grant in props.service_grants:
            statement: dict = {
                "Sid": "Service" + _sid(grant.principal.split(".")[0]),
                "Effect": "Allow",
                "Principal": {"Service": grant.principal},
                "Action": list(grant.actions),
                "Resource": "*",
            }
            condition: dict = {}
            if grant.source_account:
                condition["StringEquals"] = {"aws:SourceAccount": account}
            if grant.source_arn:
                condition["ArnLike"] = {"aws:SourceArn": grant.source_arn.replace("{account}", account)}
            if grant.context_key:
                condition.setdefault("ArnLike", {})[f"kms:EncryptionContext:{grant.context_key}"] = (
                    grant.context_pattern or ""
                ).replace("{account}", account)
            if not condition:
                raise ValueError(f"{self.node.path}: service {grant.principal} needs a source or context condition")
            statement["Condition"] = condition
            statements.append(statement)
        for index, user in enumerate(self._users):
            statement = {
                "Sid": f"User{index}",
                "Effect": "Allow",
                "Principal": {"AWS": "*" if user.created_later else user.arn},
                "Action": list(user.actions),
                "Resource": "*",
            }
            condition = {}
            if user.via_service:
                condition["StringEquals"] = {"kms:ViaService": user.via_service, "kms:CallerAccount": account}
            if user.created_later:
                condition.setdefault("StringEquals", {})["kms:CallerAccount"] = account
                condition["ArnEquals"] = {"aws:PrincipalArn": user.arn}
            if condition:
                statement["Condition"] = condition
            statements.append(statement)
            if user.grants_for_aws_resources:
                statements.append(
                    {
                        "Sid": f"User{index}GrantsForAwsResources",
                        "Effect": "Allow",
                        "Principal": {"AWS": user.arn},
                        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                        "Resource": "*",
                        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    }
                )
        if props.role_grants:
            roles = [f"arn:{aws.partition}:iam::{account}:role/{path}" for path in props.role_grants]
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
        return policy_document(*statements)

"""Who may administer the environment's keys and reach its state and backups (the `security` section):
:class:`~tonebridge.constructs.kms.KeyAccess` takes this model, the section itself. Cdktf-free (rules layer).

Key policies and the state and backups bucket policies name principals instead of trusting the
whole account: Terraform's own deploy identity (it creates and changes the keys and buckets, and
reads and writes state), the people who administer keys, and one break-glass role. Principals are
written as IAM names inside the environment's account (``role/<name>``, ``role/<path>/<name>`` or
``user/<name>``), because the account id is only known at plan time; the stacks build the ARNs.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from tonebridge.props.types import StrictModel

_PRINCIPAL_RE = re.compile(r"^(role|user)(/[\w+=,.@-]+){1,8}$")


def _principal(value: str) -> str:
    if not _PRINCIPAL_RE.match(value) or len(value.rsplit("/", 1)[-1]) > 64:
        raise ValueError("an IAM principal of this account: 'role/<name>', 'role/<path>/<name>' or 'user/<name>'")
    return value


def _role(value: str) -> str:
    if not value.startswith("role/"):
        raise ValueError("must be a role (assumed with MFA), not a user")
    return value


#: An IAM role or user of the environment's account, by its name (with path), e.g. ``role/tonebridge-terraform``.
IamPrincipalName = Annotated[str, AfterValidator(_principal)]
IamRoleName = Annotated[str, AfterValidator(_principal), AfterValidator(_role)]


class SecuritySettings(StrictModel):
    """The principals that key and bucket policies name (besides the services and roles that use them)."""

    deploy_principals: list[IamPrincipalName] = Field(
        min_length=1,
        description="The identities Terraform runs as (CI's deploy role, an operator's role). They administer "
        "every key, attach keys to AWS resources (grants) and read and write the state; AWS refuses a key "
        "policy that would lock its creator out.",
    )
    key_administrators: list[IamPrincipalName] = Field(
        default_factory=list,
        description="People's roles that administer keys (rotate, disable, schedule deletion) without using them.",
    )
    break_glass_role: IamRoleName = Field(
        description="The emergency role: administers and uses every key, may read the state and backups, and is "
        "the only principal allowed to bypass governance retention. Keep it behind MFA and alarms."
    )

    @model_validator(mode="after")
    def _distinct(self) -> SecuritySettings:
        named = [*self.deploy_principals, *self.key_administrators]
        if len(set(named)) != len(named):
            raise ValueError("deploy_principals and key_administrators name a principal twice")
        return self

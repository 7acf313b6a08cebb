"""Trust policies for roles that AWS services assume, the roles themselves, and their inline policies."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct


def service_trust(service: str, source_account: str | None = None, *, tag_session: bool = False) -> str:
    """Trust policy for an AWS service; with ``source_account``, only on behalf of that account
    (confused-deputy guard, for services that send aws:SourceAccount). ``tag_session`` adds
    ``sts:TagSession`` for services that pass session tags (EKS)."""
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole",
    }
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy_document(*statements: dict) -> str:
    """An IAM policy document (version 2012-10-17) of ``statements``, in their order."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_role(
    scope: Construct,
    construct_id: str,
    name: str,
    service: str,
    source_account: str | None = None,
    *,
    tag_session: bool = False,
    description: str | None = None,
) -> IamRole:
    """The role ``name`` that only ``service`` may assume (see :func:`service_trust`)."""
    return IamRole(
        scope,
        construct_id,
        name=name,
        description=description,
        assume_role_policy=service_trust(service, source_account, tag_session=tag_session),
    )


def inline_policy(scope: Construct, construct_id: str, role: IamRole, name: str, *statements: dict) -> IamRolePolicy:
    """``role``'s inline policy ``name``: exactly ``statements``."""
    return IamRolePolicy(scope, construct_id, role=role.id, name=name, policy=policy_document(*statements))

"""IAM roles for Kubernetes service accounts (IRSA): one role, one service account, least privilege."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from tonebridge.kubeapi import DNS_LABEL

_SA_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class ServiceAccountRoleProps:
    """Props of :class:`ServiceAccountRole`.

    role_name: IAM role name (required, at most 64 characters).
    oidc_provider_arn: the cluster's IAM OIDC provider (required).
    oidc_issuer: the issuer without ``https://``, e.g. ``oidc.eks.us-west-2.amazonaws.com/id/ABC`` (required).
    namespace, service_account: the one Kubernetes service account that may assume the role (required).
    policy: an inline policy document (dict), or None.
    managed_policy_arns: AWS-managed policies to attach (default none).
    """

    role_name: str
    oidc_provider_arn: str
    oidc_issuer: str
    namespace: str
    service_account: str
    policy: dict | None = None
    managed_policy_arns: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.namespace):
            raise ValueError(f"{self.role_name}: namespace {self.namespace!r} is not a Kubernetes namespace name")
        if not _SA_NAME_RE.match(self.service_account):
            raise ValueError(f"{self.role_name}: {self.service_account!r} is not a service account name")
        if not 1 <= len(self.role_name) <= 64:
            raise ValueError(f"role name {self.role_name!r} must be 1-64 characters")
        if self.policy is None and not self.managed_policy_arns:
            raise ValueError(f"{self.role_name}: a role without any permission is a mistake; give policy or arns")

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


def web_identity_trust(oidc_provider_arn: str, oidc_issuer: str, subject: str) -> str:
    """Trust policy letting exactly one service account of one cluster assume a role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{oidc_issuer}:sub": subject, f"{oidc_issuer}:aud": "sts.amazonaws.com"}
                    },
                }
            ],
        }
    )


class ServiceAccountRole(Construct):
    """An IAM role only ``system:serviceaccount:<namespace>:<name>`` can assume (StringEquals on
    ``sub`` and ``aud``, never StringLike), carrying only the permissions passed in.

    Attributes: ``role``, ``arn``, ``name``, ``subject``.
    """

    def __init__(self, scope: Construct, id_: str, props: ServiceAccountRoleProps) -> None:
        super().__init__(scope, id_)
        self.subject = props.subject
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=f"IRSA: {props.subject}",
            assume_role_policy=web_identity_trust(props.oidc_provider_arn, props.oidc_issuer, props.subject),
            max_session_duration=3600,
        )
        if props.policy is not None:
            IamRolePolicy(self, "policy", role=self.role.id, name="least-privilege", policy=json.dumps(props.policy))
        for i, arn in enumerate(props.managed_policy_arns):
            IamRolePolicyAttachment(self, f"managed-{i}", role=self.role.name, policy_arn=arn)
        self.arn: str = self.role.arn
        self.name: str = self.role.name


class ServiceAccountTrust(Protocol):
    """What a feature's props say about the role it needs: its name and the cluster and namespace that
    may assume it (the fields every IRSA feature's props carry under these names)."""

    role_name: str
    oidc_provider_arn: str
    oidc_issuer: str
    namespace: str


def service_account_role(
    scope: Construct,
    construct_id: str,
    trust: ServiceAccountTrust,
    *,
    service_account: str,
    policy: dict | None = None,
    managed_policy_arns: Sequence[str] = (),
) -> ServiceAccountRole:
    """A :class:`ServiceAccountRole` for ``trust``'s cluster and namespace, trusting ``service_account``
    only and carrying only ``policy`` / ``managed_policy_arns``: the one way a feature turns its props
    into its role, so the trust fields are copied in one place."""
    return ServiceAccountRole(
        scope,
        construct_id,
        ServiceAccountRoleProps(
            role_name=trust.role_name,
            oidc_provider_arn=trust.oidc_provider_arn,
            oidc_issuer=trust.oidc_issuer,
            namespace=trust.namespace,
            service_account=service_account,
            policy=policy,
            managed_policy_arns=tuple(managed_policy_arns),
        ),
    )

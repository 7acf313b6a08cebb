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
class IrsaProvider:
    """A cluster's IRSA provider, the one value every IRSA role's trust needs: ``arn``, the cluster's
    IAM OIDC provider, and ``issuer``, its issuer without ``https://``, e.g.
    ``oidc.eks.us-west-2.amazonaws.com/id/ABC`` (the prefix of the ``sub`` and ``aud`` claims)."""

    arn: str
    issuer: str

    def trust(self, subject: str) -> str:
        """Trust policy letting exactly ``subject`` (one service account) of this cluster assume a role."""
        return web_identity_trust(self.arn, self.issuer, sub=subject, aud="sts.amazonaws.com")

    def role(
        self,
        scope: Construct,
        construct_id: str,
        role_name: str,
        namespace: str,
        service_account: str,
        *,
        policy: dict | None = None,
        managed_policy_arns: Sequence[str] = (),
    ) -> ServiceAccountRole:
        """The :class:`ServiceAccountRole` ``role_name`` that only ``namespace``/``service_account`` of
        this cluster may assume, carrying only ``policy`` / ``managed_policy_arns``."""
        props = ServiceAccountRoleProps(role_name, self, namespace, service_account, policy, tuple(managed_policy_arns))
        return ServiceAccountRole(scope, construct_id, props)


class IrsaCluster(Protocol):
    """Anything that exposes a cluster's IRSA provider as ``irsa`` (:class:`TonebridgeCluster`)."""

    irsa: IrsaProvider


@dataclass(frozen=True)
class ServiceAccountRoleProps:
    """Props of :class:`ServiceAccountRole`.

    role_name: IAM role name (required, at most 64 characters).
    irsa: the cluster's IRSA provider (required).
    namespace, service_account: the one Kubernetes service account that may assume the role (required).
    policy: an inline policy document (dict), or None.
    managed_policy_arns: AWS-managed policies to attach (default none).
    """

    role_name: str
    irsa: IrsaProvider
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


def web_identity_trust(federated: str, issuer: str, **claims: str) -> str:
    """Trust policy for ``sts:AssumeRoleWithWebIdentity`` through the identity provider ``federated``,
    only with tokens whose ``claims`` (``sub``, ``aud`` ...) of ``issuer`` equal the values given (StringEquals,
    never StringLike): how a cluster's service account or another cloud's service agent gets one role."""
    condition = {f"{issuer}:{claim}": value for claim, value in claims.items()}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": federated},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": condition},
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
            assume_role_policy=props.irsa.trust(props.subject),
            max_session_duration=3600,
        )
        if props.policy is not None:
            IamRolePolicy(self, "policy", role=self.role.id, name="least-privilege", policy=json.dumps(props.policy))
        for i, arn in enumerate(props.managed_policy_arns):
            IamRolePolicyAttachment(self, f"managed-{i}", role=self.role.name, policy_arn=arn)
        self.arn: str = self.role.arn
        self.name: str = self.role.name


class ServiceAccountTrust(Protocol):
    """What a feature's props say about the role it needs: its name and the cluster (its IRSA provider)
    and namespace that may assume it (the fields every IRSA feature's props carry under these names)."""

    role_name: str
    irsa: IrsaProvider
    namespace: str


def service_account_role(
    scope: Construct, construct_id: str, trust: ServiceAccountTrust, service_account: str, policy: dict
) -> ServiceAccountRole:
    """A :class:`ServiceAccountRole` for ``trust``'s cluster and namespace, trusting ``service_account``
    only and carrying only ``policy``: the one way a feature turns its props into its role, so the
    trust fields are read in one place."""
    return trust.irsa.role(scope, construct_id, trust.role_name, trust.namespace, service_account, policy=policy)

"""AWS side of the build agents (spec §6.2 "Build and push"): the IRSA role their image builds push with.

Only the build pods' service account can assume it (``StringEquals`` on ``sub`` and ``aud``), and it
can push to, and read back from, exactly the repositories it is given (the production and staging
repositories of spec §5.1), nothing else:

* ``ecr:GetAuthorizationToken`` has no resource-level permissions in IAM, so it is the one action on
  ``*``; the token it returns is useless without the repository permissions below.
* Layer upload and ``PutImage`` push; ``BatchGetImage`` and ``GetDownloadUrlForLayer`` let Kaniko
  reuse layers already pushed and let Trivy pull the image it scans, from these repositories only.
* No KMS permission: ECR encrypts and decrypts repository contents with the customer key through
  the grant it created with the repository, not with the caller's identity.
* No ``ecr:BatchDeleteImage``, no repository or policy changes, no lifecycle changes: tags are
  immutable and the registry construct owns everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.irsa import IrsaProvider, service_account_role

#: Actions on the repositories: push (layer upload, manifest) and read back (layer reuse, scanning).
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


def image_push_policy(repository_arns: Sequence[str]) -> dict:
    """Identity policy of the push role: an ECR login token, and push/pull on exactly ``repository_arns``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            # GetAuthorizationToken supports no resource-level permissions (Resource must be "*").
            {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PushToPlatformRepositories",
                "Effect": "Allow",
                "Action": list(PUSH_ACTIONS),
                "Resource": list(repository_arns),
            },
        ],
    }


@dataclass(frozen=True)
class ImagePushRoleProps:
    """Props of :class:`ImagePushRole`.

    role_name: IAM role name (required, ≤ 64 characters).
    irsa: the cluster's IRSA provider (required).
    namespace, service_account: the build pods' service account, the only one trusted (required).
    repository_arns: the repositories it may push to (required, at least one, distinct).
    """

    role_name: str
    irsa: IrsaProvider
    namespace: str
    service_account: str
    repository_arns: Sequence[str]

    def __post_init__(self) -> None:
        if not self.repository_arns:
            raise ValueError(f"{self.role_name}: at least one repository is required")
        if len(set(self.repository_arns)) != len(self.repository_arns):
            raise ValueError(f"{self.role_name}: repository ARNs must be distinct")


class ImagePushRole(Construct):
    """Attributes: ``role`` (ServiceAccountRole), ``arn``, ``policy`` (the identity policy document)."""

    def __init__(self, scope: Construct, id_: str, props: ImagePushRoleProps) -> None:
        super().__init__(scope, id_)
        self.policy = image_push_policy(props.repository_arns)
        self.role = service_account_role(self, "role", props, props.service_account, self.policy)
        self.arn: str = self.role.arn

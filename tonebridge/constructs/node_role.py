"""The IAM role EKS worker nodes run as."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.trust import service_trust

#: What a node itself needs: join the cluster, pull images, and be reachable through Session
#: Manager. The CNI's permissions are not here: aws-node has its own IRSA role.
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)


class NodeRole(Construct):
    """Attributes: ``role``, ``name``, ``arn``."""

    def __init__(self, scope: Construct, id_: str, name: str) -> None:
        super().__init__(scope, id_)
        partition = AwsContext.of(self).partition
        self.role = IamRole(self, "role", name=name, assume_role_policy=service_trust("ec2.amazonaws.com"))
        for policy in NODE_MANAGED_POLICIES:
            IamRolePolicyAttachment(
                self, policy, role=self.role.name, policy_arn=f"arn:{partition}:iam::aws:policy/{policy}"
            )
        self.name: str = self.role.name
        self.arn: str = self.role.arn

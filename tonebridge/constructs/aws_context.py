"""Account, partition and region of the stack a construct is in, read once per stack."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import Construct

_ID = "aws-context"


class AwsContext(Construct):
    """One ``aws_caller_identity``, ``aws_partition`` and ``aws_region`` data source per stack, shared by
    every construct that builds ARNs or key policies (rather than one set per construct).

    Attributes: ``account_id``, ``partition``, ``region`` (tokens resolved at plan time).
    """

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.account_id: str = DataAwsCallerIdentity(self, "account").account_id
        self.partition: str = DataAwsPartition(self, "partition").partition
        self.region: str = DataAwsRegion(self, "region").name

    @classmethod
    def of(cls, scope: Construct) -> AwsContext:
        """The context of ``scope``'s stack, created on first use."""
        stack = TerraformStack.of(scope)
        existing = stack.node.try_find_child(_ID)
        return existing if isinstance(existing, cls) else cls(stack, _ID)

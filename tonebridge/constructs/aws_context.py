"""Account, partition and region of the stack a construct is in, read once per stack."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import Construct

_ID = "aws-context"
_ATTRIBUTE = "_tonebridge_aws_context"

#: scope -> its stack, kept for the app's lifetime (a construct never changes parents). Each lookup
#: is a jsii round-trip, and constructs ask for their stack's context, keys and flows many times.
_STACKS: dict[int, tuple[Construct, TerraformStack]] = {}


def stack_of(scope: Construct) -> TerraformStack:
    """``TerraformStack.of(scope)``, asked of jsii once per construct."""
    found = _STACKS.get(id(scope))
    if found is None or found[0] is not scope:
        found = _STACKS[id(scope)] = (scope, TerraformStack.of(scope))
    return found[1]


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
        """The context of ``scope``'s stack, created on first use (and remembered on the stack object,
        so later lookups cost no jsii round-trip)."""
        stack = stack_of(scope)
        existing = getattr(stack, _ATTRIBUTE, None)
        if not isinstance(existing, cls):
            existing = cls(stack, _ID)
            setattr(stack, _ATTRIBUTE, existing)
        return existing

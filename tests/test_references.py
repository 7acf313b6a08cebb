"""A resource's attribute references are read from the jsii kernel once (tonebridge/references.py)."""

from __future__ import annotations

from cdktf import App, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.vpc import Vpc

from tonebridge import references
from tonebridge.jsii_calls import counting
from tonebridge.references import _cacheable


def test_only_what_a_provider_resource_declares_and_no_input_is_remembered():
    assert _cacheable(Vpc, "id") and _cacheable(Vpc, "arn") and _cacheable(Vpc, "cidrBlock")
    assert not _cacheable(Vpc, "cidrBlockInput")  # what was configured: a setter changes it
    assert not any(_cacheable(Vpc, name) for name in ("count", "dependsOn", "provider", "lifecycle", "node"))
    assert not _cacheable(AwsProvider, "region")  # a provider's settings are plain values
    assert not _cacheable(TerraformOutput, "value")


def test_an_attribute_is_read_once_and_what_was_configured_stays_live():
    references.install()
    references.install()  # idempotent
    stack = TerraformStack(App(), "references")
    AwsProvider(stack, "aws", region="us-west-2")
    vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
    with counting() as calls:
        first, second = vpc.id, vpc.id
        vpc.cidr_block = "10.1.0.0/16"
        configured = vpc.cidr_block_input
    assert first == second
    assert calls.by(1, 3)[("get", "id")] == 1
    assert configured == "10.1.0.0/16"

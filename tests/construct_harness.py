"""One construct, synthesized alone: a bare TerraformStack with only the providers it needs.

The environment files exercise the branches production and local take; a construct's other branches (a promoted
replica, a CloudNativePG replica cluster, a switch no environment sets) are tested here, each case one
`Testing.synth` of one construct, asserting on the synthesized values.

    from tests.construct_harness import synth_alone
    out = synth_alone(lambda stack: RdsPostgres(stack, "db", props), providers=("aws",))
    (instance,) = resources(out, "aws_db_instance").values()
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

#: Who the keys of a bare stack name (KeyAccess): a construct that makes a KMS key refuses a stack without them.
DEPLOYER, BREAK_GLASS = "role/deploy", "role/break-glass"


#: The cluster a bare stack's CRD upgrades target (PlatformStack.crd_target), for charts whose CRDs Helm never upgrades.
CLUSTER = "tb-unit"


def bare_stack(providers: Iterable[str] = ("aws",), *, region: str = "us-west-2", key_access: bool = True):
    """A TerraformStack in a test app with the named providers (aws, kubernetes, helm, google); with aws, the
    KeyAccess its keys name; with helm, the cluster CRD upgrades target."""
    from cdktf import TerraformStack, Testing

    stack = TerraformStack(Testing.app(), "unit")
    for provider in providers:
        if provider == "aws":
            from cdktf_cdktf_provider_aws.provider import AwsProvider

            AwsProvider(stack, "aws", region=region)
        elif provider == "kubernetes":
            from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

            KubernetesProvider(stack, "kubernetes")
        elif provider == "helm":
            from cdktf_cdktf_provider_helm.provider import HelmProvider

            HelmProvider(stack, "helm")
        elif provider == "google":
            from cdktf_cdktf_provider_google.provider import GoogleProvider

            GoogleProvider(stack, "google", project="tonebridge-dr", region="europe-west1")
        else:
            raise ValueError(f"unknown provider {provider!r}")
    if key_access and "aws" in providers:
        from tonebridge.constructs.kms import KeyAccess
        from tonebridge.props.security import SecuritySettings

        KeyAccess.register(stack, SecuritySettings(deploy_principals=[DEPLOYER], break_glass_role=BREAK_GLASS))
    if "helm" in providers:
        from tonebridge.constructs.crd_upgrade import CrdTarget

        stack.crd_target = CrdTarget(cluster_name=CLUSTER, region=region)
    return stack


def synth_alone(build: Callable[[Any], Any], providers: Iterable[str] = ("aws",), **stack_options) -> dict:
    """`build(stack)` adds the construct under test to a bare stack; returns the parsed cdk.tf.json."""
    from cdktf import Testing

    stack = bare_stack(tuple(providers), **stack_options)
    build(stack)
    return json.loads(Testing.synth(stack))


def only(stack: dict, kind: str) -> dict:
    """The single resource of `kind` (fails if there are none or several)."""
    found = list(stack.get("resource", {}).get(kind, {}).values())
    assert len(found) == 1, f"{len(found)} {kind} resources"
    return found[0]


def manifests(stack: dict) -> dict[tuple[str, str], dict]:
    """kubernetes_manifest objects by (kind, name)."""
    return {
        (r["manifest"]["kind"], r["manifest"]["metadata"]["name"]): r["manifest"]
        for r in stack.get("resource", {}).get("kubernetes_manifest", {}).values()
    }


def helm_values(stack: dict, release: str) -> dict:
    """The parsed values of the helm_release named `release` (one values document)."""
    (found,) = [r for r in stack["resource"]["helm_release"].values() if r["name"] == release]
    (values,) = found["values"]
    return json.loads(values)

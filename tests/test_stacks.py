"""The synthesized environments carry the spec's values (DESIGN.md §2.2, §11.1)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import by_name_tag, resources

SPEC_SUBNETS = {
    "public": ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
    "private": ["10.0.10.0/24", "10.0.11.0/24", "10.0.12.0/24"],
    "data": ["10.0.20.0/24", "10.0.21.0/24", "10.0.22.0/24"],
    "management": ["10.0.30.0/24", "10.0.31.0/24", "10.0.32.0/24"],
}
ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]


def test_production_writes_state_and_both_regional_stacks(manifest):
    production = sorted(n for n in manifest if n.startswith("production-"))
    assert production == [
        "production-dr",
        "production-global",
        "production-state",
        "production-us-east-1",
        "production-us-east-1-platform",
        "production-us-west-2",
        "production-us-west-2-platform",
    ]
    assert manifest["production-us-west-2"]["dependencies"] == ["production-state"]
    # The secondary's database replica reads the primary's ARN (tests/test_data_tier.py).
    assert sorted(manifest["production-us-east-1"]["dependencies"]) == ["production-state", "production-us-west-2"]
    for regional in ("production-us-west-2", "production-us-east-1"):
        assert manifest[f"{regional}-platform"]["dependencies"] == [regional]


def test_primary_region_carries_the_spec_vpc(stacks):
    west = stacks["production-us-west-2"]
    assert west["provider"]["aws"][0]["region"] == "us-west-2"
    (vpc,) = resources(west, "aws_vpc").values()
    assert (vpc["cidr_block"], vpc["enable_dns_hostnames"], vpc["enable_dns_support"]) == ("10.0.0.0/16", True, True)
    subnets = by_name_tag(west, "aws_subnet")
    for tier, cidrs in SPEC_SUBNETS.items():
        for az, cidr in zip(ZONES, cidrs, strict=True):
            subnet = subnets[f"tonebridge-production-us-west-2-{tier}-{az}"]
            assert (subnet["cidr_block"], subnet["availability_zone"]) == (cidr, az)
    assert len(resources(west, "aws_nat_gateway")) == 3
    assert len(resources(west, "aws_vpn_gateway")) == 1
    assert len(resources(west, "aws_flow_log")) == 1


def test_secondary_region_is_peerable(stacks):
    (east,) = resources(stacks["production-us-east-1"], "aws_vpc").values()
    assert east["cidr_block"] == "10.1.0.0/16"


@pytest.mark.parametrize("env", ["production", "local"])
def test_every_stack_but_state_uses_locked_encrypted_s3_backend(stacks, environments, env):
    cfg = environments[env]
    for name, stack in stacks.items():
        if not name.startswith(f"{env}-"):
            continue
        backend = stack["terraform"]["backend"]
        if name == f"{env}-state":
            assert list(backend) == ["local"]
            continue
        s3 = backend["s3"]
        assert s3["bucket"] == cfg.state.bucket
        assert s3["key"] == f"{env}/{name}.tfstate"
        assert s3["region"] == cfg.state.region
        assert s3["encrypt"] is True
        assert s3["dynamodb_table"] == cfg.state.lock_table
        assert s3["use_lockfile"] is True


def test_production_state_backend_names_match_the_spec(stacks):
    s3 = stacks["production-us-west-2"]["terraform"]["backend"]["s3"]
    assert (s3["bucket"], s3["dynamodb_table"], s3["region"]) == (
        "tonebridge-terraform-state",
        "terraform-state-lock",
        "us-west-2",
    )


def test_state_stack_bucket_and_lock_table(stacks):
    state = stacks["production-state"]
    buckets = {b["bucket"]: b for b in resources(state, "aws_s3_bucket").values()}
    bucket = buckets["tonebridge-terraform-state"]
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"]["prevent_destroy"] is True
    versioning = resources(state, "aws_s3_bucket_versioning").values()
    assert [v["versioning_configuration"]["status"] for v in versioning] == ["Enabled", "Enabled"]
    encryption = [
        e["rule"][0]["apply_server_side_encryption_by_default"]
        for e in resources(state, "aws_s3_bucket_server_side_encryption_configuration").values()
    ]
    assert {e["sse_algorithm"] for e in encryption} == {"aws:kms", "AES256"}
    keys = resources(state, "aws_kms_key").values()
    assert all(k["enable_key_rotation"] for k in keys)
    blocks = resources(state, "aws_s3_bucket_public_access_block").values()
    assert len(blocks) == 2
    assert all(
        b[f] is True
        for b in blocks
        for f in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policies = [json.loads(p["policy"]) for p in resources(state, "aws_s3_bucket_policy").values()]
    for policy in policies:
        deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport")
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = [r for lc in resources(state, "aws_s3_bucket_lifecycle_configuration").values() for r in lc["rule"]]
    state_rule = next(r for r in rules if r["id"] == "expire-superseded-state")
    assert state_rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 90

    (table,) = resources(state, "aws_dynamodb_table").values()
    assert table["name"] == "terraform-state-lock"
    assert table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"]["enabled"] is True
    assert table["server_side_encryption"]["enabled"] is True
    assert table["deletion_protection_enabled"] is True
    assert table["lifecycle"]["prevent_destroy"] is True


def test_local_state_is_disposable(stacks):
    state = stacks["local-state"]
    assert all(b["force_destroy"] is True and "lifecycle" not in b for b in resources(state, "aws_s3_bucket").values())
    (table,) = resources(state, "aws_dynamodb_table").values()
    assert table["deletion_protection_enabled"] is False


@pytest.mark.parametrize("env", ["production", "local"])
def test_default_tags_on_every_stack(stacks, env):
    for name, stack in stacks.items():
        if name.startswith(f"{env}-") and not name.endswith("-platform"):  # platform stacks have no AWS provider
            tags = stack["provider"]["aws"][0]["default_tags"][0]["tags"]
            assert tags == {"Environment": env, "Project": "tonebridge", "ManagedBy": "cdktf", "Stack": name}


def test_local_targets_the_emulator_on_loopback_only(stacks):
    for name in ("local-state", "local-us-west-2", "local-us-east-1"):
        provider = stacks[name]["provider"]["aws"][0]
        endpoints = set(provider["endpoints"][0].values())
        assert endpoints == {"https://127.0.0.1:4566"}
        assert provider["s3_use_path_style"] is True
    for name, stack in stacks.items():
        if name.startswith("production-") and "aws" in stack["provider"]:
            assert "endpoints" not in stack["provider"]["aws"][0]
            assert "access_key" not in stack["provider"]["aws"][0]


def test_production_bastions_keep_detailed_monitoring(stacks):
    for region in ("us-west-2", "us-east-1"):
        (bastion,) = resources(stacks[f"production-{region}"], "aws_instance").values()
        assert bastion["monitoring"] is True
        assert bastion["metadata_options"]["http_tokens"] == "required"

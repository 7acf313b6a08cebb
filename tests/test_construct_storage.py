"""Buckets, state backend and registries alone, with settings the environment files do not use: a backups bucket
without a replica or default lock retention, archiving to Deep Archive, expiring prefixes, a replica without
replication time control, basic ECR scanning without replication."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources
from tests.construct_harness import only, synth_alone


def _backups(*, with_replica: bool = False, expiring_prefixes: dict | None = None, **settings) -> dict:
    """Backups buckets whose ``backups`` settings are ``settings`` (names ``tb-unit-backups``, ``-logs``)."""
    from tonebridge.constructs.backups import BackupBuckets, BackupBucketsProps, BackupReplica
    from tonebridge.props.backups import BackupsSettings

    def build(stack):
        replica = None
        if with_replica:
            from cdktf_cdktf_provider_aws.provider import AwsProvider

            provider = AwsProvider(stack, "aws-east", region="us-east-1", alias="east")
            replica = BackupReplica(bucket="tb-unit-backups-east", region="us-east-1", provider=provider)
        props = BackupBucketsProps(
            BackupsSettings(bucket="tb-unit-backups", access_log_bucket="tb-unit-backups-logs", **settings),
            replica=replica,
            expiring_prefixes=expiring_prefixes or {},
        )
        BackupBuckets(stack, "backups", props)

    return synth_alone(build)


def _by_bucket(stack: dict, kind: str) -> dict[str, dict]:
    buckets = {lid: r["bucket"] for lid, r in resources(stack, "aws_s3_bucket").items()}
    return {
        buckets[r["bucket"].removeprefix("${aws_s3_bucket.").removesuffix(".id}")]: r
        for r in resources(stack, kind).values()
    }


def test_backups_without_replica_lock_retention_and_with_deep_archive_and_expiring_prefixes():
    out = _backups(
        object_lock_days=0,
        replication_time_control=False,
        archive_storage_class="DEEP_ARCHIVE",
        archive_after_days=180,
        infrequent_access_after_days=60,
        noncurrent_expiry_days=45,
        expiring_prefixes={"/scratch/": 3, "logical/daily": 10},
        access_log_retention_days=90,
    )
    # object lock is on (only possible at creation) but without a default retention: no lock configuration
    assert only_bucket(out, "tb-unit-backups")["object_lock_enabled"] is True
    assert "aws_s3_bucket_object_lock_configuration" not in out["resource"]
    assert "aws_s3_bucket_replication_configuration" not in out["resource"]
    assert sorted(r["bucket"] for r in resources(out, "aws_s3_bucket").values()) == [
        "tb-unit-backups",
        "tb-unit-backups-logs",
    ]
    rules = {
        rule["id"]: rule for rule in _by_bucket(out, "aws_s3_bucket_lifecycle_configuration")["tb-unit-backups"]["rule"]
    }
    assert list(rules) == ["tier-and-expire-versions", "expire-scratch", "expire-logical-daily"]  # by prefix as given
    tiers = rules["tier-and-expire-versions"]
    assert [(t["days"], t["storage_class"]) for t in tiers["transition"]] == [
        (60, "STANDARD_IA"),
        (180, "DEEP_ARCHIVE"),
    ]
    assert tiers["noncurrent_version_expiration"] == [{"noncurrent_days": 45}]
    assert rules["expire-scratch"]["filter"] == [{"prefix": "scratch/"}]
    assert rules["expire-scratch"]["expiration"] == [{"days": 3}]
    assert rules["expire-logical-daily"]["filter"] == [{"prefix": "logical/daily/"}]
    logs = _by_bucket(out, "aws_s3_bucket_lifecycle_configuration")["tb-unit-backups-logs"]["rule"]
    assert logs[0]["expiration"] == [{"days": 90}]


def only_bucket(stack: dict, name: str) -> dict:
    (found,) = [r for r in resources(stack, "aws_s3_bucket").values() if r["bucket"] == name]
    return found


def test_backups_replica_without_replication_time_control_and_with_governance_lock():
    out = _backups(with_replica=True, replication_time_control=False, object_lock_mode="GOVERNANCE", object_lock_days=7)
    replication = only(out, "aws_s3_bucket_replication_configuration")
    (rule,) = replication["rule"]
    destination = rule["destination"]
    assert "replication_time" not in destination and "metrics" not in destination
    assert rule["id"] == "to-us-east-1" and rule["delete_marker_replication"] == {"status": "Enabled"}
    assert destination["encryption_configuration"]["replica_kms_key_id"].startswith(
        "${aws_kms_key.backups_replica_key_"
    )
    assert rule["source_selection_criteria"] == {"sse_kms_encrypted_objects": {"status": "Enabled"}}
    locks = {
        r["rule"]["default_retention"]["mode"]
        for r in resources(out, "aws_s3_bucket_object_lock_configuration").values()
    }
    days = {
        r["rule"]["default_retention"]["days"]
        for r in resources(out, "aws_s3_bucket_object_lock_configuration").values()
    }
    assert (locks, days) == ({"GOVERNANCE"}, {7})
    # the replica side lives in the replica's region: its own key, bucket and log bucket through the aliased provider
    east = [r for r in resources(out, "aws_s3_bucket").values() if r.get("provider") == "aws.east"]
    assert sorted(r["bucket"] for r in east) == ["tb-unit-backups-east", "tb-unit-backups-east-access-logs"]


def test_backup_settings_refuse_inconsistent_replication():
    """The construct takes the validated ``backups`` section: its model refuses an unknown archive class,
    and replication time control without a replica is a configuration line (tests/test_region_settings.py);
    a bucket without a replica never asks for it."""
    from pydantic import ValidationError

    from tonebridge.constructs.backups import BackupBucketsProps
    from tonebridge.props.backups import BackupsSettings

    assert BackupBucketsProps(BackupsSettings(bucket="tb-b")).replication_time_control is False
    with pytest.raises(ValidationError, match="'GLACIER_IR', 'GLACIER' or 'DEEP_ARCHIVE'"):
        BackupsSettings(bucket="tb-b", replication_time_control=False, archive_storage_class="X")


def test_state_backend_with_its_own_retention():
    from tonebridge.constructs.state_backend import StateBackend
    from tonebridge.props.state import StateSettings

    settings = StateSettings(
        bucket="tb-unit-state",
        lock_table="tb-unit-locks",
        region="us-west-2",
        access_log_bucket="tb-unit-state-logs",
        noncurrent_version_retention_days=14,
        access_log_retention_days=30,
    )
    out = synth_alone(lambda stack: StateBackend(stack, "state", settings))
    table = only(out, "aws_dynamodb_table")
    assert table["name"] == "tb-unit-locks" and table["deletion_protection_enabled"] is True
    assert table["lifecycle"] == {"prevent_destroy": True}
    rules = _by_bucket(out, "aws_s3_bucket_lifecycle_configuration")
    assert [r["noncurrent_version_expiration"] for r in rules["tb-unit-state"]["rule"]] == [[{"noncurrent_days": 14}]]
    assert rules["tb-unit-state-logs"]["rule"][0]["expiration"] == [{"days": 30}]


def test_registries_with_basic_scanning_and_no_replication():
    from tonebridge.constructs.registries import ContainerRegistries
    from tonebridge.props.registries import RegistriesSettings

    settings = RegistriesSettings(
        services=["api-gateway", "audio"],
        production_prefix="tonebridge",
        staging_prefix="tonebridge-staging",
        keep_releases=12,
        untagged_expiry_days=3,
        enhanced_scanning=False,
    )
    out = synth_alone(
        lambda stack: ContainerRegistries(stack, "registries", settings, name="tb-unit", replica_region=None)
    )
    names = sorted(r["name"] for r in resources(out, "aws_ecr_repository").values())
    assert names == [
        "tonebridge-staging/api-gateway",
        "tonebridge-staging/audio",
        "tonebridge/api-gateway",
        "tonebridge/audio",
    ]
    assert all(r["image_tag_mutability"] == "IMMUTABLE" for r in resources(out, "aws_ecr_repository").values())
    scanning = only(out, "aws_ecr_registry_scanning_configuration")
    assert scanning["scan_type"] == "BASIC"
    (rule,) = scanning["rule"]
    assert rule["scan_frequency"] == "SCAN_ON_PUSH"
    assert [f["filter"] for f in rule["repository_filter"]] == ["tonebridge/*", "tonebridge-staging/*"]
    assert "aws_ecr_replication_configuration" not in out["resource"]
    policy = json.loads(next(iter(resources(out, "aws_ecr_lifecycle_policy").values()))["policy"])
    counts = sorted((r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in policy["rules"])
    assert counts == [("tagged", 12), ("untagged", 3)]

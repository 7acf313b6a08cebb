"""The data tier's AWS side in the synthesized environments: the RDS primary (spec §11.1) with the
§4.1 parameters in RDS units, its replica in us-east-1 (§9.1), and the backups bucket (§9.2); plus
the early checks of the construct props."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources
from tonebridge.postgres_settings import PostgresSettings

#: Spec §11.1, typed in from the spec (not imported from the code under test).
SPEC_RDS = {
    "engine": "postgres",
    "instance_class": "db.r5.2xlarge",
    "allocated_storage": 100,
    "storage_encrypted": True,
    "backup_retention_period": 30,
    "backup_window": "03:00-04:00",
    "maintenance_window": "sun:04:00-sun:05:00",
}

#: Spec §4.1 in RDS units: 8 kB pages for shared_buffers, effective_cache_size and wal_buffers,
#: kB for work_mem and maintenance_work_mem (worked out by hand).
SPEC_PARAMETERS_RDS = {
    "max_connections": "200",
    "shared_buffers": "32768",  # 256MB / 8kB
    "effective_cache_size": "131072",  # 1GB / 8kB
    "work_mem": "4096",  # 4MB / 1kB
    "maintenance_work_mem": "65536",  # 64MB / 1kB
    "checkpoint_completion_target": "0.9",
    "wal_buffers": "2048",  # 16MB / 8kB
    "default_statistics_target": "100",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
}


@pytest.fixture(scope="module")
def west(stacks):
    return stacks["production-us-west-2"]


@pytest.fixture(scope="module")
def east(stacks):
    return stacks["production-us-east-1"]


def _ref_id(ref: str) -> str:
    """``${aws_x.logical_id.attr}`` -> ``logical_id``."""
    return ref.removeprefix("${").split(".")[1]


def _one(stack: dict, kind: str, path_part: str = "") -> dict:
    (found,) = [r for r in resources(stack, kind).values() if path_part in r["//"]["metadata"]["path"]]
    return found


def test_rds_primary_carries_every_spec_value(west):
    db = _one(west, "aws_db_instance")
    for key, value in SPEC_RDS.items():
        assert db[key] == value, key
    assert db["engine_version"].split(".")[0] == "16"
    assert db["storage_type"] == "gp3" and db["max_allocated_storage"] > db["allocated_storage"]
    assert db["multi_az"] is True and db["publicly_accessible"] is False
    assert db["ca_cert_identifier"] == "rds-ca-rsa2048-g1"
    assert db["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert db["db_name"] == "tonebridge" and db["port"] == 5432
    key = resources(west, "aws_kms_key")[_ref_id(db["kms_key_id"])]
    assert key["enable_key_rotation"] is True
    assert db["performance_insights_enabled"] is True and db["performance_insights_kms_key_id"] == db["kms_key_id"]
    assert db["manage_master_user_password"] is True and db["master_user_secret_kms_key_id"] == db["kms_key_id"]
    assert "password" not in db
    assert db["iam_database_authentication_enabled"] is True
    assert db["copy_tags_to_snapshot"] is True and db["auto_minor_version_upgrade"] is True
    assert db["db_subnet_group_name"] == "${aws_db_subnet_group.network_db-subnets_82F31EB8.name}"


def test_production_database_is_protected_local_is_disposable(west, stacks):
    db = _one(west, "aws_db_instance")
    assert db["deletion_protection"] is True and db["skip_final_snapshot"] is False
    assert db["final_snapshot_identifier"] == "tonebridge-production-final"
    local = _one(stacks["local-us-west-2"], "aws_db_instance")
    assert local["deletion_protection"] is False and local["skip_final_snapshot"] is True
    assert "final_snapshot_identifier" not in local


def test_log_groups_exist_before_the_exports_and_are_encrypted(west):
    db = _one(west, "aws_db_instance")
    groups = {g["name"]: (kind_id, g) for kind_id, g in resources(west, "aws_cloudwatch_log_group").items()}
    for log in ("postgresql", "upgrade"):
        kind_id, group = groups[f"/aws/rds/instance/tonebridge-production/{log}"]
        assert f"aws_cloudwatch_log_group.{kind_id}" in db["depends_on"]
        assert group["kms_key_id"] == db["kms_key_id"] and group["retention_in_days"] == 365
    policy = json.loads(resources(west, "aws_kms_key")[_ref_id(db["kms_key_id"])]["policy"])
    (logs,) = [s for s in policy["Statement"] if s["Principal"].get("Service", "").startswith("logs.")]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(
        ":log-group:/aws/rds/instance/tonebridge-production/*"
    )


def test_parameter_group_carries_every_spec_parameter_in_rds_units(west):
    db = _one(west, "aws_db_instance")
    group = resources(west, "aws_db_parameter_group")[_ref_id(db["parameter_group_name"])]
    assert group["family"] == "postgres16"
    params = {p["name"]: p for p in group["parameter"]}
    assert {name: p["value"] for name, p in params.items()} == {**SPEC_PARAMETERS_RDS, "rds.force_ssl": "1"}
    for static in ("max_connections", "shared_buffers", "wal_buffers"):
        assert params[static]["apply_method"] == "pending-reboot", static
    assert params["work_mem"]["apply_method"] == "immediate"


def test_settings_render_both_ways_from_one_model():
    settings = PostgresSettings()
    assert settings.numeric() == SPEC_PARAMETERS_RDS
    assert settings.postgresql_conf()["shared_buffers"] == "256MB"
    assert PostgresSettings(shared_buffers="2GB", work_mem="1MB").numeric()["shared_buffers"] == "262144"
    with pytest.raises(ValueError, match="whole number of 8 kB"):
        PostgresSettings(shared_buffers="4kB")


def test_database_reachable_only_from_the_cluster_security_groups_and_the_bastion(west):
    db = _one(west, "aws_db_instance")
    (sg_ref,) = db["vpc_security_group_ids"]
    sg_id = _ref_id(sg_ref)
    sg = resources(west, "aws_security_group")[sg_id]
    assert "ingress" not in sg and "egress" not in sg
    rules = [
        r for r in resources(west, "aws_vpc_security_group_ingress_rule").values() if sg_id in r["security_group_id"]
    ]
    assert {(r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules} == {(5432, 5432, "tcp")}
    sources = sorted(_ref_id(r["referenced_security_group_id"]) for r in rules)
    assert sorted(s.split("_")[1] for s in sources) == ["bastion-sg", "cluster-sg", "node-sg"]
    assert not any("cidr_ipv4" in r for r in rules)


def test_enhanced_monitoring_role(west):
    db = _one(west, "aws_db_instance")
    assert db["monitoring_interval"] == 60
    role = resources(west, "aws_iam_role")[_ref_id(db["monitoring_role_arn"])]
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    (attachment,) = [a for a in resources(west, "aws_iam_role_policy_attachment").values() if "database" in a["role"]]
    assert attachment["policy_arn"].endswith(":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")


def test_replica_in_us_east_1_with_its_own_key_and_backup_replication(east, west):
    assert east["provider"]["aws"][0]["region"] == "us-east-1"
    replica = _one(east, "aws_db_instance")
    assert replica["identifier"] == "tonebridge-production-us-east-1"
    assert "cross-stack-output-aws_db_instancedatabase_instance" in replica["replicate_source_db"]
    assert replica["instance_class"] == "db.r5.2xlarge" and replica["storage_encrypted"] is True
    assert replica["kms_key_id"].startswith("${aws_kms_key.database-replica_key_")
    assert replica["skip_final_snapshot"] is True and replica["deletion_protection"] is True
    assert replica["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert replica["publicly_accessible"] is False and replica["iam_database_authentication_enabled"] is True
    assert not {"username", "manage_master_user_password", "engine"} & set(replica)
    params = resources(east, "aws_db_parameter_group")[_ref_id(replica["parameter_group_name"])]
    assert {p["name"]: p["value"] for p in params["parameter"]} == {**SPEC_PARAMETERS_RDS, "rds.force_ssl": "1"}
    (copy,) = resources(east, "aws_db_instance_automated_backups_replication").values()
    assert copy["source_db_instance_arn"] == replica["replicate_source_db"]
    assert copy["kms_key_id"] == replica["kms_key_id"] and copy["retention_period"] == 7
    assert "aws_db_instance" not in west.get("data", {}) and "terraform_remote_state" not in west.get("data", {})


def test_stack_dependencies_run_primary_then_secondary(manifest):
    assert manifest["production-us-west-2"]["dependencies"] == ["production-state"]
    assert sorted(manifest["production-us-east-1"]["dependencies"]) == ["production-state", "production-us-west-2"]


# --- backups (spec §9.2) ---------------------------------------------------------------------------


def _buckets(stack: dict) -> dict[str, tuple[str, dict]]:
    return {b["bucket"]: (logical, b) for logical, b in resources(stack, "aws_s3_bucket").items()}


def _for(stack: dict, kind: str, logical: str) -> dict:
    (found,) = [r for r in resources(stack, kind).values() if r["bucket"] == f"${{aws_s3_bucket.{logical}.id}}"]
    return found


@pytest.fixture(scope="module")
def buckets(west):
    return _buckets(west)


def test_backup_buckets_in_both_regions_from_the_primary_stack(west, east, buckets):
    assert set(buckets) == {
        "tonebridge-backups",
        "tonebridge-backups-access-logs",
        "tonebridge-backups-us-east-1",
        "tonebridge-backups-us-east-1-access-logs",
        # staging's CloudNativePG writes a bucket (and key) of its own, never production's
        "tonebridge-backups-staging",
        "tonebridge-backups-staging-access-logs",
    }
    providers = {b["bucket"]: b.get("provider") for _, b in buckets.values()}
    assert providers["tonebridge-backups"] is None and providers["tonebridge-backups-access-logs"] is None
    assert providers["tonebridge-backups-us-east-1"] == "aws.us_east_1"
    (alias,) = [p for p in west["provider"]["aws"] if p.get("alias") == "us_east_1"]
    assert alias["region"] == "us-east-1"
    assert "aws_s3_bucket" not in east.get("resource", {})


@pytest.mark.parametrize("name", ["tonebridge-backups", "tonebridge-backups-us-east-1"])
def test_backup_bucket_is_versioned_locked_encrypted_private_and_tls_only(west, buckets, name):
    logical, bucket = buckets[name]
    assert bucket["object_lock_enabled"] is True and bucket["force_destroy"] is False
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert _for(west, "aws_s3_bucket_versioning", logical)["versioning_configuration"]["status"] == "Enabled"
    (sse,) = _for(west, "aws_s3_bucket_server_side_encryption_configuration", logical)["rule"]
    default = sse["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms" and default["kms_master_key_id"].startswith("${aws_kms_key.")
    assert sse["bucket_key_enabled"] is True
    block = _for(west, "aws_s3_bucket_public_access_block", logical)
    assert all(
        block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    ownership = _for(west, "aws_s3_bucket_ownership_controls", logical)
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    lock = _for(west, "aws_s3_bucket_object_lock_configuration", logical)
    assert lock["rule"]["default_retention"] == {"mode": "COMPLIANCE", "days": 30}
    policy = json.loads(_for(west, "aws_s3_bucket_policy", logical)["policy"])
    denies = {s["Sid"]: s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"}
    assert set(denies) == {"DenyInsecureTransport", "DenyOutdatedTLS", "DenyUnnamedPrincipals", "DenyRetentionBypass"}
    assert denies["DenyInsecureTransport"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert denies["DenyOutdatedTLS"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    named = denies["DenyUnnamedPrincipals"]["ArnNotLike"]["aws:PrincipalArn"]
    assert any(arn.endswith(":role/tonebridge-terraform") for arn in named)  # Terraform keeps its bucket
    assert any(arn.endswith(":role/tonebridge-break-glass") for arn in named)
    assert any("backups_replication-role" in arn for arn in named)
    bypass = denies["DenyRetentionBypass"]["ArnNotLike"]["aws:PrincipalArn"]
    assert len(bypass) == 1 and bypass[0].endswith(":role/tonebridge-break-glass")
    logging = _for(west, "aws_s3_bucket_logging", logical)
    log_logical, _ = buckets[f"{name}-access-logs"]
    assert logging["target_bucket"] == f"${{aws_s3_bucket.{log_logical}.id}}"
    assert any("log-policy" in d for d in logging["depends_on"])  # delivery allowed before logging starts


def test_backup_lifecycle_tiers_then_archives_and_expires_old_versions(west, buckets):
    logical, _ = buckets["tonebridge-backups"]
    rule, logical_backups = _for(west, "aws_s3_bucket_lifecycle_configuration", logical)["rule"]
    assert logical_backups["id"] == "expire-postgres-logical-production"  # tests/test_logical_backup.py
    assert rule["status"] == "Enabled"
    assert [(t["days"], t["storage_class"]) for t in rule["transition"]] == [(30, "STANDARD_IA"), (90, "GLACIER")]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_replication_to_us_east_1_with_rtc_delete_markers_and_replica_key(west, buckets):
    source, _ = buckets["tonebridge-backups"]
    target, _ = buckets["tonebridge-backups-us-east-1"]
    config = _for(west, "aws_s3_bucket_replication_configuration", source)
    (rule,) = config["rule"]
    assert rule["status"] == "Enabled" and rule["delete_marker_replication"] == {"status": "Enabled"}
    assert rule["source_selection_criteria"]["sse_kms_encrypted_objects"] == {"status": "Enabled"}
    destination = rule["destination"]
    assert destination["bucket"] == f"${{aws_s3_bucket.{target}.arn}}"
    assert destination["replication_time"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"] == {"status": "Enabled", "event_threshold": {"minutes": 15}}
    replica_key = destination["encryption_configuration"]["replica_kms_key_id"]
    assert resources(west, "aws_kms_key")[_ref_id(replica_key)]["provider"] == "aws.us_east_1"
    assert any("bucket-versioning" in d for d in config["depends_on"])


def test_replication_role_is_least_privilege(west, buckets):
    source, _ = buckets["tonebridge-backups"]
    target, _ = buckets["tonebridge-backups-us-east-1"]
    config = _for(west, "aws_s3_bucket_replication_configuration", source)
    role = resources(west, "aws_iam_role")[_ref_id(config["role"])]
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    (policy,) = [
        p
        for p in resources(west, "aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{_ref_id(config['role'])}.id}}"
    ]
    statements = json.loads(policy["policy"])["Statement"]
    resources_named = {
        r for s in statements for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert "*" not in resources_named
    assert all(source in r or target in r or "aws_kms_key" in r for r in resources_named)
    kms = {s["Sid"]: s for s in statements if s["Sid"] in ("DecryptSource", "EncryptReplicas")}
    assert kms["DecryptSource"]["Condition"]["StringEquals"]["kms:ViaService"].startswith("s3.")
    assert kms["EncryptReplicas"]["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any(a.endswith("*") for a in actions)
    assert {"s3:ReplicateObject", "s3:ReplicateDelete", "s3:GetObjectRetention"} <= actions


def test_local_backups_can_be_destroyed(stacks):
    local = _buckets(stacks["local-us-west-2"])
    assert set(local) >= {"tonebridge-local-backups", "tonebridge-local-backups-us-east-1"}
    for _, bucket in local.values():
        assert bucket["force_destroy"] is True and "lifecycle" not in bucket


# --- props are validated early ---------------------------------------------------------------------


def _network():
    from tonebridge.constructs.postgres import RdsNetworkProps

    return RdsNetworkProps(vpc_id="vpc-1", db_subnet_group_name="data", client_security_group_ids=["sg-1"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identifier": "Tonebridge"}, "lowercase letters"),
        ({"identifier": "tonebridge-"}, "may not end with a hyphen"),
        ({"parameters": {}}, "parameters must not be empty"),
    ],
)
def test_rds_props_are_validated_early(overrides, message):
    from tonebridge.constructs.postgres import RdsPostgresProps

    with pytest.raises(ValueError, match=message):
        RdsPostgresProps(**{"identifier": "db", "network": _network(), "parameters": {"a": "1"}, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backup_retention_days": 0}, "backup_retention_days"),
        ({"monitoring_interval": 2}, "monitoring_interval"),
    ],
)
def test_rds_settings_are_validated_by_their_model(overrides, message):
    """The props carry the ``database.rds`` model itself: a value it refuses never reaches the construct
    (0 days would turn backups off). Storage autoscaling below the allocation is a cross-field rule of
    the configuration (tests/test_region_settings.py pins its line)."""
    from pydantic import ValidationError

    from tonebridge.props.postgres import RdsSettings

    with pytest.raises(ValidationError, match=message):
        RdsSettings(**overrides)


def test_rds_network_needs_a_client():
    from tonebridge.constructs.postgres import RdsNetworkProps

    with pytest.raises(ValueError, match="at least one security group"):
        RdsNetworkProps(vpc_id="vpc-1", db_subnet_group_name="data", client_security_group_ids=[])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"infrequent_access_after_days": 10}, "greater than or equal to 30"),
        ({"archive_storage_class": "ONEZONE_IA"}, "archive_storage_class"),
    ],
)
def test_backup_settings_are_validated_early(overrides, message):
    """The bucket props carry the ``backups`` model itself: what it refuses never reaches the construct
    (S3 moves objects to STANDARD_IA after 30 days at the earliest). The cross-field rules (distinct
    names, archive after infrequent access, noncurrent versions outliving the lock, replication time
    control needing a replica) are configuration lines (tests/test_region_settings.py); the replica's
    bucket, region and provider are one typed value (BackupReplica), so they always go together."""
    from pydantic import ValidationError

    from tonebridge.props.backups import BackupsSettings

    with pytest.raises(ValidationError, match=message):
        BackupsSettings(**{"bucket": "b", **overrides})

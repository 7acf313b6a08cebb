"""The DR site on GCP (spec §9.1, §9.2, §5.1): the production-dr stack's settings, its place in the
stack order, and the early checks of the constructs' props."""

from __future__ import annotations

import json

import pytest

from tests.config_lines import loader_report
from tests.conftest import resources

DR = "production-dr"


def _one(stack: dict, kind: str) -> dict:
    (resource,) = resources(stack, kind).values()
    return resource


def _transfer_jobs(stack: dict) -> dict[str, dict]:
    """The transfer jobs by source: ``""`` the primary's backups bucket, else the environment's name."""
    jobs = {}
    for key, job in resources(stack, "google_storage_transfer_job").items():
        name = key.removeprefix("backup-transfer_").rsplit("_", 1)[0]
        jobs["" if name == "job" else name.removeprefix("job-")] = job
    return jobs


def test_only_production_has_a_dr_stack_and_it_follows_the_backups_bucket(manifest, stacks):
    assert "local-dr" not in manifest
    assert manifest[DR]["dependencies"] == ["production-us-west-2"]
    assert "backups_bucket" in json.dumps(_transfer_jobs(stacks[DR])[""])
    # Nothing on the AWS side waits for the DR site.
    assert all(DR not in m["dependencies"] for n, m in manifest.items() if n != "production-global")
    provider = stacks[DR]["provider"]["google"][0]
    assert (provider["project"], provider["region"]) == ("tonebridge-dr-production", "europe-west1")


def test_network_private_subnet_with_secondary_ranges_and_nat(stacks):
    dr = stacks[DR]
    assert _one(dr, "google_compute_network")["auto_create_subnetworks"] is False
    subnet = _one(dr, "google_compute_subnetwork")
    assert subnet["ip_cidr_range"] == "10.2.0.0/20" and subnet["private_ip_google_access"] is True
    assert {r["range_name"]: r["ip_cidr_range"] for r in subnet["secondary_ip_range"]} == {
        "pods": "10.3.0.0/17",
        "services": "10.2.16.0/20",
    }
    assert subnet["log_config"]["metadata"] == "INCLUDE_ALL_METADATA"
    nat = _one(dr, "google_compute_router_nat")
    assert nat["source_subnetwork_ip_ranges_to_nat"] == "LIST_OF_SUBNETWORKS"
    assert "google_compute_router" in nat["router"] and nat["log_config"]["enable"] is True
    firewall = _one(dr, "google_compute_firewall")
    assert firewall["direction"] == "INGRESS" and firewall["deny"] == [{"protocol": "all"}]


def test_standby_gke_cluster(stacks):
    dr = stacks[DR]
    cluster = _one(dr, "google_container_cluster")
    private = cluster["private_cluster_config"]
    assert private["enable_private_nodes"] is True and private["enable_private_endpoint"] is True
    assert private["master_ipv4_cidr_block"] == "172.16.0.0/28"
    assert cluster["workload_identity_config"]["workload_pool"] == "tonebridge-dr-production.svc.id.goog"
    assert cluster["enable_shielded_nodes"] is True
    assert cluster["release_channel"]["channel"] == "REGULAR"
    assert cluster["datapath_provider"] == "ADVANCED_DATAPATH"
    assert cluster["database_encryption"]["state"] == "ENCRYPTED"
    assert "google_kms_crypto_key.dr_key-gke-secrets" in cluster["database_encryption"]["key_name"]
    assert cluster["deletion_protection"] is True and cluster["remove_default_node_pool"] is True
    assert cluster["master_auth"]["client_certificate_config"]["issue_client_certificate"] is False
    assert cluster["master_authorized_networks_config"]["cidr_blocks"] == [
        {"cidr_block": "10.2.0.0/20", "display_name": "allowed-0"}
    ]
    # Nothing runs in the DR subnet and AWS is gone on failover day: operators reach the API through the
    # DNS endpoint, authorized by IAM (the runbook's `get-credentials --dns-endpoint`).
    assert cluster["control_plane_endpoints_config"] == {"dns_endpoint_config": {"allow_external_traffic": True}}
    pool = _one(dr, "google_container_node_pool")
    assert pool["autoscaling"]["min_node_count"] == 0 and pool["autoscaling"]["max_node_count"] == 5
    assert pool["initial_node_count"] == 0
    assert pool["management"] == {"auto_repair": True, "auto_upgrade": True}
    config = pool["node_config"]
    assert config["shielded_instance_config"] == {"enable_integrity_monitoring": True, "enable_secure_boot": True}
    assert config["workload_metadata_config"]["mode"] == "GKE_METADATA"
    assert "google_service_account.dr_nodes" in config["service_account"]


def test_least_privilege_service_accounts_and_key_grants(stacks):
    dr = stacks[DR]
    (project_role,) = resources(dr, "google_project_iam_member").values()
    assert project_role["role"] == "roles/container.defaultNodeServiceAccount"
    (pull,) = resources(dr, "google_artifact_registry_repository_iam_member").values()
    assert pull["role"] == "roles/artifactregistry.reader"
    grants = resources(dr, "google_kms_crypto_key_iam_member").values()
    assert {g["role"] for g in grants} == {"roles/cloudkms.cryptoKeyEncrypterDecrypter"}
    members = sorted(g["member"] for g in grants)
    assert any("container-engine-robot" in m for m in members)
    assert any("gcp-sa-artifactregistry" in m for m in members)
    keys = resources(dr, "google_kms_crypto_key").values()
    assert {k["rotation_period"] for k in keys} == {f"{90 * 86400}s"}
    assert all(k["lifecycle"]["prevent_destroy"] is True for k in keys)
    sink_roles = {m["role"] for m in resources(dr, "google_storage_bucket_iam_member").values()}
    assert sink_roles == {
        "roles/storage.objectCreator",
        "roles/storage.legacyBucketReader",
        "roles/storage.objectViewer",
    }


def test_backups_bucket(stacks):
    buckets = {b["name"]: b for b in resources(stacks[DR], "google_storage_bucket").values()}
    bucket = buckets["tonebridge-backups-europe-west1"]
    assert bucket["location"] == "EUROPE-WEST1"
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert "google_kms_crypto_key.dr_key-backups" in bucket["encryption"]["default_kms_key_name"]
    assert bucket["retention_policy"] == {"retention_period": 30 * 86400, "is_locked": True}
    # GCS refuses versioning next to a retention policy; the retention policy protects every object.
    assert bucket["versioning"] == {"enabled": False}
    assert bucket["soft_delete_policy"]["retention_duration_seconds"] == 7 * 86400
    rules = [
        (r["action"]["type"], r["action"].get("storage_class"), r["condition"].get("age"))
        for r in bucket["lifecycle_rule"]
    ]
    assert rules[:3] == [
        ("SetStorageClass", "NEARLINE", 30),
        ("SetStorageClass", "COLDLINE", 90),
        ("Delete", None, 365),
    ]
    assert bucket["force_destroy"] is False and bucket["lifecycle"]["prevent_destroy"] is True
    assert bucket["logging"]["log_bucket"].startswith("${google_storage_bucket.dr_access-logs")
    logs = buckets["tonebridge-backups-europe-west1-logs"]
    assert logs["public_access_prevention"] == "enforced" and logs["uniform_bucket_level_access"] is True


def test_transfer_job_copies_the_s3_backups_every_six_hours(stacks):
    dr = stacks[DR]
    job = _transfer_jobs(dr)[""]
    spec = job["transfer_spec"]
    source = spec["aws_s3_data_source"]
    assert "backups_bucket" in source["bucket_name"] and "production-us-west-2" in source["bucket_name"]
    assert source["role_arn"] == "${aws_iam_role.backup-transfer_source-role_1150B604.arn}"
    assert "aws_access_key" not in source  # no long-lived AWS key
    assert spec["gcs_data_sink"]["bucket_name"].startswith("${google_storage_bucket.dr_backups")
    assert spec["transfer_options"]["delete_objects_unique_in_sink"] is False
    assert spec["transfer_options"]["delete_objects_from_source_after_transfer"] is False
    schedule = job["schedule"]
    assert schedule["repeat_interval"] == "21600s"  # dr.transfer.repeat_interval_hours: the RPO needs it
    assert schedule["start_time_of_day"] == {"hours": 5, "minutes": 0, "seconds": 0, "nanos": 0}
    assert schedule["schedule_start_date"] == {"year": 2026, "month": 12, "day": 1}
    assert job["status"] == "ENABLED"


def test_transfer_copies_only_recent_objects_so_expired_backups_never_come_back(stacks):
    """GCS may delete its copy of a 35-day logical backup hours before S3 expires the original; a job that
    copies whatever the sink lacks would then copy it again, a COPY of a manifest.json that the freshness
    metric counts as a new backup. Each job copies only objects modified within dr.transfer.copy_max_age_days
    (7), below every expiry of what it copies (35 and 365 days)."""
    for job in _transfer_jobs(stacks[DR]).values():
        assert job["transfer_spec"]["object_conditions"] == {
            "max_time_elapsed_since_last_modification": f"{7 * 86400}s"
        }
    buckets = {b["name"]: b for b in resources(stacks[DR], "google_storage_bucket").values()}
    rules = buckets["tonebridge-backups-europe-west1"]["lifecycle_rule"]
    deletes = sorted(r["condition"]["age"] for r in rules if r["action"]["type"] == "Delete")
    assert deletes == [35, 365] and deletes[0] > 7


def test_operators_reach_the_standby_and_the_transfer_window_stays_below_the_expiries(tmp_path):
    """The rules behind the two settings: the API must be reachable by someone outside the DR subnet, and the
    copy window must close before any expiry of the copied objects."""
    report = _dr_problem(tmp_path, ("gke", "dns_endpoint"), False)
    assert "dr.gke.dns_endpoint: off with no dr.gke.master_authorized_cidrs" in report, report
    report = _dr_problem(tmp_path, ("transfer", "copy_max_age_days"), 35)
    assert (
        "dr.transfer.copy_max_age_days: 35 is not below database.logical_backup.retention_days (35): expired "
        "objects would be copied to GCS again"
    ) in report, report
    assert "copy_max_age_days" in _dr_problem(tmp_path, ("transfer", "copy_max_age_days"), 1)


def test_transfer_role_is_read_only_and_trusts_only_googles_agent(stacks):
    dr = stacks[DR]
    role = _one(dr, "aws_iam_role")
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"Federated": "accounts.google.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"]["accounts.google.com:sub"].startswith(
        "${data.google_storage_transfer_project_service_account."
    )
    policy = json.loads(_one(dr, "aws_iam_role_policy")["policy"])
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "kms:Decrypt"}
    (kms,) = [s for s in policy["Statement"] if s["Action"] == "kms:Decrypt"]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}


def test_development_registry(stacks):
    repo = _one(stacks[DR], "google_artifact_registry_repository")
    assert (repo["repository_id"], repo["format"], repo["location"]) == ("tonebridge-dev", "DOCKER", "europe-west1")
    assert repo["docker_config"]["immutable_tags"] is True
    assert repo["cleanup_policy_dry_run"] is False
    policies = {p["id"]: p for p in repo["cleanup_policies"]}
    assert policies["keep-recent"]["action"] == "KEEP"
    assert policies["keep-recent"]["most_recent_versions"]["keep_count"] == 10
    assert policies["delete-untagged"]["condition"] == {"tag_state": "UNTAGGED", "older_than": f"{7 * 86400}s"}
    assert policies["delete-old"]["condition"] == {"tag_state": "ANY", "older_than": f"{90 * 86400}s"}
    assert "google_kms_crypto_key.dr_key-registry" in repo["kms_key_name"]


def _dr_problem(tmp_path, path: tuple, value) -> str:
    """The loader's report for production.yaml with ``dr.<path>`` set to ``value``."""
    return loader_report(tmp_path, ("dr", *path), value)


def test_dr_settings_problems_are_lines_of_the_file(tmp_path):
    """What DrRegionProps and BackupTransferProps once checked themselves (names, ranges, the pool's bounds,
    the lifecycle order, the schedule) is the configuration's own rule now (props/dr.py field types,
    config/dr_rules.py): the lines tests/construct_guards.py pinned for them are what the loader reports,
    before any construct."""
    cases = [
        (
            ("network", "name"),
            "Tonebridge-DR",
            "dr.network.name: String should match pattern '^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$' (got 'Tonebridge-DR')",
        ),
        (
            ("network", "master_cidr"),
            "172.16.0.0/27",
            "dr.network.master_cidr: 172.16.0.0/27 must be a /28 (GKE's control-plane range)",
        ),
        (("network", "pods_cidr"), "10.2.0.0/17", "dr.network.pods_cidr: 10.2.0.0/17 overlaps dr.network.subnet_cidr"),
        (("gke", "node_pool", "min_nodes"), 9, "dr.gke.node_pool.min_nodes: 9 exceeds max_nodes 5"),
        (("backups", "delete_after_days"), 60, "dr.backups.delete_after_days: must come after coldline_after_days"),
        (("backups", "delete_after_days"), 20, "dr.backups.delete_after_days: must come after coldline_after_days"),
        # and what BackupTransferProps checked: the transfer's own fields
        (
            ("transfer", "repeat_interval_hours"),
            0,
            "dr.transfer.repeat_interval_hours: Input should be 1, 2, 3, 4, 6, 8, 12 or 24 (got 0)",
        ),
        (
            ("transfer", "start_time_utc"),
            "5:00",
            "dr.transfer.start_time_utc: String should match pattern '^([01]\\d|2[0-3]):[0-5]\\d$' (got '5:00')",
        ),
    ]
    for path, value, line in cases:
        report = _dr_problem(tmp_path, path, value)
        assert f"production.yaml: {line}" in report, report


def test_dr_props_checked_early(environments, tmp_path):
    from tonebridge.props.dr import TransferSettings

    # The DR region's settings are the validated `dr` section: a wrong one stops at the loader.
    assert "must be a /28" in _dr_problem(tmp_path, ("network", "master_cidr"), "172.16.0.0/27")
    assert "overlaps" in _dr_problem(tmp_path, ("network", "pods_cidr"), "10.2.0.0/16")
    assert "min_nodes" in _dr_problem(tmp_path, ("gke", "node_pool", "min_nodes"), 6)
    assert "shorter than retention_days" in _dr_problem(tmp_path, ("backups", "retention_days"), 400)
    # So are the transfer's: its settings are the validated `dr.transfer`.
    with pytest.raises(ValueError, match="start_time_utc"):
        TransferSettings(start_time_utc="5:00")
    with pytest.raises(ValueError, match="month"):
        TransferSettings(start_date="2026-13-01", start_time_utc="05:00")


def test_staging_backups_travel_to_gcs_under_their_own_path(stacks):
    """Staging's CloudNativePG writes a bucket of its own (never production's key or prefix); the same
    read-only role copies it, by a job of its own, under ``staging/`` of the GCS bucket, on the same
    schedule (the staging RPO in recovery.staging_database counts on it)."""
    jobs = _transfer_jobs(stacks[DR])
    assert set(jobs) == {"", "staging"}
    staging, main = jobs["staging"], jobs[""]
    assert "backups-staging_bucket" in staging["transfer_spec"]["aws_s3_data_source"]["bucket_name"]
    assert staging["transfer_spec"]["gcs_data_sink"]["path"] == "staging/"
    assert "path" not in main["transfer_spec"]["gcs_data_sink"]
    assert staging["schedule"] == main["schedule"]
    assert (
        staging["transfer_spec"]["aws_s3_data_source"]["role_arn"]
        == main["transfer_spec"]["aws_s3_data_source"]["role_arn"]
    )
    (policy,) = resources(stacks[DR], "aws_iam_role_policy").values()
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert len(statements["ReadBackups"]["Resource"]) == 2 and len(statements["DecryptThroughS3"]["Resource"]) == 2
    assert statements["DecryptThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    }
    # the staging bucket and its key name the transfer role (a reader, through S3 only)
    west = json.dumps(stacks["production-us-west-2"])
    assert west.count("role/tonebridge-gcp-storage-transfer") >= 4

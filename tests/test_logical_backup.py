"""Production's database in the DR region: the logical backup's path, schedule, identity, retention,
replication, transfer and freshness alert, as synthesized; and the schedule arithmetic behind the
RPO checks."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources
from tonebridge import schedules
from tonebridge.constructs.postgres.logical_backup import SCRIPT

WEST, WEST_PLATFORM, DR = "production-us-west-2", "production-us-west-2-platform", "production-dr"
PREFIX = "postgres-logical/production"


def _manifests(stack: dict, kind: str) -> list[dict]:
    found = [r["manifest"] for r in resources(stack, "kubernetes_manifest").values()]
    return [m for m in found if m["kind"] == kind and m["metadata"]["name"] == "postgres-logical-backup"]


def _one(items):
    (item,) = items
    return item


def test_cron_job_runs_the_repository_script_on_schedule(stacks):
    platform = stacks[WEST_PLATFORM]
    config_map = _one(_manifests(platform, "ConfigMap"))
    # Byte for byte the file the restore drill runs: what is drilled is what runs.
    assert config_map["data"] == {"pg_logical_backup.py": SCRIPT.read_text()}
    cron = _one(_manifests(platform, "CronJob"))
    assert cron["metadata"]["namespace"] == "production"
    spec = cron["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == ("15 4-23/6 * * *", "Etc/UTC", "Forbid")
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 30 * 60
    pod = job["template"]
    assert pod["metadata"]["labels"]["sidecar.istio.io/inject"] == "false"
    assert pod["spec"]["serviceAccountName"] == "postgres-logical-backup"
    assert pod["spec"]["automountServiceAccountToken"] is False
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert container["command"] == [
        "python3",
        f"{mounts['script']}/pg_logical_backup.py",
        "backup",
        "--database",
        "tonebridge",
    ]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["BACKUP_PREFIX"] == PREFIX
    # Cross-stack references to the primary stack's bucket, key and database.
    assert (
        "aws_s3_bucketbackups_bucket" in env["BACKUP_BUCKET"] and "aws_kms_keybackups_key" in env["BACKUP_KMS_KEY_ID"]
    )
    assert "aws_db_instancedatabase" in env["PGHOST"] and env["PGSSLMODE"] == "require"
    assert env["PG_CREDENTIALS_DIR"] == "/run/secrets/postgres"
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["capabilities"] == {"drop": ["ALL"]}
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_database_login_comes_from_vault_database_engine(stacks):
    platform = stacks[WEST_PLATFORM]
    (release,) = [
        r for r in resources(platform, "helm_release").values() if r["name"] == "postgres-logical-backup-secrets"
    ]
    (spc,) = json.loads(release["values"][0])["resources"]
    assert spc["kind"] == "SecretProviderClass" and spc["metadata"]["namespace"] == "production"
    parameters = spc["spec"]["parameters"]
    assert parameters["roleName"] == "postgres-logical-backup"
    assert parameters["objects"].count('secretPath: "database/creds/tonebridge-logical-backup"') == 2
    bootstrap = next(
        m
        for m in (r["manifest"] for r in resources(platform, "kubernetes_manifest").values())
        if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "vault-bootstrap"
    )
    policy = bootstrap["data"]["postgres-logical-backup-read.hcl"]
    assert 'path "database/creds/tonebridge-logical-backup"' in policy and "read" in policy
    assert policy.count("path ") == 1
    assert (
        "auth/kubernetes/role/postgres-logical-backup bound_service_account_names=postgres-logical-backup "
        "bound_service_account_namespaces=production" in bootstrap["data"]["bootstrap.sh"]
    )


def test_network_policy_admits_the_database_and_https_only(stacks):
    policy = _one(_manifests(stacks[WEST_PLATFORM], "NetworkPolicy"))
    assert policy["spec"]["policyTypes"] == ["Egress"]
    database, https = policy["spec"]["egress"]
    assert [p["ipBlock"]["cidr"] for p in database["to"]] == ["10.0.20.0/24", "10.0.21.0/24", "10.0.22.0/24"]
    assert database["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert https["ports"] == [{"port": 443, "protocol": "TCP"}]


def test_role_writes_only_its_prefix(stacks):
    west = stacks[WEST]
    (role,) = [r for k, r in resources(west, "aws_iam_role").items() if k.startswith("postgres-logical-backup")]
    trust = json.loads(role["assume_role_policy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:production:postgres-logical-backup" in trust.values()
    (policy,) = [
        r for k, r in resources(west, "aws_iam_role_policy").items() if k.startswith("postgres-logical-backup")
    ]
    write, key = json.loads(policy["policy"])["Statement"]
    assert write["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert write["Resource"].endswith(f".arn}}/{PREFIX}/*")
    assert key["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert key["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-west-2.amazonaws.com"
    assert "Deny" not in policy["policy"] and "s3:GetObject" not in policy["policy"]


def test_bucket_expires_the_prefix_and_replicates_and_transfers_everything(stacks):
    west = stacks[WEST]
    lifecycles = resources(west, "aws_s3_bucket_lifecycle_configuration")
    for name in ("backups_lifecycle", "backups_replica_lifecycle"):  # the bucket and its us-east-1 replica
        (config,) = [c for k, c in lifecycles.items() if k.startswith(name + "_")]
        (rule,) = [r for r in config["rule"] if r["id"] == "expire-postgres-logical-production"]
        assert rule["filter"] == [{"prefix": f"{PREFIX}/"}]
        assert rule["expiration"] == [{"days": 35}]
    (replication,) = resources(west, "aws_s3_bucket_replication_configuration").values()
    assert replication["rule"][0]["filter"] == {"prefix": ""}  # the whole bucket: the prefix included
    (job,) = [j for k, j in resources(stacks[DR], "google_storage_transfer_job").items() if "job-" not in k]
    # No include or exclude prefixes: every recent object travels (only the age bounds what a run copies, so
    # a run GCS expired is not copied back: dr.transfer.copy_max_age_days).
    assert job["transfer_spec"]["object_conditions"] == {"max_time_elapsed_since_last_modification": "604800s"}
    assert job["schedule"]["repeat_interval"] == "21600s"
    assert job["schedule"]["start_time_of_day"]["hours"] == 5


def test_gcs_copy_expires_the_prefix(stacks):
    buckets = resources(stacks[DR], "google_storage_bucket")
    (backups,) = [b for b in buckets.values() if b["name"] == "tonebridge-backups-europe-west1"]
    rules = [r for r in backups["lifecycle_rule"] if r["condition"].get("matches_prefix")]
    assert rules == [{"action": {"type": "Delete"}, "condition": {"age": 35, "matches_prefix": [f"{PREFIX}/"]}}]


def test_freshness_alert_fires_before_the_newest_artefact_turns_rpo_old(stacks):
    dr = stacks[DR]
    (metric,) = resources(dr, "google_logging_metric").values()
    assert 'jsonPayload.action="COPY"' in metric["filter"]
    assert f'objectKey=~"^{PREFIX}/[0-9]{{8}}T[0-9]{{6}}Z/manifest\\\\.json$"' in metric["filter"]
    (policy,) = resources(dr, "google_monitoring_alert_policy").values()
    absent = policy["conditions"][0]["condition_absent"]
    # RPO 8h less the worst delivery delay (04:15 backup, ready 04:45, 05:00 transfer done 05:45: 90 min).
    assert absent["duration"] == f"{(8 * 60 - 90) * 60}s"
    assert "production-postgres-logical-backup-arrivals" in absent["filter"]
    assert "older than its RPO (8h)" in policy["display_name"]


def test_only_the_primary_region_backs_up(stacks):
    assert not _manifests(stacks["production-us-east-1-platform"], "CronJob")
    assert _manifests(stacks["local-us-west-2-platform"], "CronJob")
    assert not resources(stacks["local-us-west-2"], "google_logging_metric")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("15 4-23/6 * * *", [255, 615, 975, 1335]),
        ("0 0 3 * * *", [180]),
        ("*/30 1,2 * * *", [60, 90, 120, 150]),
    ],
)
def test_daily_minutes(expression, expected):
    assert schedules.daily_minutes(expression) == expected


def test_delivery_of_production_defaults():
    delivered = schedules.delivery(schedules.daily_minutes("15 4-23/6 * * *"), 30, schedules.every(300, 360), 45)
    assert delivered == schedules.Delivery(loss_window=450, delay=90, arrival_gap=360)
    daily = schedules.delivery(schedules.daily_minutes("15 4-23/6 * * *"), 30, schedules.every(300, 1440), 45)
    assert daily.loss_window == 25 * 60 + 30  # a daily transfer: nothing better than a day and a half hour


def test_schedule_that_skips_days_is_refused():
    with pytest.raises(ValueError, match="must run every day"):
        schedules.daily_minutes("0 4 * * 1-5")


def test_logical_backup_settings_problems_are_lines_of_the_file(tmp_path):
    """What LogicalBackupProps once checked itself (five cron fields, a prefix) is LogicalBackupSettings' own
    rule now: the lines tests/construct_guards.py pinned for those checks are what the loader reports."""
    from tests.config_lines import loader_report

    cases = [
        (
            "schedule",
            "0 0 * * * *",
            "schedule: String should match pattern '^\\S+ \\S+ \\S+ \\S+ \\S+$' (got '0 0 * * * *')",
        ),
        ("prefix", "", "prefix: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got '')"),
    ]
    for field, value, line in cases:
        report = loader_report(tmp_path, ("database", "logical_backup", field), value)
        expected = f"production.yaml: database.logical_backup.{line}"
        assert any(got.endswith(expected) for got in report.splitlines()), report

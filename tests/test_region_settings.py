"""The regional infrastructure's settings are their constructs' own models (tonebridge/props/postgres.py,
registries.py, backups.py, state.py, security.py; the cloud alarms and the web ACL take the observability
and edge sections): a wrong value is one line of the loader's report, before any construct runs. These are
the exact lines the constructs' former checks were guarded by (tests/construct_guards.py)."""

from __future__ import annotations

import pytest

from tests.config_lines import loader_report


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (
            ("database", "rds", "backup_retention_days"),
            0,
            "database.rds.backup_retention_days: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            ("database", "rds", "monitoring_interval"),
            2,
            "database.rds.monitoring_interval: Input should be 1, 5, 10, 15, 30 or 60 (got 2)",
        ),
        (
            ("database", "rds", "allocated_storage_gib"),
            10,
            "database.rds.allocated_storage_gib: Input should be greater than or equal to 20 (got 10)",
        ),
        (
            ("database", "rds", "max_allocated_storage_gib"),
            80,
            "database.rds.max_allocated_storage_gib: 80 must exceed allocated_storage_gib 100 (or be 0 to turn "
            "storage autoscaling off)",
        ),
        (
            ("database", "rds", "replicated_backup_retention_days"),
            40,
            "database.rds.replicated_backup_retention_days: Input should be less than or equal to 35 (got 40)",
        ),
        (
            ("backups", "replica_bucket"),
            "tonebridge-backups",
            "backups.replica_bucket: 'tonebridge-backups' is already used by backups.bucket",
        ),
        (
            ("backups", "infrequent_access_after_days"),
            7,
            "backups.infrequent_access_after_days: Input should be greater than or equal to 30 (got 7)",
        ),
        (
            ("backups", "archive_after_days"),
            30,
            "backups.archive_after_days: 30 must come after infrequent_access_after_days 30",
        ),
        (
            ("backups", "archive_storage_class"),
            "GLACIER_FLEXIBLE",
            "backups.archive_storage_class: Input should be 'GLACIER_IR', 'GLACIER' or 'DEEP_ARCHIVE' "
            "(got 'GLACIER_FLEXIBLE')",
        ),
        (
            ("backups", "object_lock_mode"),
            "LEGAL",
            "backups.object_lock_mode: Input should be 'COMPLIANCE' or 'GOVERNANCE' (got 'LEGAL')",
        ),
        (
            ("backups", "noncurrent_expiry_days"),
            14,
            "backups.noncurrent_expiry_days: 14 is shorter than object_lock_days 30: lifecycle would try to "
            "expire versions the lock still protects",
        ),
        (("backups", "replicate"), False, "backups.replication_time_control: needs backups.replicate"),
        (
            ("state", "access_log_bucket"),
            "tonebridge-terraform-state",
            "state.access_log_bucket: must differ from state.bucket (the logs would log themselves)",
        ),
        (
            ("state", "noncurrent_version_retention_days"),
            0,
            "state.noncurrent_version_retention_days: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            ("security", "deploy_principals"),
            [],
            "security.deploy_principals: List should have at least 1 item after validation, not 0",
        ),
        (
            ("platform", "us-west-2", "observability", "cloud_alarms", "period_seconds"),
            90,
            "platform.us-west-2.observability.cloud_alarms.period_seconds: 90 is not a multiple of 60 "
            "(standard-resolution metrics)",
        ),
        (
            ("platform", "us-west-2", "observability", "cloud_alarms", "evaluation_periods"),
            0,
            "platform.us-west-2.observability.cloud_alarms.evaluation_periods: Input should be greater than or "
            "equal to 1 (got 0)",
        ),
        (
            ("platform", "us-west-2", "observability", "cloud_alarms", "rds_cpu_percent"),
            120,
            "platform.us-west-2.observability.cloud_alarms.rds_cpu_percent: Input should be less than or equal to "
            "100 (got 120)",
        ),
        (
            ("platform", "us-west-2", "edge", "hostname"),
            "API.tonebridge.io",
            "platform.us-west-2.edge.hostname: 'API.tonebridge.io' is not a fully qualified lowercase DNS name",
        ),
        (
            ("platform", "us-west-2", "edge", "rate_limit"),
            5,
            "platform.us-west-2.edge.rate_limit: Input should be greater than or equal to 10 (got 5)",
        ),
        (
            ("platform", "us-west-2", "edge", "blocked_countries"),
            ["KP", "XX"],
            "platform.us-west-2.edge.blocked_countries[1]: 'XX' is not an ISO 3166-1 alpha-2 country code (for "
            "example KP)",
        ),
        (
            ("platform", "us-west-2", "edge", "managed_rule_groups"),
            [],
            "platform.us-west-2.edge.managed_rule_groups: List should have at least 1 item after validation, not 0",
        ),
        (
            ("platform", "us-west-2", "edge", "managed_rule_groups"),
            ["AWSManagedRulesCommonRuleSet"] * 2,
            "platform.us-west-2.edge.managed_rule_groups: values must be distinct",
        ),
        (
            ("platform", "us-west-2", "edge", "waf_log_retention_days"),
            42,
            "platform.us-west-2.edge.waf_log_retention_days: Input should be 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
            "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 (got 42)",
        ),
        (
            ("registries", "services"),
            [],
            "registries.services: List should have at least 1 item after validation, not 0",
        ),
        (
            ("registries", "keep_releases"),
            0,
            "registries.keep_releases: Input should be greater than or equal to 1 (got 0)",
        ),
    ],
)
def test_settings_problems_are_lines_of_the_file(tmp_path, path, value, line):
    report = loader_report(tmp_path, path, value)
    assert f"production.yaml: {line}" in report, report

"""The regional infrastructure's settings are their constructs' own models (tonebridge/props/postgres.py,
tonebridge/props/registries.py): a wrong value is one line of the loader's report, before any construct
runs. These are the exact lines the constructs' former checks were guarded by (tests/construct_guards.py)."""

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

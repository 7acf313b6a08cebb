"""The regional infrastructure features alone (tonebridge/features: region, backups, database, edge,
alarms), on the branches the environment files do not take: a third region with neither repositories nor
replica template, a replica region without the template, a secondary region without any database
replica, a replica asked for without its primary, backups outside the primary region, a bucket per
other environment without replication, and the features that build nothing without their settings."""

from __future__ import annotations

import pytest

from tests.conftest import resources
from tests.construct_harness import bare_stack, only, synth_alone


def _at(region: str, secondary: str | None = "us-east-1"):
    from tonebridge.features.region import RegionPlacement

    return RegionPlacement("tb-unit", region, "us-west-2", secondary)


def _registries(**overrides):
    from tonebridge.props.registries import RegistriesSettings

    return RegistriesSettings(
        **{"services": ["api-gateway"], "production_prefix": "tb", "staging_prefix": "tb-staging", **overrides}
    )


def test_placement_names_the_region_and_knows_the_primary():
    at = _at("us-east-1")
    assert (at.name, at.is_primary, _at("us-west-2").is_primary) == ("tb-unit-us-east-1", False, True)


def test_registries_in_the_primary_replicate_production_only_to_the_secondary():
    from tonebridge.features.region import add_registries

    seen = {}
    out = synth_alone(lambda stack: seen.setdefault("r", add_registries(stack, _registries(), _at("us-west-2"))))
    assert sorted(seen["r"].repositories) == ["tb-staging/api-gateway", "tb/api-gateway"]
    (rule,) = only(out, "aws_ecr_replication_configuration")["replication_configuration"]["rule"]
    assert rule["destination"][0]["region"] == "us-east-1"
    assert rule["repository_filter"][0]["filter"] == "tb/"


def test_registries_elsewhere_create_no_repositories_and_the_template_only_where_asked():
    from tonebridge.features.region import add_registries

    def build(settings, region):
        stack = bare_stack(region=region)
        return add_registries(stack, settings, _at(region)), stack

    third, stack = build(_registries(), "eu-west-1")
    assert third is None and not stack.node.try_find_child("registry-replicas")
    without, stack = build(_registries(replica_template=False), "us-east-1")
    assert without is None and not stack.node.try_find_child("registry-replicas")
    unreplicated, stack = build(_registries(replicate_production=False), "us-east-1")
    assert unreplicated is None and not stack.node.try_find_child("registry-replicas")
    _, stack = build(_registries(), "us-east-1")
    assert stack.node.try_find_child("registry-replicas") is not None


def _network_of(stack):
    """A stand-in for the region's VPC and cluster: the database reads their ids only."""
    from types import SimpleNamespace

    vpc = SimpleNamespace(vpc_id="vpc-1", db_subnet_group_name="tb-data", bastion_security_group_id=None)
    cluster = SimpleNamespace(node_security_group_id="sg-node", cluster_security_group_id="sg-cp")
    return vpc, cluster


def test_a_secondary_region_without_replica_or_backup_replication_has_no_database():
    from tonebridge.features.database import add_database
    from tonebridge.props.postgres import RdsSettings

    settings = RdsSettings(cross_region_replica=False, automated_backup_replication=False)
    stack = bare_stack(region="us-east-1")
    database = add_database(stack, settings, {"max_connections": "100"}, _at("us-east-1"), *_network_of(stack), None)
    assert (database.postgres, database.primary, database.replica, database.outputs) == (None, None, None, {})


def test_a_replica_without_its_primary_is_refused():
    from tonebridge.features.database import add_database
    from tonebridge.props.postgres import RdsSettings

    stack = bare_stack(region="us-east-1")
    with pytest.raises(ValueError, match="needs the primary region's stack"):
        add_database(stack, RdsSettings(), {"max_connections": "100"}, _at("us-east-1"), *_network_of(stack), None)


def test_a_backups_only_replica_region_outputs_its_security_group_but_no_endpoint():
    from tonebridge.features.database import add_database
    from tonebridge.props.postgres import RdsSettings

    def build(stack):
        vpc, cluster = _network_of(stack)
        primary = add_database(stack, RdsSettings(), {"max_connections": "100"}, _at("us-west-2"), vpc, cluster, None)
        replica = add_database(
            stack,
            RdsSettings(cross_region_replica=False),
            {"max_connections": "100"},
            _at("us-east-1"),
            vpc,
            cluster,
            primary.primary,
        )
        assert set(primary.outputs) == {
            "database_endpoint",
            "database_port",
            "database_master_secret_arn",
            "database_security_group_id",
        }
        assert set(replica.outputs) == {"database_replica_security_group_id"}

    out = synth_alone(build)
    assert sorted(r["identifier"] for r in resources(out, "aws_db_instance").values()) == ["tb-unit"]
    assert only(out, "aws_db_instance_automated_backups_replication")["retention_period"] == 7


def test_backups_outside_the_primary_region_build_nothing():
    from tonebridge.features.backups import add_backups
    from tonebridge.props.backups import BackupsSettings

    stack = bare_stack(region="us-east-1")
    found = add_backups(
        stack,
        BackupsSettings(bucket="tb-unit-backups"),
        _at("us-east-1"),
        lambda region: pytest.fail("no replica outside the primary region"),
        environments=["staging"],
        expiring_prefixes={},
        transfer_role_name=None,
    )
    assert (found.production, found.environments, found.outputs) == (None, {}, {})


def test_backups_without_replication_keep_one_bucket_per_other_environment():
    from tonebridge.features.backups import add_backups
    from tonebridge.props.backups import BackupsSettings

    settings = BackupsSettings(
        bucket="tb-unit-backups",
        replicate=False,
        replication_time_control=False,
        environment_buckets={"qa": "tb-unit-qa-backups"},
    )
    seen = {}

    def build(stack):
        seen["b"] = add_backups(
            stack,
            settings,
            _at("us-west-2"),
            lambda region: pytest.fail("replicate is off"),
            environments=["production", "staging", "qa", "staging"],
            expiring_prefixes={"logical": 7},
            transfer_role_name=None,
        )

    out = synth_alone(build)
    found = seen["b"]
    assert list(found.environments) == ["staging", "qa"]
    assert found.outputs == {
        "backups_bucket": found.production.bucket_name,
        "backups_bucket_arn": found.production.bucket_arn,
    }
    assert sorted(r["bucket"] for r in resources(out, "aws_s3_bucket").values()) == [
        "tb-unit-backups",
        "tb-unit-backups-access-logs",
        "tb-unit-backups-staging",
        "tb-unit-backups-staging-access-logs",
        "tb-unit-qa-backups",
        "tb-unit-qa-backups-access-logs",
    ]
    assert "aws_s3_bucket_replication_configuration" not in out["resource"]
    # the expiring prefix is production's (its logical backups), not the other environments'
    rules = [
        [rule["id"] for rule in r["rule"]]
        for r in resources(out, "aws_s3_bucket_lifecycle_configuration").values()
        if len(r["rule"]) > 1
    ]
    assert rules == [["tier-and-expire-versions", "expire-logical"]]


def test_edge_and_alarms_build_nothing_without_their_settings():
    from tonebridge.features.alarms import add_cloud_alarms
    from tonebridge.features.database import RegionalDatabase
    from tonebridge.features.edge import add_edge

    stack = bare_stack()
    before = len(stack.node.children)
    edge = add_edge(stack, None, _at("us-west-2"), None, behind_cdn=False, cdn_origin=None)
    assert (edge.protection, edge.load_balancer, edge.outputs) == (None, None, {})
    assert add_cloud_alarms(stack, None, _at("us-west-2"), RegionalDatabase(), None, [], None) is None
    assert len(stack.node.children) == before

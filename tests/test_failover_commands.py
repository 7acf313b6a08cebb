"""The failover runbook's commands against moto server on a free loopback port (the emulator test runs
them again on the deployed `local` environment, followed by a clean plan: tools/failover_drill.py),
and the configuration switches that make Terraform agree with them."""

from __future__ import annotations

import boto3
import pytest

from tests.pg_server import free_port
from tools.emulator import running_emulator
from tools.failover import hold_primary, promote_replica, replica_identifier


@pytest.fixture
def emulated_local(environments, tmp_path):
    env = environments["local"]
    endpoint = f"https://127.0.0.1:{free_port()}"
    emulator = env.aws.emulator.model_copy(update={"endpoint": endpoint})
    local = env.model_copy(update={"aws": env.aws.model_copy(update={"emulator": emulator})})
    with running_emulator(endpoint, log_path=str(tmp_path / "moto.log")):
        yield local


def _client(env, service, region):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=env.aws.emulator.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's fixed test key
        verify=False,
    )


@pytest.mark.integration
def test_promote_replica_leaves_a_standalone_instance(emulated_local):
    env = emulated_local
    west = _client(env, "rds", "us-west-2")
    primary = west.create_db_instance(
        DBInstanceIdentifier="tonebridge-local",
        Engine="postgres",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]
    east = _client(env, "rds", "us-east-1")
    east.create_db_instance_read_replica(
        DBInstanceIdentifier=replica_identifier(env), SourceDBInstanceIdentifier=primary["DBInstanceArn"]
    )
    (before,) = east.describe_db_instances(DBInstanceIdentifier=replica_identifier(env))["DBInstances"]
    assert before["ReadReplicaSourceDBInstanceIdentifier"]

    assert promote_replica(env, poll_seconds=1) == "tonebridge-local-us-east-1"

    (after,) = east.describe_db_instances(DBInstanceIdentifier=replica_identifier(env))["DBInstances"]
    assert not after.get("ReadReplicaSourceDBInstanceIdentifier")  # what the provider reads: standalone
    (source,) = west.describe_db_instances(DBInstanceIdentifier="tonebridge-local")["DBInstances"]
    assert not source.get("ReadReplicaDBInstanceIdentifiers")
    assert promote_replica(env, poll_seconds=1)  # again: already standalone, nothing to do


@pytest.mark.integration
def test_hold_primary_inverts_only_the_primarys_check(emulated_local):
    env = emulated_local
    route53 = _client(env, "route53", "us-east-1")
    ids = {}
    for region in ("us-west-2", "us-east-1"):
        check = route53.create_health_check(
            CallerReference=region,
            HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": f"{region}.example", "Port": 443},
        )["HealthCheck"]
        route53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=check["Id"],
            AddTags=[{"Key": "Name", "Value": f"local-{region}-edge"}],
        )
        ids[region] = check["Id"]
    assert hold_primary(env, hold=True) == ids["us-west-2"]
    inverted = {
        r: route53.get_health_check(HealthCheckId=i)["HealthCheck"]["HealthCheckConfig"] for r, i in ids.items()
    }
    assert inverted["us-west-2"]["Inverted"] is True and inverted["us-east-1"]["Inverted"] is False
    hold_primary(env, hold=False)
    assert (
        route53.get_health_check(HealthCheckId=ids["us-west-2"])["HealthCheck"]["HealthCheckConfig"]["Inverted"]
        is False
    )


def test_switches_shape_the_synthesized_stacks(environments, tmp_path):
    """replica_promoted drops replicate_source_db; hold_primary inverts the primary's check only."""
    import json

    from tonebridge.app import build_app

    env = environments["local"]
    rds = env.database.rds.model_copy(update={"replica_promoted": True})
    dns = env.dns.model_copy(update={"health_check": env.dns.health_check.model_copy(update={"hold_primary": True})})
    switched = env.model_copy(update={"database": env.database.model_copy(update={"rds": rds}), "dns": dns})
    build_app([switched], outdir=str(tmp_path)).synth()
    east = json.loads((tmp_path / "stacks" / "local-us-east-1" / "cdk.tf.json").read_text())
    (replica,) = east["resource"]["aws_db_instance"].values()
    assert "replicate_source_db" not in replica and replica["identifier"] == "tonebridge-local-us-east-1"
    checks = json.loads((tmp_path / "stacks" / "local-global" / "cdk.tf.json").read_text())["resource"][
        "aws_route53_health_check"
    ]
    assert [c.get("invert_healthcheck") for c in checks.values()] == [True]  # local: the primary's check only

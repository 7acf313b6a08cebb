"""Runbook commands of a regional failover (docs/runbooks/regional-failover.md): the API calls that must happen
at once, each followed by the configuration switch that makes Terraform's next plan agree with them.

* ``promote-replica``: RDS PromoteReadReplica of ``<Project>-<env>-<secondary>`` in the secondary
  region, then waits until it is available. Afterwards set ``database.rds.replica_promoted: true``
  (the instance is declared without ``replicate_source_db``) and apply ``<env>-<secondary>``: no change.
* ``hold-primary`` / ``release-primary``: invert (or restore) the primary region's Route53 health check,
  so that traffic stays on the SECONDARY record while the primary flaps. Afterwards set
  ``dns.health_check.hold_primary`` to match and apply ``<env>-global``: no change.

Usage: ``python -m tools.failover <command> --environment <name>`` (``make promote-replica``,
``make hold-primary``, ``make release-primary`` with ``ENV=<name>``). Credentials: the AWS SDK's usual
chain; for an emulated environment (``aws.emulator``), its loopback endpoint and test keys.
"""

from __future__ import annotations

import argparse
import sys

from tonebridge.cli import report
from tonebridge.config import ConfigError, EnvironmentConfig, load_environment
from tonebridge.config.loader import environments_dir


def _client(env: EnvironmentConfig, service: str, region: str):
    import boto3

    emulator = env.aws.emulator
    if emulator is None:
        return boto3.client(service, region_name=region)
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the emulator's loopback certificate
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=emulator.endpoint,
        aws_access_key_id=emulator.access_key,
        aws_secret_access_key=emulator.secret_key,
        verify=False,
    )


def replica_identifier(env: EnvironmentConfig) -> str:
    return f"{env.tags['Project']}-{env.name}-{env.aws.secondary_region}"


def promote_replica(env: EnvironmentConfig, *, poll_seconds: int = 15) -> str:
    """Promote the secondary region's read replica and wait until it is available; returns its identifier."""
    if env.aws.secondary_region is None or not env.database.rds.cross_region_replica:
        raise SystemExit(f"{env.name}: no cross-region replica to promote")
    rds = _client(env, "rds", env.aws.secondary_region)
    identifier = replica_identifier(env)
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        print(f"promoting {identifier} in {env.aws.secondary_region}", flush=True)
        rds.promote_read_replica(DBInstanceIdentifier=identifier)
    else:
        print(f"{identifier} is already standalone", flush=True)
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=identifier, WaiterConfig={"Delay": poll_seconds, "MaxAttempts": 240}
    )
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        raise SystemExit(f"{identifier} still reports a replication source after promotion")
    print(
        f"{identifier} is standalone and available. Now set database.rds.replica_promoted: true in "
        f"environments/{env.name}.yaml, synthesize, and apply {env.name}-{env.aws.secondary_region}.",
        flush=True,
    )
    return identifier


def primary_health_check(env: EnvironmentConfig) -> str:
    """The id of the primary region's edge health check (tagged ``Name=<env>-<primary>-edge``)."""
    route53 = _client(env, "route53", "us-east-1")
    wanted = f"{env.name}-{env.aws.primary_region}-edge"
    for page in route53.get_paginator("list_health_checks").paginate():
        ids = [c["Id"] for c in page["HealthChecks"]]
        if not ids:
            continue
        tags = route53.list_tags_for_resources(ResourceType="healthcheck", ResourceIds=ids[:10])
        for entry in tags["ResourceTagSets"]:
            if {"Key": "Name", "Value": wanted} in entry["Tags"]:
                return entry["ResourceId"]
    raise SystemExit(f"no Route53 health check tagged Name={wanted}")


def hold_primary(env: EnvironmentConfig, hold: bool = True) -> str:
    check = primary_health_check(env)
    _client(env, "route53", "us-east-1").update_health_check(HealthCheckId=check, Inverted=hold)
    state = "inverted (traffic held on the secondary)" if hold else "restored"
    print(
        f"health check {check} of {env.aws.primary_region} {state}. Now set dns.health_check.hold_primary: "
        f"{str(hold).lower()} in environments/{env.name}.yaml, synthesize, and apply {env.name}-global.",
        flush=True,
    )
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regional failover runbook commands")
    parser.add_argument("command", choices=["promote-replica", "hold-primary", "release-primary"])
    parser.add_argument("--environment", required=True)
    args = parser.parse_args(argv)
    try:
        env = load_environment(environments_dir() / f"{args.environment}.yaml")
    except ConfigError as exc:
        return report(exc)
    if args.command == "promote-replica":
        promote_replica(env)
    else:
        hold_primary(env, hold=args.command == "hold-primary")
    return 0


if __name__ == "__main__":
    sys.exit(main())

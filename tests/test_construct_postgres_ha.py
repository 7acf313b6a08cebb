"""PostgresHA: the same surface (endpoint, port, secret, backup_location) over RDS and CloudNativePG, and
no construct-path level of its own (so every logical id of a running database stays as it is)."""

from __future__ import annotations

import pytest

from tests.construct_harness import only, synth_alone


def _rds_props():
    from tonebridge.constructs.postgres.rds import RdsNetworkProps, RdsPostgresProps

    return RdsPostgresProps(
        identifier="tb-primary",
        network=RdsNetworkProps(vpc_id="vpc-1", db_subnet_group_name="tb-data", client_security_group_ids=["sg-a"]),
        parameters={"max_connections": "200"},
    )


def _cnpg_props(settings=None, **overrides):
    from tonebridge.constructs.postgres.cnpg import BarmanStore, CnpgClusterProps
    from tonebridge.props.cnpg import CnpgClusterSettings

    return CnpgClusterProps(
        **{
            "settings": CnpgClusterSettings(name="orders", namespace="staging", **(settings or {})),
            "parameters": {"max_connections": "100"},
            "backup_role_arn": "arn:aws:iam::111122223333:role/orders-backup",
            "backup": BarmanStore(bucket="tb-backups-staging", prefix="/postgres/"),
            "vpc_cidr": "10.1.0.0/16",
            "s3_cidr": "52.216.0.0/15",
            **overrides,
        }
    )


def _outputs(stack, database) -> None:
    from cdktf import TerraformOutput

    for name in ("endpoint", "port", "secret", "backup_location"):
        TerraformOutput(stack, f"out-{name}", value=getattr(database, name))


def test_on_rds_it_is_the_instance_at_the_callers_id_and_exposes_its_references():
    from tonebridge.constructs.postgres.ha import PostgresHA
    from tonebridge.constructs.postgres.rds import RdsPostgres

    seen = {}

    def build(stack):
        seen["db"] = PostgresHA(stack, "database", _rds_props())
        _outputs(stack, seen["db"])

    out = synth_alone(build)
    direct = synth_alone(lambda stack: RdsPostgres(stack, "database", _rds_props()))
    assert out["resource"] == direct["resource"]  # same resources under the same logical ids: no level added
    database = seen["db"]
    assert database.engine == "rds" and isinstance(database.engine_construct, RdsPostgres)
    (instance_id,) = out["resource"]["aws_db_instance"]
    assert instance_id.startswith("database_instance_")
    values = {name.removeprefix("out-"): output["value"] for name, output in out["output"].items()}
    reference = f"${{aws_db_instance.{instance_id}"
    assert values == {
        "endpoint": f"{reference}.address}}",
        "port": f"{reference}.port}}",
        "secret": f"{reference}.master_user_secret[0].secret_arn}}",
        "backup_location": f"{reference}.arn}}",
    }
    assert only(out, "aws_db_instance")["identifier"] == "tb-primary"


def test_on_cloudnativepg_it_is_the_cluster_at_the_callers_id_and_names_its_service_secret_and_store():
    from tonebridge.constructs.postgres.cnpg import CnpgCluster
    from tonebridge.constructs.postgres.ha import CNPG_PORT, PostgresHA

    seen = {}

    def build(stack):
        seen["db"] = PostgresHA(stack, "postgres-staging-orders", _cnpg_props())

    out = synth_alone(build, providers=("kubernetes", "helm"))
    direct = synth_alone(
        lambda stack: CnpgCluster(stack, "postgres-staging-orders", _cnpg_props()), providers=("kubernetes", "helm")
    )
    assert out == direct
    database = seen["db"]
    assert database.engine == "cnpg" and isinstance(database.engine_construct, CnpgCluster)
    (cluster,) = [o for o in database.engine_construct.objects if o["kind"] == "Cluster"]
    name, namespace = cluster["metadata"]["name"], cluster["metadata"]["namespace"]
    # CloudNativePG's read-write service and generated owner secret are named after the cluster.
    assert database.endpoint == f"{name}-rw.{namespace}.svc" == "orders-rw.staging.svc"
    assert database.port == CNPG_PORT == 5432
    assert database.secret == f"{namespace}/{name}-app"
    store = cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
    assert database.backup_location == store == "s3://tb-backups-staging/postgres"


def test_a_cloudnativepg_replica_has_no_backup_location_of_its_own():
    from tonebridge.constructs.postgres.cnpg import BarmanStore
    from tonebridge.constructs.postgres.ha import PostgresHA

    seen = {}
    replica = {"replica": {"source_cluster": "orders-west"}}
    props = _cnpg_props(replica, backup=None, replica_store=BarmanStore(bucket="tb-backups-replica"))
    synth_alone(
        lambda stack: seen.setdefault("db", PostgresHA(stack, "orders", props)), providers=("kubernetes", "helm")
    )
    assert seen["db"].backup_location is None
    assert seen["db"].endpoint == "orders-rw.staging.svc"


def test_props_of_no_engine_and_depends_on_for_rds_are_refused():
    from tonebridge.constructs.postgres.ha import PostgresHA

    def unknown(stack):
        PostgresHA(stack, "database", {"engine": "rds"})

    with pytest.raises(TypeError, match="takes RdsPostgresProps or CnpgClusterProps, not dict"):
        synth_alone(unknown)

    def ordered(stack):
        PostgresHA(stack, "database", _rds_props(), depends_on=[stack])

    with pytest.raises(ValueError, match="an RDS database takes no depends_on"):
        synth_alone(ordered)

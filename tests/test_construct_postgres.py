"""PostgreSQL constructs alone, on the branches the environment files do not take: a promoted RDS replica, a
backups-only replica region, an unprotected primary without storage autoscaling, a CloudNativePG replica cluster,
a cluster without monitoring or clients."""

from __future__ import annotations

import pytest

from tests.conftest import resources
from tests.construct_harness import helm_values, only, synth_alone

SOURCE = "arn:aws:rds:us-west-2:111122223333:db:tb-primary"


def _network():
    from tonebridge.constructs.postgres.rds import RdsNetworkProps

    return RdsNetworkProps(vpc_id="vpc-1", db_subnet_group_name="tb-data", client_security_group_ids=["sg-a", "sg-b"])


def _replica(**settings) -> dict:
    """A replica whose ``database.rds`` settings are ``settings`` (the rest defaults)."""
    from tonebridge.constructs.postgres.rds import RdsPostgresReplica, RdsPostgresReplicaProps
    from tonebridge.props.postgres import RdsSettings

    props = RdsPostgresReplicaProps(
        identifier="tb-replica",
        network=_network(),
        parameters={"max_connections": "200", "work_mem": "4096"},
        settings=RdsSettings(**settings),
        source_arn=SOURCE,
    )
    return synth_alone(lambda stack: RdsPostgresReplica(stack, "replica", props), region="us-east-1")


def test_a_promoted_replica_is_declared_without_its_source():
    """After `make promote-replica` RDS runs a standalone instance: declaring it so plans no change."""
    promoted = _replica(replica_promoted=True, automated_backup_replication=False)
    instance = only(promoted, "aws_db_instance")
    assert "replicate_source_db" not in instance
    assert instance["skip_final_snapshot"] is True
    assert instance["deletion_protection"] is True and instance["storage_encrypted"] is True
    assert "aws_db_instance_automated_backups_replication" not in promoted["resource"]


def test_a_replica_replicates_from_the_source_and_its_backups_under_its_own_key():
    replica = _replica(replicated_backup_retention_days=14, replica_multi_az=False)
    instance = only(replica, "aws_db_instance")
    assert instance["replicate_source_db"] == SOURCE
    assert instance["multi_az"] is False
    (key_id,) = resources(replica, "aws_kms_key")
    backups = only(replica, "aws_db_instance_automated_backups_replication")
    assert backups["source_db_instance_arn"] == SOURCE
    assert backups["retention_period"] == 14
    assert backups["kms_key_id"] == f"${{aws_kms_key.{key_id}.arn}}"


def test_a_region_with_only_backup_replication_has_no_instance():
    backups_only = _replica(cross_region_replica=False)
    assert "aws_db_instance" not in backups_only["resource"]
    assert only(backups_only, "aws_db_instance_automated_backups_replication")["retention_period"] == 7
    # the key, parameter group and security group stay: promotion or a restore in this region uses them
    assert only(backups_only, "aws_db_parameter_group")["family"] == "postgres16"


def test_a_replica_with_nothing_to_create_is_refused():
    with pytest.raises(ValueError, match="nothing to create"):
        _replica(cross_region_replica=False, automated_backup_replication=False)


def test_an_unprotected_primary_without_autoscaling_on_a_pinned_minor():
    from tonebridge.constructs.postgres.rds import RdsPostgres, RdsPostgresProps
    from tonebridge.props.postgres import RdsSettings

    props = RdsPostgresProps(
        identifier="tb-scratch",
        network=_network(),
        parameters={"max_connections": "100", "shared_buffers": "16384"},
        settings=RdsSettings(
            engine_version="17.5",
            instance_class="db.t4g.medium",
            protect=False,
            max_allocated_storage_gib=0,
            allocated_storage_gib=50,
            monitoring_interval=15,
            database_name="scratch",
            master_username="owner",
        ),
    )
    out = synth_alone(lambda stack: RdsPostgres(stack, "db", props))
    instance = only(out, "aws_db_instance")
    assert instance["deletion_protection"] is False
    assert instance["skip_final_snapshot"] is True and instance["delete_automated_backups"] is True
    assert "final_snapshot_identifier" not in instance
    assert instance["max_allocated_storage"] == 0
    assert (instance["engine_version"], instance["allocated_storage"], instance["monitoring_interval"]) == (
        "17.5",
        50,
        15,
    )
    assert (instance["db_name"], instance["username"]) == ("scratch", "owner")
    group = only(out, "aws_db_parameter_group")
    assert group["family"] == "postgres17"
    methods = {p["name"]: (p["value"], p["apply_method"]) for p in group["parameter"]}
    assert methods == {
        "max_connections": ("100", "pending-reboot"),
        "shared_buffers": ("16384", "pending-reboot"),
        "rds.force_ssl": ("1", "immediate"),
    }
    ingress = resources(out, "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r["referenced_security_group_id"] for r in ingress) == ["sg-a", "sg-b"]
    assert {(r["from_port"], r["to_port"]) for r in ingress} == {(5432, 5432)}


# --- CloudNativePG --------------------------------------------------------------------------------------------


def _cnpg(settings=None, **overrides):
    from tonebridge.constructs.postgres.cnpg import CnpgCluster, CnpgClusterProps
    from tonebridge.props.cnpg import CnpgClusterSettings

    props = CnpgClusterProps(
        **{
            "settings": CnpgClusterSettings(name="orders", namespace="staging", **(settings or {})),
            "parameters": {"max_connections": "100"},
            "backup_role_arn": "arn:aws:iam::111122223333:role/orders-backup",
            "backup": None,
            "vpc_cidr": "10.1.0.0/16",
            "s3_cidr": "52.216.0.0/15",
            **overrides,
        }
    )
    out = synth_alone(lambda stack: CnpgCluster(stack, "orders", props), providers=("kubernetes", "helm"))
    objects = {o["kind"]: o for o in helm_values(out, "cnpg-orders")["resources"]}
    policies = {
        r["manifest"]["metadata"]["name"]: r["manifest"]["spec"] for r in resources(out, "kubernetes_manifest").values()
    }
    return objects, policies


def test_a_replica_cluster_recovers_and_replays_from_the_source_and_takes_no_backups():
    from tonebridge.constructs.postgres.cnpg import BarmanStore

    store = BarmanStore(bucket="tb-backups-replica-us-east-1", compression="bzip2")
    objects, policies = _cnpg(
        {"replica": {"source_cluster": "orders-west"}, "instances": 2, "monitoring": False, "client_services": []},
        replica_store=store,
        anti_affinity="preferred",
    )
    assert set(objects) == {"Cluster"}  # no ScheduledBackup: a replica only reads
    spec = objects["Cluster"]["spec"]
    assert spec["bootstrap"] == {"recovery": {"source": "orders-west"}}
    assert spec["replica"] == {"enabled": True, "source": "orders-west"}
    (external,) = spec["externalClusters"]
    assert external["name"] == "orders-west"
    barman = external["barmanObjectStore"]
    assert barman["destinationPath"] == "s3://tb-backups-replica-us-east-1/postgres"
    assert barman["serverName"] == "orders-west"  # the source's folder, not this cluster's name
    assert barman["wal"]["compression"] == "bzip2"
    assert "backup" not in spec
    assert spec["instances"] == 2 and spec["affinity"]["podAntiAffinityType"] == "preferred"
    assert spec["monitoring"] == {"enablePodMonitor": False}
    # no clients and no monitoring namespace: only members and the operator get in
    (ingress_from,) = [p["ingress"] for name, p in policies.items() if name == "orders-postgres"]
    assert len(ingress_from) == 2
    assert "orders-postgres-clients" not in policies


def test_a_primary_cluster_with_clients_and_scraping():
    from tonebridge.constructs.postgres.cnpg import BarmanStore

    objects, policies = _cnpg(
        {"client_services": ["api", "worker"], "retention": "4w", "backup_schedule": "0 30 1 * * *"},
        backup=BarmanStore(bucket="tb-backups", prefix="staging", encryption="aws:kms", server_name="orders-v2"),
        monitoring_namespace="monitoring",
    )
    spec = objects["Cluster"]["spec"]
    assert spec["bootstrap"] == {"initdb": {"database": "tonebridge", "owner": "tonebridge"}}
    assert "replica" not in spec and "externalClusters" not in spec
    barman = spec["backup"]["barmanObjectStore"]
    assert barman["destinationPath"] == "s3://tb-backups/staging"
    assert barman["serverName"] == "orders-v2"
    assert barman["data"]["encryption"] == "aws:kms" and barman["wal"]["encryption"] == "aws:kms"
    assert spec["backup"]["retentionPolicy"] == "4w"
    assert objects["ScheduledBackup"]["spec"]["schedule"] == "0 30 1 * * *"
    ingress = policies["orders-postgres"]["ingress"]
    assert len(ingress) == 4  # members, operator, clients, prometheus
    assert ingress[2]["from"][0]["podSelector"]["matchExpressions"][0]["values"] == ["api", "worker"]
    clients = policies["orders-postgres-clients"]
    assert clients["egress"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    (prometheus,) = ingress[3]["from"]
    assert prometheus["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    assert ingress[3]["ports"] == [{"port": 9187, "protocol": "TCP"}]


# --- logical backup -------------------------------------------------------------------------------------------


def test_a_logical_backup_verifying_the_server_certificate_on_its_own_schedule():
    from tonebridge.constructs.postgres.logical_backup import NAME, LogicalBackup, LogicalBackupProps
    from tonebridge.props.logical_backup import LogicalBackupSettings

    settings = LogicalBackupSettings(
        namespace="backup-jobs",
        service_account="dumper",
        schedule="15 */6 * * *",
        max_duration_minutes=45,
        image="ghcr.io/tonebridge/pg-backup@sha256:" + "0" * 64,
        vault_role="logical-backup",
        vault_database_role="logical-backup",
        ssl_mode="verify-full",
    )
    assert settings.credentials_path == "database/creds/logical-backup"
    props = LogicalBackupProps(
        settings,
        environment="unit",
        role_arn="arn:aws:iam::111122223333:role/tb-unit-logical",
        db_host="tb-unit.abc.us-west-2.rds.amazonaws.com",
        db_port="${aws_db_instance.database.port}",  # a reference, as the stack passes it
        database="orders",
        bucket="tb-unit-backups",
        kms_key_arn="arn:aws:kms:us-west-2:111122223333:key/unit",
        region="us-west-2",
        vault_address="https://vault.vault.svc:8200",
        ca_cert_path="/vault/ca/ca.crt",
        auth_mount="kubernetes",
        audience="vault",
        database_cidrs=["10.9.20.0/24", "10.9.21.0/24"],
    )
    assert props.key_prefix == "postgres-logical/unit"
    out = synth_alone(lambda stack: LogicalBackup(stack, "logical", props), providers=("kubernetes", "helm"))
    found = {
        (r["manifest"]["kind"], r["manifest"]["metadata"]["name"]): r["manifest"]
        for r in resources(out, "kubernetes_manifest").values()
    }
    job = found[("CronJob", NAME)]["spec"]
    assert job["schedule"] == "15 */6 * * *" and job["concurrencyPolicy"] == "Forbid"
    pod = job["jobTemplate"]["spec"]
    assert pod["activeDeadlineSeconds"] == 45 * 60
    (container,) = pod["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PGSSLMODE"] == "verify-full" and env["PGPORT"] == "${aws_db_instance.database.port}"
    assert container["image"] == settings.image
    account = found[("ServiceAccount", "dumper")]
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": props.role_arn}
    assert account["automountServiceAccountToken"] is False
    egress = found[("NetworkPolicy", NAME)]["spec"]["egress"]
    assert egress[0]["to"] == [{"ipBlock": {"cidr": "10.9.20.0/24"}}, {"ipBlock": {"cidr": "10.9.21.0/24"}}]

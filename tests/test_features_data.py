"""The data tier's features alone (tonebridge/features/data.py), for the branches the environment files never
take: a CloudNativePG replica beside a staging cluster with no Prometheus in the region, a warm Redis copy with
its own Vault login, Redis without the secrets path, backup roles of a later stack."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import resources
from tests.construct_harness import helm_values, synth_alone
from tonebridge.constructs.irsa import IrsaProvider

PLACEMENT = {"workload": "operators"}


def _controllers():
    from tonebridge.features.data import Controllers
    from tonebridge.props.pools import Toleration

    return Controllers("1.34", PLACEMENT, [Toleration("dedicated", "operators", "NoSchedule")])


class _NoPrerequisites:
    """A stack that creates none of the namespaces or StorageClasses (they exist already)."""

    def namespace_objects(self, names):
        return []

    def storage_class_objects(self, names):
        return []


@dataclass
class _Buckets:
    """Bucket names as ``backups`` of the configuration gives them."""

    asked: list = field(default_factory=list)

    def bucket_for(self, environment: str) -> str:
        self.asked.append(environment)
        return f"tb-backups-{environment}"

    def replica_bucket_name(self, secondary_region: str) -> str:
        return f"tb-backups-{secondary_region}"


def _cluster(**fields):
    from tonebridge.props.cnpg import CnpgClusterSettings

    return CnpgClusterSettings(**{"name": "orders", "namespace": "staging", **fields})


def test_postgres_a_replica_beside_a_staging_cluster_without_prometheus():
    from tonebridge.constructs.postgres.ha import PostgresHA
    from tonebridge.features.data import CnpgWiring, add_postgres
    from tonebridge.props.cnpg import PostgresPlatformSettings

    settings = PostgresPlatformSettings(
        operator_namespace="databases",
        operator_replicas=3,
        clusters=[
            _cluster(client_services=[]),
            _cluster(name="orders-copy", namespace="replicas", replica={"source_cluster": "orders"}),
        ],
    )
    buckets = _Buckets()
    wiring = CnpgWiring(
        "us-east-1",
        "10.1.0.0/16",
        {"max_connections": "100"},
        buckets,
        {"staging": "staging", "replicas": "production"},
        {"staging/orders": "arn:aws:iam::1:role/orders", "replicas/orders-copy": "arn:aws:iam::1:role/copy"},
    )
    seen = {}

    def build(stack):
        seen["tier"] = add_postgres(
            stack, settings, _controllers(), _NoPrerequisites(), wiring, monitoring_namespace=None, metrics_release=None
        )

    out = synth_alone(build, providers=("kubernetes", "helm"))
    tier = seen["tier"]
    assert set(tier.clusters) == {"staging/orders", "replicas/orders-copy"}
    assert all(isinstance(db, PostgresHA) and db.engine == "cnpg" for db in tier.clusters.values())
    # the staging cluster writes staging's bucket; the replica reads this region's copy and takes no backups
    assert buckets.asked == ["staging"]
    assert tier.clusters["staging/orders"].backup_location == "s3://tb-backups-staging/postgres"
    assert tier.clusters["replicas/orders-copy"].backup_location is None
    replica = next(o for o in tier.clusters["replicas/orders-copy"].engine_construct.objects if o["kind"] == "Cluster")
    (external,) = replica["spec"]["externalClusters"]
    assert external["barmanObjectStore"]["destinationPath"] == "s3://tb-backups-us-east-1/postgres"
    assert external["barmanObjectStore"]["serverName"] == "orders"
    # the operator: its namespace, replicas and the controllers' placement
    values = helm_values(out, "cloudnative-pg")
    assert values["replicaCount"] == 3 and values["nodeSelector"] == PLACEMENT
    assert values["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "operators", "effect": "NoSchedule"}
    ]
    releases = resources(out, "helm_release").values()
    assert {r["namespace"] for r in releases if r["name"] == "cloudnative-pg"} == {"databases"}
    # no Prometheus in the region: no release waited for, no scrape admitted
    assert all("9187" not in str(r["manifest"]) for r in resources(out, "kubernetes_manifest").values())


def test_postgres_without_clusters_builds_nothing():
    from tonebridge.features.data import CnpgWiring, add_postgres
    from tonebridge.props.cnpg import PostgresPlatformSettings

    wiring = CnpgWiring("us-west-2", "10.0.0.0/16", {"a": "1"}, _Buckets(), {}, {})
    seen = {}
    out = synth_alone(
        lambda stack: seen.setdefault(
            "tier",
            add_postgres(
                stack,
                PostgresPlatformSettings(),
                _controllers(),
                _NoPrerequisites(),
                wiring,
                monitoring_namespace="monitoring",
                metrics_release=None,
            ),
        ),
        providers=("kubernetes", "helm"),
    )
    assert seen["tier"] is None
    assert "resource" not in out


def _redis(**fields):
    from tonebridge.props.redis import RedisSettings

    return RedisSettings(**{"enabled": True, "clients": {"namespace": "production"}, **fields})


@dataclass(frozen=True)
class _Login:
    auth_mount: str = "k8s-east"
    audience: str = "vault-east"


def test_redis_a_warm_copy_logs_in_with_the_shared_auth_mount_and_audience():
    from tonebridge.constructs.kube import kube_object
    from tonebridge.features.data import add_redis

    def build(stack):
        marker = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": "default"}}
        dependable = kube_object(stack, marker, construct_id="stand-in")

        class Vault:
            address = "https://vault.vault.svc:8200"
            ca_bundle_secret = "vault-ca-bundle"  # noqa: S105 - a secret's name
            certificates = dependable

        class Operator:
            release = dependable

        class Secrets:
            vault, operator = Vault(), Operator()

        tier = add_redis(
            stack,
            _redis(),
            _controllers(),
            _NoPrerequisites(),
            Secrets(),
            _Login(),
            warm=True,
            monitoring_namespace=None,
        )
        assert tier is not None and tier.cluster.resources is not None

    out = synth_alone(build, providers=("kubernetes", "helm"))
    objects = {o["kind"]: o for o in helm_values(out, "redis-redis")["resources"]}
    assert objects["RedisCluster"]["metadata"]["labels"] == {"tonebridge.io/cache-role": "warm-standby"}
    auth = objects["VaultAuth"]["spec"]
    assert auth["mount"] == "k8s-east" and auth["kubernetes"]["audiences"] == ["vault-east"]
    assert objects["VaultConnection"]["spec"]["caCertSecretRef"] == "vault-ca-bundle"
    assert helm_values(out, "redis-operator")["nodeSelector"] == PLACEMENT


def test_redis_off_builds_nothing_and_without_vault_is_refused():
    from tonebridge.features.data import add_redis, redis_vault_role
    from tonebridge.props.redis import RedisSettings

    off = RedisSettings()
    assert redis_vault_role(off) is None
    out = synth_alone(
        lambda stack: add_redis(
            stack, off, _controllers(), _NoPrerequisites(), None, _Login(), warm=False, monitoring_namespace=None
        ),
        providers=("kubernetes", "helm"),
    )
    assert "resource" not in out
    with pytest.raises(ValueError, match="reads its password from Vault"):
        synth_alone(
            lambda stack: add_redis(
                stack,
                _redis(),
                _controllers(),
                _NoPrerequisites(),
                None,
                _Login(),
                warm=False,
                monitoring_namespace=None,
            ),
            providers=("kubernetes", "helm"),
        )


def test_redis_vault_role_reads_exactly_its_password():
    from tonebridge.features.data import redis_vault_role

    role = redis_vault_role(_redis(namespace="cache", password={"mount": "kv", "path": "cache/pw", "role": "cache"}))
    assert (role.role, role.service_account, role.namespace) == ("cache", "redis-vault", "cache")
    assert role.paths == ("kv/data/cache/pw",)


@dataclass
class _Key:
    arn: str


@dataclass
class _BucketPair:
    """A backups bucket as the feature uses it; records the roles its policy and key are given."""

    bucket_arn: str
    key: _Key
    replica_bucket_arn: str | None = None
    replica_key: _Key | None = None
    writers: list = field(default_factory=list)
    readers: list = field(default_factory=list)

    def allow_writer(self, role_arn, *, created_later=False):
        self.writers.append((role_arn, created_later))

    def allow_reader(self, role_arn, *, replica=False, created_later=False):
        self.readers.append((role_arn, replica, created_later))


class _Eks:
    """Stands in for the EKS cluster: only its IRSA provider."""

    irsa = IrsaProvider(
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
        "oidc.eks.us-east-1.amazonaws.com/id/X",
    )


def test_backup_roles_of_a_later_stack_name_themselves_by_arn_and_read_only_the_replica():
    from tonebridge.features.data import CnpgBackupTargets, add_cnpg_backup_roles

    production = _BucketPair(
        "arn:aws:s3:::tb-backups",
        _Key("arn:aws:kms:us-west-2:1:key/p"),
        replica_bucket_arn="arn:aws:s3:::tb-backups-us-east-1",
        replica_key=_Key("arn:aws:kms:us-east-1:1:key/r"),
    )
    staging = _BucketPair("arn:aws:s3:::tb-backups-staging", _Key("arn:aws:kms:us-west-2:1:key/s"))
    clusters = [_cluster(), _cluster(name="copy", namespace="production", replica={"source_cluster": "orders"})]
    seen = {}

    def build(stack):
        targets = CnpgBackupTargets(
            "us-east-1",
            "us-west-2",
            "tb-east",
            _Eks(),
            {"production": production, "staging": staging},
            {"staging": "staging"},
            primary_stack=stack,
        )
        seen["roles"] = add_cnpg_backup_roles(stack, clusters, targets)

    out = synth_alone(build, region="us-east-1")
    assert set(seen["roles"]) == {"staging/orders", "production/copy"}
    names = sorted(r["name"] for r in resources(out, "aws_iam_role").values())
    assert names == ["tb-east-cnpg-production-copy", "tb-east-cnpg-staging-orders"]
    # a later stack's roles are named by ARN string (no token back into the primary stack) and by condition
    ((writer, later),) = staging.writers
    assert later and writer.endswith(":role/tb-east-cnpg-staging-orders") and writer.startswith("arn:")
    ((reader, replica, later),) = production.readers
    assert replica and later and reader.endswith(":role/tb-east-cnpg-production-copy")
    assert production.writers == [] and staging.readers == []


def test_backup_roles_refuse_a_replica_of_an_unreplicated_bucket_or_environment():
    from tonebridge.features.data import CnpgBackupTargets, add_cnpg_backup_roles

    bucket = _BucketPair("arn:aws:s3:::tb-backups", _Key("arn:aws:kms:us-west-2:1:key/p"))
    replica = [_cluster(replica={"source_cluster": "orders-west"})]

    def targets(environments):
        buckets = {"production": bucket, "staging": bucket}
        return CnpgBackupTargets("us-east-1", "us-west-2", "tb-east", _Eks(), buckets, environments)

    with pytest.raises(ValueError, match="only production's backups are replicated"):
        synth_alone(lambda stack: add_cnpg_backup_roles(stack, replica, targets({"staging": "staging"})))
    with pytest.raises(ValueError, match=r"needs backups\.replicate"):
        synth_alone(lambda stack: add_cnpg_backup_roles(stack, replica, targets({"staging": "production"})))

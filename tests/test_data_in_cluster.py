"""The in-cluster data tier (spec §4.1 on CloudNativePG, §4.2, §9.1) in synthesized production,
and the early checks of its props."""

from __future__ import annotations

import json

import pytest

from tests.conftest import chart_release as _release
from tests.conftest import objects_by_name as _objects
from tests.conftest import resources

WEST = "production-us-west-2-platform"
EAST = "production-us-east-1-platform"

#: Spec §4.1, typed in from the spec (not imported from the code under test).
SPEC_PARAMETERS = {
    "max_connections": "200",
    "shared_buffers": "256MB",
    "effective_cache_size": "1GB",
    "work_mem": "4MB",
    "maintenance_work_mem": "64MB",
    "checkpoint_completion_target": "0.9",
    "wal_buffers": "16MB",
    "default_statistics_target": "100",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
}
#: Spec §4.2.
SPEC_REDIS_CONF = ["maxmemory 2gb", "maxmemory-policy allkeys-lru", "appendonly yes", "appendfsync everysec"]
DATABASE_TOLERATION = {"key": "database", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def west(stacks):
    return stacks[WEST]


@pytest.fixture(scope="module")
def west_objects(west):
    return _objects(west)


# --- CloudNativePG (spec §4.1) -------------------------------------------------------------------


def test_cnpg_cluster_has_the_spec_values(west_objects):
    cluster = west_objects[("Cluster", "tonebridge")]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["metadata"]["namespace"] == "staging"
    spec = cluster["spec"]
    assert spec["instances"] == 3
    assert spec["imageName"].startswith("ghcr.io/cloudnative-pg/postgresql:16.")
    assert spec["postgresql"]["parameters"] == SPEC_PARAMETERS
    assert spec["bootstrap"] == {"initdb": {"database": "tonebridge", "owner": "tonebridge"}}
    assert spec["storage"] == {"size": "100Gi", "storageClass": "fast-ssd"}
    assert spec["monitoring"] == {"enablePodMonitor": True}
    assert spec["enablePDB"] is True  # CloudNativePG manages the PodDisruptionBudgets


def test_cnpg_backups_go_to_the_backups_bucket_through_irsa(west_objects):
    spec = west_objects[("Cluster", "tonebridge")]["spec"]
    backup = spec["backup"]
    assert backup["retentionPolicy"] == "30d"
    store = backup["barmanObjectStore"]
    # staging's database: its own bucket (spec §4.1's s3://tonebridge-backups/postgres is production's)
    assert store["destinationPath"] == "s3://tonebridge-backups-staging/postgres"
    assert store["s3Credentials"] == {"inheritFromIAMRole": True}  # no access keys anywhere
    assert store["wal"]["compression"] == store["data"]["compression"] == "gzip"
    role = spec["serviceAccountTemplate"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role.startswith("${data.terraform_remote_state.") and "cnpg-backups-staging-tonebridge" in role
    scheduled = west_objects[("ScheduledBackup", "tonebridge-daily")]["spec"]
    assert scheduled["cluster"] == {"name": "tonebridge"}
    assert scheduled["backupOwnerReference"] == "self"
    assert scheduled["method"] == "barmanObjectStore"
    assert len(scheduled["schedule"].split()) == 6  # CloudNativePG's cron has seconds


def test_cnpg_instances_spread_across_zones_on_the_database_pool(west_objects):
    affinity = west_objects[("Cluster", "tonebridge")]["spec"]["affinity"]
    assert affinity["enablePodAntiAffinity"] is True
    assert affinity["topologyKey"] == "topology.kubernetes.io/zone"
    assert affinity["podAntiAffinityType"] == "required"
    assert affinity["nodeSelector"] == {"workload": "database"}
    assert affinity["tolerations"] == [DATABASE_TOLERATION]
    resources_ = west_objects[("Cluster", "tonebridge")]["spec"]["resources"]
    assert set(resources_) == {"requests", "limits"}


def test_cnpg_operator_is_pinned_restricted_and_on_application_nodes(west, west_objects):
    from tonebridge.charts import CLOUDNATIVE_PG

    release_id, release = _release(west, "cloudnative-pg")
    assert release["repository"] == "https://cloudnative-pg.github.io/charts"
    assert release["version"] == CLOUDNATIVE_PG.version
    assert release["namespace"] == "cnpg-system"
    values = json.loads(release["values"][0])
    assert values["replicaCount"] == 2
    assert values["nodeSelector"] == {"workload": "application"}
    assert values["tolerations"] == []
    assert values["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    namespace = west_objects[("Namespace", "cnpg-system")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # the Cluster is installed after its operator (whose chart brings the CRDs)
    (cluster_release,) = [
        r for k, r in resources(west, "helm_release").items() if k.startswith("postgres-staging-tonebridge")
    ]
    assert f"helm_release.{release_id}" in cluster_release["depends_on"]


def test_cnpg_backup_role_is_limited_to_the_postgres_prefix(stacks):
    infra = stacks["production-us-west-2"]
    roles = {r["name"]: (k, r) for k, r in resources(infra, "aws_iam_role").items()}
    key, role = roles["tonebridge-production-cnpg-staging-tonebridge"]
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    subjects = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subjects == ["system:serviceaccount:staging:tonebridge"]
    (policy,) = [p for p in resources(infra, "aws_iam_role_policy").values() if key in p["role"]]
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert statements["BackupObjects"]["Resource"].endswith("/postgres/*")
    assert statements["BackupObjects"]["Resource"].startswith("${aws_s3_bucket.backups-staging_bucket")
    assert statements["ListBackupPrefix"]["Condition"] == {
        "StringLikeIfExists": {"s3:prefix": ["postgres", "postgres/*"]}
    }
    assert statements["BucketKeyThroughS3"]["Resource"].startswith("${aws_kms_key.backups-staging_key")
    assert statements["BucketKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    }


# --- Redis (spec §4.2, §9.1) ---------------------------------------------------------------------


def test_redis_cluster_has_the_spec_values(west_objects):
    redis = west_objects[("RedisCluster", "redis")]
    assert redis["apiVersion"] == "redis.redis.opstreelabs.in/v1beta2"
    spec = redis["spec"]
    assert spec["clusterSize"] == 3
    assert spec["redisLeader"]["replicas"] == 3
    assert spec["redisFollower"]["replicas"] == 3
    assert redis["metadata"]["namespace"] == "redis"  # a namespace of its own, apart from the applications' quota
    volume = spec["storage"]["volumeClaimTemplate"]["spec"]
    assert volume["storageClassName"] == "fast-ssd"
    assert volume["resources"]["requests"]["storage"] == "10Gi"
    # one claim per pod: nodes.conf lives on the data claim, no separate node-conf claim
    assert spec["storage"]["nodeConfVolume"] is False
    assert "nodeConfVolumeClaimTemplate" not in spec["storage"]
    assert {"name": "NODE_CONF_DIR", "value": "/data"} in spec["env"]
    assert spec["redisExporter"]["enabled"] is True
    for role in ("redisLeader", "redisFollower"):
        assert spec[role]["redisConfig"] == {"additionalRedisConfig": "redis-config"}
        assert spec[role]["pdb"] == {"enabled": True, "maxUnavailable": 1}
        assert spec[role]["nodeSelector"] == {"workload": "database"}
        assert spec[role]["tolerations"] == [DATABASE_TOLERATION]
    config = west_objects[("ConfigMap", "redis-config")]
    assert config["data"]["redis-additional.conf"].splitlines() == SPEC_REDIS_CONF


def test_redis_pods_meet_the_restricted_profile_with_a_read_only_root(west, west_objects):
    spec = west_objects[("RedisCluster", "redis")]["spec"]
    pod = spec["podSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    contexts = [spec[role]["securityContext"] for role in ("redisLeader", "redisFollower", "redisExporter")]
    # the operator's init-config container takes spec.initContainer's context; the custom one stays off
    assert spec["initContainer"]["enabled"] is False
    for context in (*contexts, spec["initContainer"]["securityContext"]):
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
    # what redis-server writes outside /data: its pid file, on an emptyDir
    mount = spec["storage"]["volumeMount"]
    assert mount["volume"] == [{"name": "run", "emptyDir": {}}]
    assert mount["mountPath"] == [{"name": "run", "mountPath": "/var/run"}]
    # redis.conf is generated by the operator's init container into its /etc/redis emptyDir
    _, release = _release(west, "redis-operator")
    assert json.loads(release["values"][0])["featureGates"] == {"GenerateConfigInInitContainer": True}
    labels = west_objects[("Namespace", "redis")]["metadata"]["labels"]
    assert labels["tonebridge.io/read-only-root"] == "required"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_redis_password_comes_from_vault_never_from_the_stack(west, west_objects):
    spec = west_objects[("RedisCluster", "redis")]["spec"]
    secret = spec["kubernetesConfig"]["redisSecret"]
    assert secret == {"name": "redis-password", "key": "password"}
    vss = west_objects[("VaultStaticSecret", "redis-password")]
    assert vss["apiVersion"] == "secrets.hashicorp.com/v1beta1"
    assert vss["metadata"]["namespace"] == "redis"
    assert (vss["spec"]["type"], vss["spec"]["mount"], vss["spec"]["path"]) == ("kv-v2", "secret", "redis")
    assert vss["spec"]["destination"]["name"] == "redis-password"
    assert vss["spec"]["destination"]["create"] is True
    # No secret value in the stack: the one Secret object is the Jenkins release launcher's token, which
    # Kubernetes fills (type service-account-token, no data from code; tests/test_ci.py).
    secrets = [o for o in west_objects.values() if o["kind"] == "Secret"]
    assert [(o["metadata"]["name"], o["type"]) for o in secrets] == [
        ("jenkins-release-agent-launcher-token", "kubernetes.io/service-account-token")
    ]
    assert not [o for o in secrets if {"data", "stringData"} & set(o)]
    assert "kubernetes_secret" not in west.get("resource", {})


@pytest.mark.parametrize("stack", [WEST, EAST])
def test_redis_password_syncs_through_a_vault_auth_of_its_own_namespace(stacks, stack):
    """VSO only uses a service account of the VaultStaticSecret's namespace (VSO docs, "Vault
    authentication in detail"): the VaultAuth, its VaultConnection and the account live there."""
    from tools.kube_objects import objects_of

    objects = objects_of(stacks[stack])
    by_kind_ns = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}
    vss = by_kind_ns[("VaultStaticSecret", "redis", "redis-password")]
    namespace = vss["metadata"]["namespace"]
    auth_ref = vss["spec"]["vaultAuthRef"]
    assert "/" not in auth_ref  # no cross-namespace reference, no VSO default
    auth = by_kind_ns[("VaultAuth", namespace, auth_ref)]
    assert auth["apiVersion"] == "secrets.hashicorp.com/v1beta1"
    assert (auth["spec"]["method"], auth["spec"]["mount"]) == ("kubernetes", "kubernetes")
    login = auth["spec"]["kubernetes"]
    assert login["role"] == "redis" and login["audiences"] == ["vault"]
    account = by_kind_ns[("ServiceAccount", namespace, login["serviceAccount"])]
    assert account["metadata"]["name"] == "redis-vault"
    assert account["automountServiceAccountToken"] is False
    # not the application's identity
    assert login["serviceAccount"] != "tonebridge-sa" and auth_ref != "tonebridge-auth"
    connection = by_kind_ns[("VaultConnection", namespace, auth["spec"]["vaultConnectionRef"])]
    assert connection["spec"]["address"] == "https://vault.vault.svc:8200"
    assert connection["spec"]["skipTLSVerify"] is False
    ca_secret = connection["spec"]["caCertSecretRef"]
    # Vault's CA is distributed into the Redis namespace (a cert-manager Certificate's ca.crt)
    ca = by_kind_ns[("Certificate", namespace, ca_secret)]
    assert ca["spec"]["secretName"] == ca_secret
    # each VSO object name is owned by one release (the application's VaultConnection is "vault")
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("stack", [WEST, EAST])
def test_vault_bootstrap_binds_the_redis_role_to_exactly_the_redis_path(stacks, stack):
    from tools.kube_objects import objects_of

    (config_map,) = [
        o for o in objects_of(stacks[stack]) if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "vault-bootstrap"
    ]
    data = config_map["data"]
    policy = data["redis-read.hcl"]
    assert policy.count("path ") == 1 and policy.count("capabilities") == 1
    assert 'path "secret/data/redis" {\n  capabilities = ["read"]\n}' in policy
    script = data["bootstrap.sh"].splitlines()
    assert "vault policy write redis-read /vault/userconfig/vault-bootstrap/redis-read.hcl" in script
    (role,) = [line for line in script if line.startswith("vault write auth/kubernetes/role/redis ")]
    assert "bound_service_account_names=redis-vault bound_service_account_namespaces=redis" in role
    assert "token_policies=redis-read" in role and "audience=vault" in role
    # the application's role and policy stay as they were, and never cover the Redis password
    (app_role,) = [line for line in script if line.startswith("vault write auth/kubernetes/role/tonebridge ")]
    assert "bound_service_account_names=tonebridge-sa " in app_role and "token_policies=tonebridge-read " in app_role
    assert "secret/data/redis" not in data["tonebridge-read.hcl"]


def test_redis_operator_is_pinned_and_restricted(west, west_objects):
    from tonebridge.charts import REDIS_OPERATOR

    _, release = _release(west, "redis-operator")
    assert release["repository"] == "https://ot-container-kit.github.io/helm-charts"
    assert release["version"] == REDIS_OPERATOR.version
    values = json.loads(release["values"][0])
    assert values["replicas"] == 2
    assert values["redisOperator"]["webhook"] is False
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    labels = west_objects[("Namespace", "redis-operator")]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_secondary_region_runs_a_warm_redis_cache_and_no_cnpg(stacks):
    east = _objects(stacks[EAST])
    redis = east[("RedisCluster", "redis")]
    assert redis["metadata"]["labels"] == {"tonebridge.io/cache-role": "warm-standby"}
    assert redis["spec"]["redisFollower"]["replicas"] == 0
    assert not [k for k in east if k[0] in ("Cluster", "ScheduledBackup")]


# --- props and policies --------------------------------------------------------------------------


def _cnpg_props(settings=None, **overrides):
    from tonebridge.constructs.postgres.cnpg import BarmanStore, CnpgClusterProps
    from tonebridge.props.cnpg import CnpgClusterSettings

    base = {
        "settings": CnpgClusterSettings(**{"name": "db", "namespace": "staging", **(settings or {})}),
        "parameters": SPEC_PARAMETERS,
        "backup_role_arn": "arn:aws:iam::123456789012:role/db",
        "backup": BarmanStore(bucket="tonebridge-backups"),
        "vpc_cidr": "10.0.0.0/16",
        "s3_cidr": "52.218.128.0/17",
    }
    return CnpgClusterProps(**{**base, **overrides})


@pytest.mark.parametrize(
    ("settings", "overrides", "message"),
    [
        ({"image": "ghcr.io/cloudnative-pg/postgresql:17.6"}, {}, "not a pinned PostgreSQL 16 image"),
        ({"image": "ghcr.io/cloudnative-pg/postgresql:latest"}, {}, "not a pinned PostgreSQL 16 image"),
        ({"instances": 0}, {}, r"instances\n.*greater than or equal to 1"),
        ({}, {"parameters": {"max_connections": 200}}, "parameters must be strings"),
        ({"retention": "30 days"}, {}, "retention"),
        ({"backup_schedule": "0 3 * * *"}, {}, r"backup_schedule\n.*String should match pattern"),
        ({}, {"backup": None}, "backup is required"),
        ({"replica": {"source_cluster": "db-west"}}, {"backup": None}, "a replica needs the store it recovers from"),
        ({}, {"backup_role_arn": ""}, "backup_role_arn is required"),
        ({"namespace": "Staging"}, {}, r"namespace\n.*String should match pattern"),
        ({}, {"anti_affinity": "sometimes"}, "required or preferred"),
        ({}, {"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr '10.0.0.0/33' is not a CIDR"),
        ({"client_services": ["Api"]}, {}, r"client_services\.0\n.*String should match pattern"),
    ],
)
def test_cnpg_props_are_checked_early(settings, overrides, message):
    """The settings reject what they declare (pydantic, the same rule the configuration applies); the props
    what only the construct knows (the PostgreSQL 16 image, parameters, the backup wiring)."""
    with pytest.raises(ValueError, match=message):
        _cnpg_props(settings, **overrides)


def test_barman_store_rejects_unknown_algorithms_and_an_empty_prefix():
    from tonebridge.constructs.postgres.cnpg import BarmanStore

    with pytest.raises(ValueError, match="compression"):
        BarmanStore(bucket="b-backups", compression="rar")
    with pytest.raises(ValueError, match="encryption"):
        BarmanStore(bucket="b-backups", encryption="rot13")
    with pytest.raises(ValueError, match="prefix"):
        BarmanStore(bucket="b-backups", prefix="/")
    with pytest.raises(ValueError, match="bucket name"):
        BarmanStore(bucket="Not_A_Bucket")


def test_explicit_encryption_reaches_wal_and_data():
    from tonebridge.constructs.postgres.cnpg import BarmanStore, object_store

    store = object_store(BarmanStore(bucket="b-backups", encryption="aws:kms"))
    assert store["wal"]["encryption"] == store["data"]["encryption"] == "aws:kms"
    assert "encryption" not in object_store(BarmanStore(bucket="b-backups"))["wal"]


def test_replica_cluster_recovers_from_the_replicated_backups():
    from tonebridge.constructs.postgres.cnpg import BarmanStore, cluster_objects

    replica = {"name": "tonebridge-replica", "replica": {"source_cluster": "tonebridge"}}
    store = BarmanStore(bucket="tonebridge-backups-us-east-1")
    objects = cluster_objects(_cnpg_props(replica, backup=None, replica_store=store))
    assert [o["kind"] for o in objects] == ["Cluster"]  # no ScheduledBackup: a replica only reads
    spec = objects[0]["spec"]
    assert spec["replica"] == {"enabled": True, "source": "tonebridge"}
    assert spec["bootstrap"] == {"recovery": {"source": "tonebridge"}}
    assert "backup" not in spec
    (external,) = spec["externalClusters"]
    assert external["name"] == "tonebridge"
    store = external["barmanObjectStore"]
    assert store["destinationPath"] == "s3://tonebridge-backups-us-east-1/postgres"
    assert store["serverName"] == "tonebridge"  # the primary's folder in the replicated bucket
    assert store["s3Credentials"] == {"inheritFromIAMRole": True}


def _redis_settings(**overrides):
    from tonebridge.props.redis import RedisSettings

    clients = {"namespace": "production", "services": ["llm-service", "auth-service"]}
    return RedisSettings(**{"enabled": True, "name": "redis", "namespace": "redis", "clients": clients, **overrides})


def _redis_props(settings=None, **wiring):
    from tonebridge.constructs.redis import RedisClusterProps

    return RedisClusterProps(
        _redis_settings(**(settings or {})), **{"vault_address": "https://vault.vault.svc:8200", **wiring}
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"leaders": 2}, r"leaders\n.*greater than or equal to 3"),
        ({"maxmemory": "2 GB"}, r"maxmemory\n.*String should match pattern"),
        ({"maxmemory_policy": "lru"}, r"maxmemory_policy\n.*Input should be 'noeviction'"),
        ({"appendfsync": "sometimes"}, r"appendfsync\n.*Input should be 'always', 'everysec' or 'no'"),
        ({"image": "quay.io/opstree/redis"}, r"image\n.*String should match pattern"),
        ({"image": "quay.io/opstree/redis:latest"}, "must be pinned to a tag or digest, not latest"),
        ({"name": "Redis"}, r"name\n.*String should match pattern"),
    ],
)
def test_redis_settings_are_checked_early(overrides, message):
    """The settings the construct takes reject these themselves (the rules the configuration applies)."""
    with pytest.raises(ValueError, match=message):
        _redis_props(overrides)


@pytest.mark.parametrize(
    ("password", "address", "message"),
    [
        ({}, "http://vault.vault.svc:8200", "https"),
        ({"role": "Redis"}, "https://vault.vault.svc:8200", r"role\n.*String should match pattern"),
        ({"service_account": ""}, "https://vault.vault.svc:8200", r"service_account\n.*String should match pattern"),
        ({"refresh_after": "1d"}, "https://vault.vault.svc:8200", r"refresh_after\n.*String should match pattern"),
    ],
)
def test_redis_vault_password_is_checked_early(password, address, message):
    """Where the password lives is settings (checked by the model); Vault's address is wiring, checked by
    VSO's login (constructs/vault_login.py) when the cluster's objects are built."""
    from tonebridge.constructs.redis import RedisClusterProps, vault_login

    with pytest.raises(ValueError, match=message):
        vault_login(RedisClusterProps(_redis_settings(password=password), vault_address=address))


def test_backup_policies_grant_nothing_unrestricted():
    from cloudsplaining.scan.policy_document import PolicyDocument

    from tonebridge.constructs.postgres.backup_role import backup_policy

    bucket, key = "arn:aws:s3:::tonebridge-backups", "arn:aws:kms:us-west-2:123456789012:key/k"
    write = backup_policy(bucket_arn=bucket, prefix="postgres", region="us-west-2", key_arn=key)
    read = backup_policy(bucket_arn=bucket, prefix="postgres", region="us-east-1", key_arn=key, read_only=True)
    for document in (write, read):
        assert PolicyDocument(document).all_allowed_unrestricted_actions == []
        assert all(s["Resource"] in (bucket, f"{bucket}/postgres/*", key) for s in document["Statement"])
    read_actions = {
        a for s in read["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert read_actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    with pytest.raises(ValueError, match="prefix is required"):
        backup_policy(bucket_arn=bucket, prefix="/", region="us-west-2")


# --- network: the data stores behind a default deny (spec §8.1) -----------------------------------


def _ingress_from(policy, port):
    """The peers a policy admits on ``port`` (each rule's ``from`` list)."""
    return [
        peer
        for rule in policy["spec"].get("ingress", [])
        if {"protocol": "TCP", "port": port} in rule["ports"]
        for peer in rule["from"]
    ]


def test_redis_policies_admit_members_clients_operator_and_prometheus():
    from tonebridge.constructs.redis import flows, network_policies

    props = _redis_props(monitoring_namespace="monitoring")
    cluster, clients = network_policies(props)
    members = {"podSelector": {"matchLabels": {"redis_setup_type": "cluster"}}}  # the operator's label
    assert (cluster["metadata"]["namespace"], cluster["spec"]["podSelector"]) == ("redis", members["podSelector"])
    assert cluster["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert members in _ingress_from(cluster, 16379)  # cluster bus
    assert cluster["spec"]["egress"] == [
        {"to": [members], "ports": [{"protocol": "TCP", "port": 6379}, {"protocol": "TCP", "port": 16379}]}
    ]
    namespace = "kubernetes.io/metadata.name"
    assert _ingress_from(cluster, 6379) == [
        members,
        {
            "namespaceSelector": {"matchLabels": {namespace: "redis-operator"}},
            "podSelector": {"matchLabels": {"name": "redis-operator"}},
        },
        {
            "namespaceSelector": {"matchLabels": {namespace: "production"}},
            "podSelector": {
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["auth-service", "llm-service"]}]
            },
        },
    ]
    assert _ingress_from(cluster, 9121) == [
        {
            "namespaceSelector": {"matchLabels": {namespace: "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]
    # the clients' end: only the two services, only to the Redis pods, only 6379
    assert clients["metadata"]["namespace"] == "production" and clients["spec"]["policyTypes"] == ["Egress"]
    (rule,) = clients["spec"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    assert rule["to"] == [
        {"namespaceSelector": {"matchLabels": {namespace: "redis"}}, "podSelector": members["podSelector"]}
    ]
    declared = {(f.source.name, f.destination.name, f.port) for f in flows(props)}
    assert declared == {
        ("redis", "redis", 6379),
        ("redis", "redis", 16379),
        ("redis-operator", "redis", 6379),
        ("llm-service", "redis", 6379),
        ("auth-service", "redis", 6379),
        ("prometheus", "redis", 9121),
    }
    # without Prometheus in the region, nothing admits or declares a scrape
    quiet = _redis_props()
    assert not _ingress_from(network_policies(quiet)[0], 9121)
    assert all(f.port != 9121 for f in flows(quiet))


def test_cnpg_policies_admit_replication_operator_clients_api_server_and_s3():
    from tonebridge.constructs.postgres.cnpg import flows, network_policies

    props = _cnpg_props({"client_services": ["llm-service"]}, monitoring_namespace="monitoring")
    cluster, clients = network_policies(props)
    members = {"podSelector": {"matchLabels": {"cnpg.io/cluster": "db"}}}  # instances and jobs alike
    assert cluster["spec"]["podSelector"] == members["podSelector"] and cluster["metadata"]["namespace"] == "staging"
    operator = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}},
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": "cloudnative-pg", "app.kubernetes.io/instance": "cloudnative-pg"}
        },
    }
    assert _ingress_from(cluster, 8000) == [operator]
    assert _ingress_from(cluster, 5432) == [
        members,
        operator,
        {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["llm-service"]}]}},
    ]
    https = [{"protocol": "TCP", "port": 443}]
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": https} in cluster["spec"]["egress"]
    public = {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]}
    assert {"to": [{"ipBlock": public}], "ports": https} in cluster["spec"]["egress"]
    assert clients["spec"]["egress"] == [{"to": [members], "ports": [{"protocol": "TCP", "port": 5432}]}]
    by_destination = {(f.destination.name, f.port): f for f in flows(props)}
    assert by_destination[("kube-apiserver", 443)].destination.cidr == "10.0.0.0/16"
    assert by_destination[("sts", 443)].destination.cidr == "10.0.0.0/16"  # the VPC's interface endpoint
    assert by_destination[("s3", 443)].destination.cidr == "52.218.128.0/17"
    assert {("postgres", 8000), ("postgres", 5432), ("postgres", 9187)} <= set(by_destination)


def test_s3_range_is_known_for_the_project_regions_only():
    from tonebridge.constructs.postgres.cnpg import s3_range

    assert s3_range("us-east-1") == "52.216.0.0/15"
    with pytest.raises(ValueError, match="eu-west-1: add a range of its S3 prefix list"):
        s3_range("eu-west-1")


def test_synthesized_data_stores_carry_their_policies_and_flows(west):
    from tonebridge.flows import flows_of
    from tools.kube_objects import objects_of

    policies = {
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects_of(west) if o["kind"] == "NetworkPolicy"
    }
    assert {("redis", "default-deny"), ("redis", "redis-cluster"), ("production", "redis-clients")} <= policies
    assert {("staging", "tonebridge-postgres"), ("staging", "tonebridge-postgres-clients")} <= policies
    declared = {(f.source.name, f.destination.name, f.port) for f in flows_of(west)}
    assert {("redis", "redis", 16379), ("cnpg-operator", "postgres", 8000), ("postgres", "s3", 443)} <= declared


# --- configuration rules of the data tier ---------------------------------------------------------


def _production_doc():
    import yaml

    from tonebridge.paths import PROJECT_ROOT

    return yaml.safe_load((PROJECT_ROOT / "environments" / "production.yaml").read_text())


def _set_in(doc, path, value):
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


WEST_PLATFORM = ("platform", "us-west-2")


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (
            (*WEST_PLATFORM, "redis", "storage_size"),
            "5Gi",
            "platform.us-west-2.redis.storage_size: 5Gi is below fast-ssd's smallest volume (10Gi, "
            "platform.us-west-2.storage.fast_ssd.smallest_volume_gib; 5000 IOPS need at least 10 GiB on gp3): "
            "EC2 would refuse it",
        ),
        (
            (*WEST_PLATFORM, "postgres", "clusters", 0, "storage_size"),
            "8Gi",
            "platform.us-west-2.postgres.clusters[0].storage_size: 8Gi is below fast-ssd's smallest volume (10Gi, "
            "platform.us-west-2.storage.fast_ssd.smallest_volume_gib; 5000 IOPS need at least 10 GiB on gp3): "
            "EC2 would refuse it",
        ),
        (
            (*WEST_PLATFORM, "redis", "exporter_resources"),
            {"cpu_request": "10m", "memory_request": "64Mi", "cpu_limit": "200m", "memory_limit": "128Mi"},
            "platform.us-west-2.redis.exporter_resources.cpu_request: 10m is below the min 50m of "
            "namespaces.redis.limit_range",
        ),
        (
            (*WEST_PLATFORM, "redis", "namespace"),
            "cache",
            "platform.us-west-2.redis.namespace: 'cache' is not one of platform.us-west-2.namespaces "
            "(its quota, limits and isolation live there)",
        ),
        (
            (*WEST_PLATFORM, "redis", "clients"),
            {"services": ["api-gw"]},
            "platform.us-west-2.redis.clients.services[0]: 'api-gw' is not a service of "
            "namespaces.production.network_isolation",
        ),
        (
            ("database", "rds", "client_services"),
            ["llm-service", "api-gw"],
            "database.rds.client_services[1]: 'api-gw' is not a service of namespaces.production.network_isolation",
        ),
    ],
    ids=[
        "redis-claim-below-class",
        "cnpg-claim-below-class",
        "exporter-below-limit-range",
        "redis-namespace-unknown",
        "redis-client-unknown",
        "rds-client-unknown",
    ],
)
def test_config_rejects_data_stores_that_cannot_fit(path, value, line):
    from tonebridge.config.errors import format_path
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform_data import data_problems

    doc = _production_doc()
    assert not list(data_problems(EnvironmentConfig.model_validate(doc)))
    _set_in(doc, path, value)
    lines = [f"{format_path(p.path)}: {p.reason}" for p in data_problems(EnvironmentConfig.model_validate(doc))]
    assert lines == [line]


def test_config_rejects_rds_clients_outside_a_region_with_the_database():
    """The primary's region and the replica's both render the clients' egress: both need the namespace."""
    from tonebridge.config.errors import format_path
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform_data import data_problems

    doc = _production_doc()
    _set_in(doc, ("database", "rds", "client_namespace"), "apps")
    lines = [f"{format_path(p.path)}: {p.reason}" for p in data_problems(EnvironmentConfig.model_validate(doc))]
    assert lines == [
        f"database.rds.client_namespace: 'apps' is not one of platform.{region}.namespaces "
        "(its quota, limits and isolation live there)"
        for region in ("us-west-2", "us-east-1")
    ]
    _set_in(doc, ("database", "rds", "cross_region_replica"), False)
    assert len(list(data_problems(EnvironmentConfig.model_validate(doc)))) == 1


def test_config_rejects_redis_among_the_applications():
    """The old placement: Redis in `production` shares the applications' quota and limit range."""
    from tonebridge.config.errors import format_path
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform_data import data_problems

    doc = _production_doc()
    _set_in(doc, (*WEST_PLATFORM, "redis", "namespace"), "production")
    lines = [f"{format_path(p.path)}: {p.reason}" for p in data_problems(EnvironmentConfig.model_validate(doc))]
    assert lines == [
        "platform.us-west-2.redis.namespace: 'production' must hold Redis alone, behind a default deny "
        "(namespaces.production.network_isolation), apart from its clients",
        "platform.us-west-2.redis.exporter_resources.cpu_request: 50m is below the min 100m of "
        "namespaces.production.limit_range",
        "platform.us-west-2.redis.exporter_resources.memory_request: 64Mi is below the min 128Mi of "
        "namespaces.production.limit_range",
    ]


def test_staging_postgres_refuses_connections_without_tls(west_objects):
    """hostssl only: the pg_hba lines come before CloudNativePG's own `host all all all` line."""
    hba = west_objects[("Cluster", "tonebridge")]["spec"]["postgresql"]["pg_hba"]
    assert hba == ["hostnossl all all 0.0.0.0/0 reject", "hostnossl all all ::/0 reject"]


W = ("platform", "us-west-2")
REDIS = (*W, "redis")
PG = (*W, "postgres", "clusters", 0)


def test_data_settings_problems_are_lines_of_the_file(tmp_path):
    """What the Redis and CloudNativePG props once checked themselves is the settings' own rule now
    (props/redis.py, props/cnpg.py) or the configuration's cross-field rule: the lines
    tests/construct_guards.py pinned for those checks are what the loader reports."""
    from tests.config_lines import loader_report

    cases = [
        # formerly constructs/postgres/cnpg.py:CnpgReplicaSource.__post_init__[0]
        (
            ("platform", "us-east-1", "postgres", "clusters"),
            [{"name": "db", "namespace": "production", "replica": {"source_cluster": "Tone_Bridge"}}],
            "platform.us-east-1.postgres.clusters[0].replica.source_cluster: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Tone_Bridge')",  # noqa: E501
        ),
        # formerly constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[0]
        (
            (*PG, "database"),
            "Tone_Bridge",
            "platform.us-west-2.postgres.clusters[0].database: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Tone_Bridge')",  # noqa: E501
        ),
        # formerly constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[2]
        (
            (*PG, "instances"),
            0,
            "platform.us-west-2.postgres.clusters[0].instances: Input should be greater than or equal to 1 (got 0)",
        ),
        # formerly constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[6]
        (
            (*PG, "retention"),
            "30 days",
            "platform.us-west-2.postgres.clusters[0].retention: String should match pattern '^[1-9]\\d*[dwm]$' (got '30 days')",  # noqa: E501
        ),
        # formerly constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[7]
        (
            (*PG, "backup_schedule"),
            "0 3 * * *",
            "platform.us-west-2.postgres.clusters[0].backup_schedule: String should match pattern '^(\\S+\\s+){5}\\S+$' (got '0 3 * * *')",  # noqa: E501
        ),
        # formerly constructs/postgres/cnpg.py:CnpgClusterProps.__post_init__[12]
        (
            (*PG, "client_services"),
            ["Web_App"],
            "platform.us-west-2.postgres.clusters[0].client_services[0]: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Web_App')",  # noqa: E501
        ),
        # formerly constructs/redis.py:VaultPassword.__post_init__[0]
        (
            (*REDIS, "password", "path"),
            "",
            "platform.us-west-2.redis.password.path: String should match pattern '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' (got '')",  # noqa: E501
        ),
        # formerly constructs/redis.py:VaultPassword.__post_init__[1]
        (
            (*REDIS, "password", "refresh_after"),
            "1 hour",
            "platform.us-west-2.redis.password.refresh_after: String should match pattern '^\\d+[smh]$' (got '1 hour')",
        ),
        # formerly constructs/redis.py:VaultPassword.__post_init__[3]
        (
            (*REDIS, "password", "role"),
            "Redis_Role",
            "platform.us-west-2.redis.password.role: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Redis_Role')",  # noqa: E501
        ),
        # formerly constructs/redis.py:RedisClients.__post_init__[0]
        (
            (*REDIS, "clients", "services"),
            ["Web_App"],
            "platform.us-west-2.redis.clients.services[0]: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Web_App')",  # noqa: E501
        ),
        # formerly constructs/redis.py:RedisClients.__post_init__[1]
        (
            (*REDIS, "clients", "services"),
            [],
            "platform.us-west-2.redis.clients.services: List should have at least 1 item after validation, not 0",
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[0]
        ((*REDIS, "name"), "r" * 41, "platform.us-west-2.redis.name: at most 40 characters (pod names add suffixes)"),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[1]
        (
            (*REDIS, "operator_namespace"),
            "Redis_Operator",
            "platform.us-west-2.redis.operator_namespace: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Redis_Operator')",  # noqa: E501
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[2]
        (
            (*REDIS, "clients", "namespace"),
            "redis",
            "platform.us-west-2.redis.namespace: 'redis' must hold Redis alone, behind a default deny (namespaces.redis.network_isolation), apart from its clients",  # noqa: E501
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[3]
        (
            (*REDIS, "leaders"),
            2,
            "platform.us-west-2.redis.leaders: Input should be greater than or equal to 3 (got 2)",
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[4]
        (
            (*REDIS, "followers"),
            -1,
            "platform.us-west-2.redis.followers: Input should be greater than or equal to 0 (got -1)",
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[5]
        (
            (*REDIS, "maxmemory"),
            "2 GB",
            "platform.us-west-2.redis.maxmemory: String should match pattern '^\\d+(b|kb|mb|gb)?$' (got '2 GB')",
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[6]
        (
            (*REDIS, "maxmemory_policy"),
            "lru",
            "platform.us-west-2.redis.maxmemory_policy: Input should be 'noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random' or 'volatile-ttl' (got 'lru')",  # noqa: E501
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[7]
        (
            (*REDIS, "appendfsync"),
            "sometimes",
            "platform.us-west-2.redis.appendfsync: Input should be 'always', 'everysec' or 'no' (got 'sometimes')",
        ),
        # formerly constructs/redis.py:RedisClusterProps.__post_init__[8]
        (
            (*REDIS, "image"),
            "quay.io/opstree/redis",
            "platform.us-west-2.redis.image: String should match pattern '^[a-z0-9.-]+(:\\d+)?(/[a-z0-9._-]+)+(:[\\w.-]+|@sha256:[0-9a-f]{64})$' (got 'quay.io/opstree/redis')",  # noqa: E501
        ),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, path, value)
        assert any(got.endswith(f"production.yaml: {line}") for got in report.splitlines()), (line, report)

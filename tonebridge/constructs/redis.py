"""RedisCluster (spec §4.2): the OT redis-operator from its Helm chart, and a sharded Redis cluster.

Configuration: the operator appends the ConfigMap named in ``redisConfig.additionalRedisConfig``
(key ``redis-additional.conf``) to the redis.conf it generates, so the spec's memory and
persistence settings travel as that ConfigMap, a core object validated against the schema.

Password: the cluster reads it from a Kubernetes secret (``kubernetesConfig.redisSecret``). The
secret is never written by this code: a Vault Secrets Operator ``VaultStaticSecret`` copies it from
a Vault KV path, and keeps it in step every ``refresh_after``. VSO logs in for it with a
ServiceAccount, VaultConnection and VaultAuth of the Redis namespace (it never uses a service
account of another namespace), as a Vault role that may read only that path. Rotating it is a Vault write plus a
rolling restart of the leader and follower StatefulSets (Redis reads ``requirepass`` at start).

Pod security: pods, the exporter sidecar and the operator's ``init-config`` init container run as
non-root UID 1000 with no privilege escalation, every capability dropped, the RuntimeDefault seccomp
profile and a read-only root filesystem: what ``restricted`` and the read-only-root policy (§8.3)
admit. What Redis writes lives on volumes (operator 0.26 and its images, read in their source):

* ``/etc/redis``: redis.conf. The image's entrypoint would append to the file baked into the image;
  with the operator's ``GenerateConfigInInitContainer`` feature gate (set in its release) the
  operator's ``init-config`` container writes it into the ``config`` emptyDir the operator mounts
  there, and redis-server starts on it directly. That container takes its security context from
  ``spec.initContainer`` (the CRD requires an image there; the custom init container stays off).
* ``/data``: the data claim (RDB, AOF) and ``nodes.conf`` (``NODE_CONF_DIR=/data``): the node's
  cluster identity persists with its data on one claim, so no separate node-conf claim (it would
  double the claims and be smaller than ``fast-ssd`` serves: gp3 allows 500 IOPS per GiB).
* ``/var/run``: redis.pid (``pidfile`` of the generated config), an emptyDir given through
  ``storage.volumeMount``.

Network: the namespace denies by default; :func:`network_policies` admits, and :func:`flows`
declares, exactly the cluster bus and client port between members, clients on 6379, the operator
on 6379 (it speaks to every node to create and heal the cluster) and Prometheus on the exporter's
9121. Redis never calls the API server. Pods are selected by ``redis_setup_type: cluster``, which
the operator puts on every pod of a RedisCluster; the namespace holds this cluster alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge import versions
from tonebridge.charts import REDIS_OPERATOR, HelmChart
from tonebridge.constructs.data_network import (
    PROMETHEUS_POD_LABELS,
    app_peer,
    app_selector,
    network_policy,
)
from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import ChartReleaseProps, CustomResources, kube_object
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.network_policies import peer, tcp
from tonebridge.constructs.pod_defaults import check_replicas
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.flows import Endpoint, Flow, pods
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.props.pools import DATABASE_POOL, SYSTEM_POOL, Toleration
from tonebridge.redisrules import APPENDFSYNC_MODES, MAXMEMORY_POLICIES, MEMORY_PATTERN

API_VERSION = "redis.redis.opstreelabs.in/v1beta2"
CONFIG_KEY = "redis-additional.conf"
#: The client port, the cluster bus (client port + 10000) and the exporter's port (operator defaults).
CLIENT_PORT, BUS_PORT, EXPORTER_PORT = 6379, 16379, 9121
#: The operator's feature gate that generates redis.conf in an init container, on a volume.
CONFIG_FEATURE_GATE = "GenerateConfigInInitContainer"
#: Where nodes.conf lives: the data claim's mount (the operator mounts it at /data).
NODE_CONF_DIR = "/data"
#: Where redis-server writes its pid file (``pidfile /var/run/redis.pid`` of the generated config).
RUN_DIR = "/var/run"
#: A label the operator puts on every pod of a RedisCluster (``getRedisLabels``).
POD_LABELS = {"redis_setup_type": "cluster"}
#: The operator's pod labels (the chart's selector labels, ``name: <redisOperator.name>``).
OPERATOR_POD_LABELS = {"name": "redis-operator"}
_REDIS_MEMORY = re.compile(MEMORY_PATTERN)
_PINNED_IMAGE = re.compile(r"^[^\s:@]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")

#: The restricted profile's demands, for the pod and for each container.
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "runAsGroup": 1000,
    "fsGroup": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def container_security_context(read_only_root: bool) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


@dataclass(frozen=True)
class VaultPassword:
    """A Vault KV v2 secret that holds the password under ``key``, and how VSO logs in to read it.

    VSO uses only a service account of the requesting resource's namespace, so the Redis namespace
    gets its own: ServiceAccount ``service_account``, a VaultConnection over TLS (``address``, CA
    from the ``ca_secret`` secret of that namespace) and a VaultAuth (kubernetes auth at
    ``auth_mount``, Vault role ``role``, token audience ``audience``). The role is bound to that
    service account and may read exactly this path (Vault's bootstrap, ``constructs/vault.py``).
    """

    mount: str
    path: str
    address: str
    ca_secret: str = "vault-ca"  # noqa: S105 - a secret's name
    key: str = "password"
    refresh_after: str = "1h"
    role: str = "redis"
    service_account: str = "redis-vault"
    auth_mount: str = "kubernetes"
    audience: str = "vault"

    def __post_init__(self) -> None:
        if not self.mount or not self.path:
            raise ValueError("vault password: mount and path are required")
        if not re.match(r"^\d+[smh]$", self.refresh_after):
            raise ValueError("vault password: refresh_after must look like 30s, 10m or 1h")
        if not self.address.startswith("https://"):
            raise ValueError(f"vault password: address {self.address!r} must be https://")
        for label in ("ca_secret", "role", "service_account", "auth_mount", "audience"):
            if not DNS_LABEL.match(getattr(self, label)):
                raise ValueError(f"vault password: {label} {getattr(self, label)!r} is not a DNS label")

    @property
    def data_path(self) -> str:
        """The KV v2 data path a Vault policy names (``<mount>/data/<path>``)."""
        return f"{self.mount}/data/{self.path}"


@dataclass(frozen=True)
class RedisClients:
    """Who may connect to Redis: pods labelled ``app: <service>`` in ``namespace``."""

    namespace: str
    services: Sequence[str]

    def __post_init__(self) -> None:
        for name in (self.namespace, *self.services):
            if not DNS_LABEL.match(name):
                raise ValueError(f"redis clients: {name!r} is not a DNS label")
        if not self.services:
            raise ValueError("redis clients: name at least one service")


@dataclass(frozen=True)
class RedisClusterProps:
    """A sharded Redis cluster.

    :param name / namespace: the RedisCluster (the namespace is created elsewhere).
    :param password: where its password lives in Vault (copied to the ``<name>-password`` secret).
    :param leaders / followers: leaders (shards, ≥ 3) and followers (replicas; spec: 3 and 3).
    :param maxmemory / maxmemory_policy / appendonly / appendfsync: redis.conf (spec §4.2).
    :param storage_size / storage_class: each pod's data volume (spec: 10Gi on fast-ssd).
    :param image / exporter_image: pinned images (the operator's own Redis build, and its exporter).
    :param resources / exporter_resources: requests and limits of the redis and exporter containers.
    :param node_selector / tolerations: the database pool (spec §3.1) by default.
    :param labels: extra labels on the objects (role of the cache in this region, ...).
    :param clients: the services that may connect (their namespace gets an egress policy).
    :param operator_namespace: where the operator runs (it connects to every node).
    :param monitoring_namespace: Prometheus's namespace; None: no scraping admitted.
    """

    name: str
    namespace: str
    password: VaultPassword
    clients: RedisClients
    leaders: int = 3
    followers: int = 3
    maxmemory: str = "2gb"
    maxmemory_policy: str = "allkeys-lru"
    appendonly: bool = True
    appendfsync: str = "everysec"
    storage_size: str = "10Gi"
    storage_class: str = "fast-ssd"
    image: str = versions.image("quay.io/opstree/redis")
    exporter_image: str = versions.image("quay.io/opstree/redis-exporter")
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "500m", "memory": "2560Mi"},
            "limits": {"cpu": "1", "memory": "3Gi"},
        }
    )
    exporter_resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "200m", "memory": "128Mi"},
        }
    )
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(DATABASE_POOL[0]))
    tolerations: Sequence[Toleration] = DATABASE_POOL[1]
    labels: Mapping[str, str] = field(default_factory=dict)
    operator_namespace: str = "redis-operator"
    monitoring_namespace: str | None = None

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.name) or len(self.name) > 40:
            raise ValueError(f"redis cluster {self.name!r}: name must be a DNS label of at most 40 characters")
        for label in ("namespace", "operator_namespace"):
            if not DNS_LABEL.match(getattr(self, label)):
                raise ValueError(f"redis cluster {self.name}: {label} {getattr(self, label)!r} is not a DNS label")
        if self.clients.namespace == self.namespace:
            raise ValueError(f"redis cluster {self.name}: clients live outside its namespace, which holds Redis alone")
        if self.leaders < 3:
            raise ValueError(f"redis cluster {self.name}: leaders must be at least 3 (Redis Cluster's minimum)")
        if self.followers < 0:
            raise ValueError(f"redis cluster {self.name}: followers must not be negative")
        if not _REDIS_MEMORY.match(self.maxmemory):
            raise ValueError(f"redis cluster {self.name}: maxmemory {self.maxmemory!r} must look like 2gb")
        if self.maxmemory_policy not in MAXMEMORY_POLICIES:
            raise ValueError(f"redis cluster {self.name}: maxmemory_policy {self.maxmemory_policy!r} is unknown")
        if self.appendfsync not in APPENDFSYNC_MODES:
            raise ValueError(f"redis cluster {self.name}: appendfsync must be always, everysec or no")
        for label, image in (("image", self.image), ("exporter_image", self.exporter_image)):
            if not _PINNED_IMAGE.match(image) or image.endswith(":latest"):
                raise ValueError(f"redis cluster {self.name}: {label} {image!r} must be pinned to a tag or digest")

    @property
    def secret_name(self) -> str:
        return f"{self.name}-password"

    @property
    def config_name(self) -> str:
        return f"{self.name}-config"

    @property
    def vault_connection_name(self) -> str:
        return f"{self.name}-vault"

    @property
    def vault_auth_name(self) -> str:
        return f"{self.name}-vault-auth"


def redis_conf(props: RedisClusterProps) -> str:
    """The lines the operator appends to its generated redis.conf."""
    lines = [
        f"maxmemory {props.maxmemory}",
        f"maxmemory-policy {props.maxmemory_policy}",
        f"appendonly {'yes' if props.appendonly else 'no'}",
        f"appendfsync {props.appendfsync}",
    ]
    return "\n".join(lines) + "\n"


def config_map(props: RedisClusterProps) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": props.config_name, "namespace": props.namespace, "labels": dict(props.labels)},
        "data": {CONFIG_KEY: redis_conf(props)},
    }


def _login(props: RedisClusterProps) -> VaultLogin:
    password = props.password
    return VaultLogin(
        namespace=props.namespace,
        address=password.address,
        role=password.role,
        service_account=password.service_account,
        name=props.vault_connection_name,
        ca_secret=password.ca_secret,
        auth_mount=password.auth_mount,
        audience=password.audience,
        labels=props.labels,
    )


def vault_static_secret(props: RedisClusterProps) -> dict[str, Any]:
    password = props.password
    return static_secret(
        _login(props),
        name=props.secret_name,
        mount=password.mount,
        path=password.path,
        refresh_after=password.refresh_after,
        labels=props.labels,
    )


def service_account(props: RedisClusterProps) -> dict[str, Any]:
    """The identity VSO logs in to Vault with for this namespace (tokens requested, never mounted)."""
    return login_service_account(_login(props))


def vault_login(props: RedisClusterProps) -> list[dict[str, Any]]:
    """VaultConnection (TLS with Vault's CA) and VaultAuth of the Redis namespace."""
    return login_objects(_login(props))


def _role(props: RedisClusterProps, replicas: int) -> dict[str, Any]:
    return {
        "replicas": replicas,
        "redisConfig": {"additionalRedisConfig": props.config_name},
        "pdb": {"enabled": True, "maxUnavailable": 1},
        "nodeSelector": dict(props.node_selector),
        "tolerations": [t.manifest() for t in props.tolerations],
        "securityContext": container_security_context(read_only_root=True),
    }


def redis_cluster_manifest(props: RedisClusterProps) -> dict[str, Any]:
    """The RedisCluster: one data claim per pod, every other written path on an emptyDir."""
    volume = {
        "storageClassName": props.storage_class,
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": props.storage_size}},
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "RedisCluster",
        "metadata": {"name": props.name, "namespace": props.namespace, "labels": dict(props.labels)},
        "spec": {
            "clusterSize": props.leaders,
            "clusterVersion": "v7",
            "persistenceEnabled": True,
            "kubernetesConfig": {
                "image": props.image,
                "imagePullPolicy": "IfNotPresent",
                "resources": {k: dict(v) for k, v in props.resources.items()},
                "redisSecret": {"name": props.secret_name, "key": props.password.key},
            },
            "redisLeader": _role(props, props.leaders),
            "redisFollower": _role(props, props.followers),
            "redisExporter": {
                "enabled": True,
                "image": props.exporter_image,
                "imagePullPolicy": "IfNotPresent",
                "resources": {k: dict(v) for k, v in props.exporter_resources.items()},
                "securityContext": container_security_context(read_only_root=True),
            },
            # The security context of the operator's init-config container (the feature gate's);
            # the CRD requires an image, which the disabled custom init container never runs.
            "initContainer": {
                "enabled": False,
                "image": props.image,
                "securityContext": container_security_context(read_only_root=True),
            },
            "env": [{"name": "NODE_CONF_DIR", "value": NODE_CONF_DIR}],
            "storage": {
                "volumeClaimTemplate": {"spec": volume},
                "nodeConfVolume": False,
                "volumeMount": {
                    "volume": [{"name": "run", "emptyDir": {}}],
                    "mountPath": [{"name": "run", "mountPath": RUN_DIR}],
                },
            },
            "podSecurityContext": dict(POD_SECURITY_CONTEXT),
        },
    }


def flows(props: RedisClusterProps) -> list[Flow]:
    """What the cluster needs to form, serve, be managed and be scraped."""
    redis = Endpoint("redis", props.namespace, POD_LABELS)
    result = [
        Flow(redis, redis, CLIENT_PORT, "replication and cluster commands between members"),
        Flow(redis, redis, BUS_PORT, "Redis Cluster bus (gossip, failover)"),
        Flow(
            Endpoint("redis-operator", props.operator_namespace, OPERATOR_POD_LABELS),
            redis,
            CLIENT_PORT,
            "the operator creates, scales and heals the cluster",
        ),
        *[
            Flow(pods(service, props.clients.namespace, app=service), redis, CLIENT_PORT, "Redis client")
            for service in props.clients.services
        ],
    ]
    if props.monitoring_namespace:
        prometheus = Endpoint("prometheus", props.monitoring_namespace, PROMETHEUS_POD_LABELS)
        result.append(Flow(prometheus, redis, EXPORTER_PORT, "metrics scrape of the Redis exporter"))
    return result


def network_policies(props: RedisClusterProps) -> list[dict[str, Any]]:
    """Both ends of every flow (DNS: the namespace's isolation declares and admits it for every pod)."""
    name, namespace = props.name, props.namespace
    members = {"matchLabels": dict(POD_LABELS)}
    ports = tcp(CLIENT_PORT, BUS_PORT)
    ingress = [
        {"from": [{"podSelector": members}], "ports": ports},
        {"from": [peer(props.operator_namespace, OPERATOR_POD_LABELS)], "ports": tcp(CLIENT_PORT)},
        {"from": [app_peer(props.clients.namespace, props.clients.services)], "ports": tcp(CLIENT_PORT)},
    ]
    if props.monitoring_namespace:
        ingress.append({"from": [peer(props.monitoring_namespace, PROMETHEUS_POD_LABELS)], "ports": tcp(EXPORTER_PORT)})
    return [
        network_policy(
            f"{name}-cluster",
            namespace,
            members,
            ingress=ingress,
            egress=[{"to": [{"podSelector": members}], "ports": ports}],
        ),
        network_policy(
            f"{name}-clients",
            props.clients.namespace,
            app_selector(props.clients.services),
            egress=[{"to": [peer(namespace, POD_LABELS)], "ports": tcp(CLIENT_PORT)}],
        ),
    ]


class RedisCluster(Construct):
    """ConfigMap, VSO's ServiceAccount and the NetworkPolicies (core objects); VaultConnection,
    VaultAuth, the password secret from Vault and the RedisCluster (custom resources); the flows
    it needs, declared in its stack.

    Give ``depends_on`` the operator release, the Vault Secrets Operator release, the release of
    Vault's CA bundles (the ``ca_secret`` of this namespace), this namespace and the clients', and
    the storage class. Attributes: ``config_map``, ``service_account``, ``policies``, ``objects``
    (the custom resources), ``resources``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: RedisClusterProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.config_map = kube_object(self, config_map(props), depends_on=depends_on, construct_id="config")
        self.service_account = kube_object(
            self, service_account(props), depends_on=depends_on, construct_id="vault-service-account"
        )
        self.policies = [
            kube_object(self, policy, depends_on=depends_on, construct_id=f"policy-{policy['metadata']['name']}")
            for policy in network_policies(props)
        ]
        declare_flows(self, flows(props))
        self.objects = [*vault_login(props), vault_static_secret(props), redis_cluster_manifest(props)]
        self.resources = CustomResources(
            self,
            "resources",
            release_name=f"redis-{props.name}",
            namespace=props.namespace,
            objects=self.objects,
            depends_on=[*depends_on, self.config_map, self.service_account],
        )


@dataclass(frozen=True)
class RedisOperatorProps:
    """The OT redis-operator.

    :param kubernetes_version: the cluster's ``1.NN`` (pod security profile version).
    :param namespace: its own namespace, created here with ``restricted`` pod security.
    :param replicas: operator replicas (it runs with ``--leader-elect``).
    :param chart: pinned chart (default :data:`tonebridge.charts.REDIS_OPERATOR`).
    :param node_selector / tolerations: the system pool by default.
    """

    kubernetes_version: str
    namespace: str = "redis-operator"
    replicas: int = 2
    chart: HelmChart = REDIS_OPERATOR
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(SYSTEM_POOL[0]))
    tolerations: Sequence[Toleration] = SYSTEM_POOL[1]
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "500Mi"},
        }
    )

    def __post_init__(self) -> None:
        check_replicas("redis operator", self.replicas)


def operator_values(props: RedisOperatorProps) -> dict[str, Any]:
    """Chart values (keys of the redis-operator chart's values.yaml). The webhook stays off: it
    would need cert-manager, and the CRDs' schemas already reject malformed objects. The config
    feature gate puts redis.conf on a volume, so Redis runs with a read-only root (module doc)."""
    return {
        "replicas": props.replicas,
        "redisOperator": {"webhook": False, "imagePullPolicy": "IfNotPresent"},
        "featureGates": {CONFIG_FEATURE_GATE: True},
        "certmanager": {"enabled": False},
        "resources": {k: dict(v) for k, v in props.resources.items()},
        "nodeSelector": dict(props.node_selector),
        "tolerations": [t.manifest() for t in props.tolerations],
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": container_security_context(read_only_root=True),
    }


class RedisOperator(Construct):
    """Namespace (restricted) and the operator's Helm release. Attributes: ``namespace``, ``release``."""

    def __init__(self, scope: Construct, construct_id: str, props: RedisOperatorProps) -> None:
        super().__init__(scope, construct_id)
        self.namespace, self.release = namespaced_release(
            self,
            "operator",
            ChartReleaseProps(
                release_name="redis-operator",
                chart=props.chart,
                namespace=props.namespace,
                values=operator_values(props),
            ),
            props.kubernetes_version,
        )

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from constructs import Construct

from tonebridge.charts import REDIS_OPERATOR, HelmChart
from tonebridge.constructs.data_network import (
    PROMETHEUS_POD_LABELS,
    app_peer,
    app_selector,
    network_policy,
)
from tonebridge.constructs.data_operator import DataOperator, DataOperatorProps
from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import CustomResources, Dependencies, kube_object
from tonebridge.constructs.network_policies import peer, tcp
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.flows import Endpoint, Flow, pods
from tonebridge.props.pools import DATABASE_POOL, Toleration
from tonebridge.props.redis import RedisSettings

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
class RedisClusterProps:
    """A sharded Redis cluster: its settings, and the wiring the stack resolves.

    :param settings: the cluster as configured (``platform.<region>.redis``, :class:`RedisSettings`):
        name, namespace, leaders and followers, redis.conf, volumes, images, resources, where its
        password lives in Vault, its clients.
    :param vault_address: Vault's https URL; VSO logs in for the Redis namespace there
        (VaultConnection with the CA of the ``ca_secret`` secret of that namespace, VaultAuth at
        ``auth_mount`` with token audience ``audience``, as the settings' Vault role; module doc).
    :param labels: extra labels on the objects (role of the cache in this region, ...).
    :param monitoring_namespace: Prometheus's namespace; None: no scraping admitted.
    :param node_selector / tolerations: the database pool (spec §3.1) by default.
    """

    settings: RedisSettings
    vault_address: str
    ca_secret: str = "vault-ca"  # noqa: S105 - a secret's name
    auth_mount: str = "kubernetes"
    audience: str = "vault"
    labels: Mapping[str, str] = field(default_factory=dict)
    monitoring_namespace: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(DATABASE_POOL[0]))
    tolerations: Sequence[Toleration] = DATABASE_POOL[1]


def redis_conf(settings: RedisSettings) -> str:
    """The lines the operator appends to its generated redis.conf."""
    lines = [
        f"maxmemory {settings.maxmemory}",
        f"maxmemory-policy {settings.maxmemory_policy}",
        f"appendonly {'yes' if settings.appendonly else 'no'}",
        f"appendfsync {settings.appendfsync}",
    ]
    return "\n".join(lines) + "\n"


def config_map(props: RedisClusterProps) -> dict[str, Any]:
    redis = props.settings
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": redis.config_name, "namespace": redis.namespace, "labels": dict(props.labels)},
        "data": {CONFIG_KEY: redis_conf(redis)},
    }


def _login(props: RedisClusterProps) -> VaultLogin:
    """VSO's login for the Redis namespace, as the settings' Vault role (VaultLogin checks the wiring)."""
    redis = props.settings
    return VaultLogin(
        namespace=redis.namespace,
        address=props.vault_address,
        role=redis.password.role,
        service_account=redis.password.service_account,
        name=redis.vault_connection_name,
        ca_secret=props.ca_secret,
        auth_mount=props.auth_mount,
        audience=props.audience,
        labels=props.labels,
    )


def vault_static_secret(props: RedisClusterProps) -> dict[str, Any]:
    redis = props.settings
    return static_secret(
        _login(props),
        name=redis.secret_name,
        mount=redis.password.mount,
        path=redis.password.path,
        refresh_after=redis.password.refresh_after,
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
        "redisConfig": {"additionalRedisConfig": props.settings.config_name},
        "pdb": {"enabled": True, "maxUnavailable": 1},
        "nodeSelector": dict(props.node_selector),
        "tolerations": [t.manifest() for t in props.tolerations],
        "securityContext": container_security_context(read_only_root=True),
    }


def redis_cluster_manifest(props: RedisClusterProps) -> dict[str, Any]:
    """The RedisCluster: one data claim per pod, every other written path on an emptyDir."""
    redis = props.settings
    volume = {
        "storageClassName": redis.storage_class,
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": redis.storage_size}},
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "RedisCluster",
        "metadata": {"name": redis.name, "namespace": redis.namespace, "labels": dict(props.labels)},
        "spec": {
            "clusterSize": redis.leaders,
            "clusterVersion": "v7",
            "persistenceEnabled": True,
            "kubernetesConfig": {
                "image": redis.image,
                "imagePullPolicy": "IfNotPresent",
                "resources": redis.resources.manifest(),
                "redisSecret": {"name": redis.secret_name, "key": redis.password.key},
            },
            "redisLeader": _role(props, redis.leaders),
            "redisFollower": _role(props, redis.followers),
            "redisExporter": {
                "enabled": True,
                "image": redis.exporter_image,
                "imagePullPolicy": "IfNotPresent",
                "resources": redis.exporter_resources.manifest(),
                "securityContext": container_security_context(read_only_root=True),
            },
            # The security context of the operator's init-config container (the feature gate's);
            # the CRD requires an image, which the disabled custom init container never runs.
            "initContainer": {
                "enabled": False,
                "image": redis.image,
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
    settings = props.settings
    redis = Endpoint("redis", settings.namespace, POD_LABELS)
    result = [
        Flow(redis, redis, CLIENT_PORT, "replication and cluster commands between members"),
        Flow(redis, redis, BUS_PORT, "Redis Cluster bus (gossip, failover)"),
        Flow(
            Endpoint("redis-operator", settings.operator_namespace, OPERATOR_POD_LABELS),
            redis,
            CLIENT_PORT,
            "the operator creates, scales and heals the cluster",
        ),
        *[
            Flow(pods(service, settings.clients.namespace, app=service), redis, CLIENT_PORT, "Redis client")
            for service in settings.clients.services
        ],
    ]
    if props.monitoring_namespace:
        prometheus = Endpoint("prometheus", props.monitoring_namespace, PROMETHEUS_POD_LABELS)
        result.append(Flow(prometheus, redis, EXPORTER_PORT, "metrics scrape of the Redis exporter"))
    return result


def network_policies(props: RedisClusterProps) -> list[dict[str, Any]]:
    """Both ends of every flow (DNS: the namespace's isolation declares and admits it for every pod)."""
    settings = props.settings
    name, namespace, clients = settings.name, settings.namespace, settings.clients
    members = {"matchLabels": dict(POD_LABELS)}
    ports = tcp(CLIENT_PORT, BUS_PORT)
    ingress = [
        {"from": [{"podSelector": members}], "ports": ports},
        {"from": [peer(settings.operator_namespace, OPERATOR_POD_LABELS)], "ports": tcp(CLIENT_PORT)},
        {"from": [app_peer(clients.namespace, clients.services)], "ports": tcp(CLIENT_PORT)},
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
            clients.namespace,
            app_selector(clients.services),
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

    def __init__(self, scope: Construct, id_: str, props: RedisClusterProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
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
            release_name=f"redis-{props.settings.name}",
            namespace=props.settings.namespace,
            objects=self.objects,
            depends_on=[*depends_on, self.config_map, self.service_account],
        )


@dataclass(frozen=True)
class RedisOperatorProps(DataOperatorProps):
    """The OT redis-operator (it runs with ``--leader-elect``); chart :data:`tonebridge.charts.REDIS_OPERATOR`."""

    what: ClassVar[str] = "redis operator"

    namespace: str = "redis-operator"
    chart: HelmChart = REDIS_OPERATOR
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "500Mi"},
        }
    )


def operator_values(props: RedisOperatorProps) -> dict[str, Any]:
    """Chart values (keys of the redis-operator chart's values.yaml). The webhook stays off: it
    would need cert-manager, and the CRDs' schemas already reject malformed objects. The config
    feature gate puts redis.conf on a volume, so Redis runs with a read-only root (module doc)."""
    return {
        "replicas": props.replicas,
        "redisOperator": {"webhook": False, "imagePullPolicy": "IfNotPresent"},
        "featureGates": {CONFIG_FEATURE_GATE: True},
        "certmanager": {"enabled": False},
        **props.placement(),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": container_security_context(read_only_root=True),
    }


class RedisOperator(DataOperator):
    """Namespace (restricted) and the operator's Helm release. Attributes: ``namespace``, ``release``."""

    release_name = "redis-operator"
    values = operator_values

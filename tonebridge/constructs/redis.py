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

Pod security: pods and the exporter sidecar run as non-root UID 1000 with no privilege escalation,
every capability dropped and the RuntimeDefault seccomp profile: what ``restricted`` admits. The
redis container's root filesystem stays writable: the operator's image writes its generated
redis.conf there when it starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import REDIS_OPERATOR, HelmChart
from tonebridge.constructs.kube import ChartReleaseProps, CustomResources, kube_object
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import check_replicas
from tonebridge.constructs.pools import DATABASE_POOL, SYSTEM_POOL, Toleration
from tonebridge.constructs.vault_login import VaultLogin, login_objects, login_service_account, static_secret
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.redisrules import APPENDFSYNC_MODES, MAXMEMORY_POLICIES, MEMORY_PATTERN

API_VERSION = "redis.redis.opstreelabs.in/v1beta2"
CONFIG_KEY = "redis-additional.conf"
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
class RedisClusterProps:
    """A sharded Redis cluster.

    :param name / namespace: the RedisCluster (the namespace is created elsewhere).
    :param password: where its password lives in Vault (copied to the ``<name>-password`` secret).
    :param leaders / followers: leaders (shards, ≥ 3) and followers (replicas; spec: 3 and 3).
    :param maxmemory / maxmemory_policy / appendonly / appendfsync: redis.conf (spec §4.2).
    :param storage_size / storage_class: each pod's data volume (spec: 10Gi on fast-ssd).
    :param image / exporter_image: pinned images (the operator's own Redis build, and its exporter).
    :param resources: requests and limits of the redis container.
    :param node_selector / tolerations: the database pool (spec §3.1) by default.
    :param labels: extra labels on the objects (role of the cache in this region, ...).
    """

    name: str
    namespace: str
    password: VaultPassword
    leaders: int = 3
    followers: int = 3
    maxmemory: str = "2gb"
    maxmemory_policy: str = "allkeys-lru"
    appendonly: bool = True
    appendfsync: str = "everysec"
    storage_size: str = "10Gi"
    storage_class: str = "fast-ssd"
    image: str = "quay.io/opstree/redis:v7.0.15"
    exporter_image: str = "quay.io/opstree/redis-exporter:v1.44.0"
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "500m", "memory": "2560Mi"},
            "limits": {"cpu": "1", "memory": "3Gi"},
        }
    )
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(DATABASE_POOL[0]))
    tolerations: Sequence[Toleration] = DATABASE_POOL[1]
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.name) or len(self.name) > 40:
            raise ValueError(f"redis cluster {self.name!r}: name must be a DNS label of at most 40 characters")
        if not DNS_LABEL.match(self.namespace):
            raise ValueError(f"redis cluster {self.name}: namespace {self.namespace!r} is not a DNS label")
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
        "securityContext": container_security_context(read_only_root=False),
    }


def redis_cluster_manifest(props: RedisClusterProps) -> dict[str, Any]:
    volume = {
        "storageClassName": props.storage_class,
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": props.storage_size}},
    }
    node_conf = {**volume, "resources": {"requests": {"storage": "1Gi"}}}
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
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "128Mi"},
                },
                "securityContext": container_security_context(read_only_root=True),
            },
            "storage": {
                "volumeClaimTemplate": {"spec": volume},
                "nodeConfVolume": True,
                "nodeConfVolumeClaimTemplate": {"spec": node_conf},
            },
            "podSecurityContext": dict(POD_SECURITY_CONTEXT),
        },
    }


class RedisCluster(Construct):
    """ConfigMap and VSO's ServiceAccount (core objects); VaultConnection, VaultAuth, the password
    secret from Vault and the RedisCluster (custom resources).

    Give ``depends_on`` the operator release, the Vault Secrets Operator release, the release of
    Vault's CA bundles (the ``ca_secret`` of this namespace), the namespace and the storage class.
    Attributes: ``config_map``, ``service_account``, ``objects`` (the custom resources), ``resources``.
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
    would need cert-manager, and the CRDs' schemas already reject malformed objects."""
    return {
        "replicas": props.replicas,
        "redisOperator": {"webhook": False, "imagePullPolicy": "IfNotPresent"},
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

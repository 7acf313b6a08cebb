"""The Redis cluster's settings (spec §4.2): ``platform.<region>.redis`` in the YAML *is* this model, and
:class:`tonebridge.constructs.redis.RedisCluster` takes it, so each field and its rule are declared once.
Cdktf-free (rules layer).

The rules that make Redis fit its cluster (its namespace exists and isolates it, clients are services of
the clients' namespace, volume sizes, limit ranges) need the other platform settings and stay in
:func:`tonebridge.config.platform_data.data_problems`; the name's length, in
:mod:`tonebridge.config.guard_rules`.

Clients: spec §8.1 confines api-gateway's egress to llm-service and auth-service, so the data stores'
clients default to those two services (:data:`DEFAULT_CLIENTS`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.props.images import PinnedImage
from tonebridge.props.types import ContainerResources, DnsLabel, Quantity, StrictModel
from tonebridge.props.vault import VaultPath, VaultRole
from tonebridge.redisrules import APPENDFSYNC_MODES, MAXMEMORY_POLICIES, MEMORY_PATTERN

RedisMemory = Annotated[str, Field(pattern=MEMORY_PATTERN)]

#: The data stores' clients by default (module doc).
DEFAULT_CLIENTS = ["llm-service", "auth-service"]


class RedisPasswordSettings(StrictModel):
    """Where the Redis password lives in Vault; the Vault Secrets Operator (VSO) copies it into a Kubernetes
    secret, logging in for the Redis namespace as its own Vault role."""

    # VSO only uses a service account of the requesting resource's namespace: hence a role and account of its own.

    mount: VaultPath = Field(default="secret", description="Mount path of the KV v2 secrets engine.")
    path: VaultPath = Field(default="redis", description="The secret's path under the mount (without `data/`).")
    key: str = Field(
        default="password", pattern=r"^[A-Za-z0-9_.-]+$", description="Key of the secret that holds the password."
    )
    role: DnsLabel = Field(
        default="redis",
        description="Vault Kubernetes auth role of the Redis namespace, read-only on exactly this path.",
    )
    service_account: DnsLabel = Field(
        default="redis-vault",
        description="ServiceAccount in the Redis namespace that the role is bound to (VSO logs in with it).",
    )
    refresh_after: str = Field(
        default="1h",
        pattern=r"^\d+[smh]$",
        description="How often VSO copies the secret from Vault again; Redis takes a new password only when its pods "
        "restart.",
    )

    @property
    def data_path(self) -> str:
        """The KV v2 data path a Vault policy names (``<mount>/data/<path>``)."""
        return f"{self.mount}/data/{self.path}"

    def vault_role(self, namespace: str) -> VaultRole:
        """The Vault role VSO logs in as for ``namespace`` (Redis's): bound to :attr:`service_account` there,
        readable path exactly :attr:`data_path`."""
        return VaultRole(self.role, self.service_account, namespace, (self.data_path,), "the Redis password")


class RedisClientsSettings(StrictModel):
    """The pods that may connect to Redis: services (``app`` label) of one namespace."""

    namespace: DnsLabel = Field(
        default="production", description="Namespace of the clients, one of `platform.<region>.namespaces`."
    )
    services: list[DnsLabel] = Field(
        default_factory=lambda: list(DEFAULT_CLIENTS),
        min_length=1,
        description="Services (pods labelled `app: <name>`) admitted on port 6379; where the namespace has network "
        "isolation, each must be one of its services (§8.1).",
    )


class RedisSettings(StrictModel):
    """A Redis cluster of the OT redis-operator; defaults are spec §4.2's values.

    It runs in a namespace of its own (``namespace``, one of ``platform.<region>.namespaces``), whose
    quota and limit range are sized for it, apart from the applications' quota (spec §3.2)."""

    enabled: bool = Field(
        default=False, description="Run the operator and the cluster in this region; needs platform secrets (Vault)."
    )
    name: DnsLabel = Field(
        default="redis",
        description="Name of the RedisCluster, prefix of its pods, secret and ConfigMap; at most 40 characters.",
    )
    namespace: DnsLabel = Field(
        default="redis",
        description="Namespace of the cluster alone, one of `platform.<region>.namespaces`, with network isolation.",
    )
    operator_namespace: DnsLabel = Field(
        default="redis-operator", description="Namespace of the OT redis-operator, created by the stack."
    )
    leaders: int = Field(default=3, ge=3, le=15, description="Redis Cluster needs at least three leaders.")
    followers: int = Field(
        default=3, ge=0, le=15, description="Follower pods, replicas of the leaders (§4.2 `redisFollower.replicas`)."
    )
    image: PinnedImage = Field(
        default=versions.image("quay.io/opstree/redis"),
        description="Redis server image, pinned to a tag or digest (tonebridge/versions.yaml).",
    )
    exporter_image: PinnedImage = Field(
        default=versions.image("quay.io/opstree/redis-exporter"),
        description="Prometheus exporter sidecar image (port 9121), pinned to a tag or digest.",
    )
    maxmemory: RedisMemory = Field(
        default="2gb",
        description="Memory each node may use for data (redis.conf units), where `maxmemory_policy` applies; "
        "positive and below the container's memory limit.",
    )
    maxmemory_policy: Literal[MAXMEMORY_POLICIES] = Field(
        default="allkeys-lru",
        description="What Redis does at `maxmemory`: which keys it evicts, or `noeviction` to refuse writes.",
    )
    appendonly: bool = Field(default=True, description="Log every write to the append-only file on the data volume.")
    appendfsync: Literal[APPENDFSYNC_MODES] = Field(
        default="everysec",
        description="When the append-only file is flushed to disk: each write, every second (up to a second of "
        "writes lost), or when the OS decides.",
    )
    storage_size: Quantity = Field(default="10Gi", description="Data volume of each pod (AOF, RDB and nodes.conf).")
    storage_class: DnsLabel = Field(default="fast-ssd", description="StorageClass of the data volumes.")
    resources: ContainerResources = ContainerResources(
        cpu_request="500m", memory_request="2560Mi", cpu_limit="1", memory_limit="3Gi"
    )
    exporter_resources: ContainerResources = ContainerResources(
        cpu_request="50m", memory_request="64Mi", cpu_limit="200m", memory_limit="128Mi"
    )
    password: RedisPasswordSettings = RedisPasswordSettings()
    clients: RedisClientsSettings = RedisClientsSettings()

    @property
    def pods(self) -> int:
        return self.leaders + self.followers

    @property
    def secret_name(self) -> str:
        """The Kubernetes secret VSO copies the password into."""
        return f"{self.name}-password"

    @property
    def config_name(self) -> str:
        """The ConfigMap the operator appends to its generated redis.conf."""
        return f"{self.name}-config"

    @property
    def vault_connection_name(self) -> str:
        return f"{self.name}-vault"

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
    """Where the Redis password lives in Vault; VSO copies it into a Kubernetes secret.

    VSO logs in for the Redis namespace with its own ServiceAccount and VaultAuth (VSO only uses a
    service account of the requesting resource's namespace), bound to Vault role ``role``.
    """

    mount: VaultPath = "secret"
    path: VaultPath = "redis"
    key: str = Field(default="password", pattern=r"^[A-Za-z0-9_.-]+$")
    role: DnsLabel = Field(
        default="redis",
        description="Vault Kubernetes auth role of the Redis namespace, read-only on exactly this path.",
    )
    service_account: DnsLabel = Field(
        default="redis-vault",
        description="ServiceAccount in the Redis namespace that the role is bound to (VSO logs in with it).",
    )
    refresh_after: str = Field(default="1h", pattern=r"^\d+[smh]$")

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

    namespace: DnsLabel = "production"
    services: list[DnsLabel] = Field(default_factory=lambda: list(DEFAULT_CLIENTS), min_length=1)


class RedisSettings(StrictModel):
    """A Redis cluster of the OT redis-operator; defaults are spec §4.2's values.

    It runs in a namespace of its own (``namespace``, one of ``platform.<region>.namespaces``), whose
    quota and limit range are sized for it, apart from the applications' quota (spec §3.2)."""

    enabled: bool = False
    name: DnsLabel = "redis"
    namespace: DnsLabel = "redis"
    operator_namespace: DnsLabel = "redis-operator"
    leaders: int = Field(default=3, ge=3, le=15, description="Redis Cluster needs at least three leaders.")
    followers: int = Field(default=3, ge=0, le=15)
    image: PinnedImage = versions.image("quay.io/opstree/redis")
    exporter_image: PinnedImage = versions.image("quay.io/opstree/redis-exporter")
    maxmemory: RedisMemory = "2gb"
    maxmemory_policy: Literal[MAXMEMORY_POLICIES] = "allkeys-lru"
    appendonly: bool = True
    appendfsync: Literal[APPENDFSYNC_MODES] = "everysec"
    storage_size: Quantity = "10Gi"
    storage_class: DnsLabel = "fast-ssd"
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

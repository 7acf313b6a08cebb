"""Typed models of the in-cluster data tier: CloudNativePG clusters (spec §4.1) and the Redis
cluster (spec §4.2) of one region, as ``platform.<region>.postgres`` and ``platform.<region>.redis``.

The §4.1 server settings are not repeated here: every engine takes them from ``database.settings``.
Cross-field rules (a replica needs a secondary region and a replicated bucket, names stay unique)
live in :mod:`tonebridge.config.semantics`; :func:`data_problems` holds the rules that make the data
stores fit the cluster (their namespaces, quotas, limit ranges, volume sizes and clients).

Clients: spec §8.1 confines api-gateway's egress to llm-service and auth-service, so the data
stores' clients default to those two services.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.config.errors import Problem
from tonebridge.config.types import StrictModel
from tonebridge.props.types import ContainerResources, DnsLabel, Quantity
from tonebridge.props.vault import VaultPath
from tonebridge.quantities import parse_quantity
from tonebridge.redisrules import APPENDFSYNC_MODES, MAXMEMORY_POLICIES, MEMORY_PATTERN

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform import PlatformConfig
    from tonebridge.config.platform_base import NamespaceConfig

Image = Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})$")]
#: CloudNativePG's own cron syntax: six fields, seconds first.
CnpgSchedule = Annotated[str, Field(pattern=r"^(\S+\s+){5}\S+$")]
#: Barman's retention policy syntax ("30d", "4w", "3m").
Retention = Annotated[str, Field(pattern=r"^[1-9]\d*[dwm]$")]
RedisMemory = Annotated[str, Field(pattern=MEMORY_PATTERN)]


#: The data stores' clients by default (module doc).
DEFAULT_CLIENTS = ["llm-service", "auth-service"]


class CnpgReplicaConfig(StrictModel):
    """This cluster is a replica of a cluster in aws.primary_region, recovering from the backups
    replicated to this region's copy of the backups bucket (spec §9.1)."""

    source_cluster: DnsLabel = Field(description="Name of the primary cluster (its backups' server name).")


class CnpgClusterConfig(StrictModel):
    """One CloudNativePG ``Cluster``; defaults are spec §4.1's values."""

    name: DnsLabel
    namespace: DnsLabel
    instances: int = Field(default=3, ge=1, le=9)
    image: Image = Field(
        default=versions.image("ghcr.io/cloudnative-pg/postgresql"),
        description="PostgreSQL 16 (spec §4.1), pinned; a `system` image, the one that carries barman-cloud.",
    )
    database: DnsLabel = "tonebridge"
    owner: DnsLabel = "tonebridge"
    storage_size: Quantity = "100Gi"
    storage_class: DnsLabel = "fast-ssd"
    monitoring: bool = True
    backup_schedule: CnpgSchedule = Field(default="0 0 3 * * *", description="Daily base backup, 03:00 UTC.")
    retention: Retention = "30d"
    compression: Literal["gzip", "bzip2", "snappy", "lz4", "xz", "zstd"] = "gzip"
    encryption: Literal["AES256", "aws:kms"] | None = Field(
        default=None,
        description="Server-side encryption header; None keeps the bucket's default (SSE-KMS with its customer key).",
    )
    resources: ContainerResources = ContainerResources(
        cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="4Gi"
    )
    replica: CnpgReplicaConfig | None = None
    client_services: list[DnsLabel] = Field(
        default_factory=lambda: list(DEFAULT_CLIENTS),
        description="Services (`app` label) of the cluster's namespace that may connect on 5432.",
    )

    def backup_role_name(self, eks_cluster: str) -> str:
        """The IRSA role of this cluster's backups (the infrastructure stack creates it)."""
        return f"{eks_cluster}-cnpg-{self.namespace}-{self.name}"


class PostgresPlatformConfig(StrictModel):
    """The CloudNativePG operator and the clusters it runs in this region."""

    operator_namespace: DnsLabel = "cnpg-system"
    operator_replicas: int = Field(default=2, ge=1, le=5)
    clusters: list[CnpgClusterConfig] = Field(default_factory=list)


class RedisVaultSecretConfig(StrictModel):
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


class RedisClientsConfig(StrictModel):
    """The pods that may connect to Redis: services (``app`` label) of one namespace."""

    namespace: DnsLabel = "production"
    services: list[DnsLabel] = Field(default_factory=lambda: list(DEFAULT_CLIENTS), min_length=1)


class RedisConfig(StrictModel):
    """A Redis cluster of the OT redis-operator; defaults are spec §4.2's values.

    It runs in a namespace of its own (``namespace``, one of ``platform.<region>.namespaces``), whose
    quota and limit range are sized for it, apart from the applications' quota (spec §3.2)."""

    enabled: bool = False
    name: DnsLabel = "redis"
    namespace: DnsLabel = "redis"
    operator_namespace: DnsLabel = "redis-operator"
    leaders: int = Field(default=3, ge=3, le=15, description="Redis Cluster needs at least three leaders.")
    followers: int = Field(default=3, ge=0, le=15)
    image: Image = versions.image("quay.io/opstree/redis")
    exporter_image: Image = versions.image("quay.io/opstree/redis-exporter")
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
    password: RedisVaultSecretConfig = RedisVaultSecretConfig()
    clients: RedisClientsConfig = RedisClientsConfig()

    @property
    def pods(self) -> int:
        return self.leaders + self.followers


#: The StorageClass whose IOPS fix a smallest claim (``storage.fast_ssd.smallest_volume_gib``).
FAST_SSD = "fast-ssd"
_GIB = Decimal(1024**3)


def data_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """The data stores fit their cluster: namespaces that exist and isolate them, clients that are
    services of the client namespace, claims no smaller than their class serves, containers inside
    their namespace's limit range. (Quotas: :mod:`tonebridge.config.capacity_rules`.)"""
    for region, platform in cfg.platform.items():
        base = ("platform", region)
        redis = platform.redis
        if redis.enabled:
            at = (*base, "redis")
            yield from _redis_namespace(at, platform)
            if redis.clients.namespace not in platform.namespaces:
                yield Problem((*at, "clients", "namespace"), _unknown(redis.clients.namespace, region))
            yield from _clients((*at, "clients", "services"), platform, redis.clients.namespace, redis.clients.services)
            yield from _claim_size((*at, "storage_size"), region, platform, redis.storage_class, redis.storage_size)
            ns = platform.namespaces.get(redis.namespace)
            if ns is not None:
                yield from _limit_range((*at, "resources"), redis.namespace, ns, redis.resources)
                yield from _limit_range((*at, "exporter_resources"), redis.namespace, ns, redis.exporter_resources)
        for i, cluster in enumerate(platform.postgres.clusters):
            at = (*base, "postgres", "clusters", i)
            ns = platform.namespaces.get(cluster.namespace)
            if ns is None:
                yield Problem((*at, "namespace"), _unknown(cluster.namespace, region))
            else:
                yield from _limit_range((*at, "resources"), cluster.namespace, ns, cluster.resources)
                if cluster.replica is not None and ns.environment != "production":
                    yield Problem(
                        (*at, "replica"),
                        f"only production's backups are replicated to {region}; {cluster.namespace} is "
                        f"environment {ns.environment}, whose backups bucket has no replica",
                    )
            yield from _clients((*at, "client_services"), platform, cluster.namespace, cluster.client_services)
            yield from _claim_size((*at, "storage_size"), region, platform, cluster.storage_class, cluster.storage_size)


def _unknown(namespace: str, region: str) -> str:
    return f"{namespace!r} is not one of platform.{region}.namespaces (its quota, limits and isolation live there)"


def _redis_namespace(at: tuple, platform: PlatformConfig) -> Iterator[Problem]:
    """Redis has a namespace of its own, isolated by default (its policies admit each flow)."""
    redis = platform.redis
    ns = platform.namespaces.get(redis.namespace)
    region = at[1]
    if ns is None:
        yield Problem((*at, "namespace"), _unknown(redis.namespace, region))
    elif redis.namespace == redis.clients.namespace or ns.network_isolation is None:
        yield Problem(
            (*at, "namespace"),
            f"{redis.namespace!r} must hold Redis alone, behind a default deny (namespaces.{redis.namespace}"
            ".network_isolation), apart from its clients",
        )


def _clients(at: tuple, platform: PlatformConfig, namespace: str, services: list[str]) -> Iterator[Problem]:
    """Client services are services of their namespace's §8.1 graph, where it has one."""
    ns = platform.namespaces.get(namespace)
    if ns is None or ns.network_isolation is None:
        return
    for i, service in enumerate(services):
        if service not in ns.network_isolation.services:
            yield Problem((*at, i), f"{service!r} is not a service of namespaces.{namespace}.network_isolation")


def _gib(quantity: str) -> Decimal:
    return parse_quantity(quantity) / _GIB


def _claim_size(at: tuple, region: str, platform: PlatformConfig, storage_class: str, size: str) -> Iterator[Problem]:
    """A fast-ssd claim below smallest_volume_gib would be refused by EC2 (gp3: 500 IOPS per GiB),
    in the words of the other components' volume rule (:mod:`tonebridge.config.platform_secrets`)."""
    smallest = platform.storage.fast_ssd.smallest_volume_gib
    if storage_class == FAST_SSD and _gib(size) < smallest:
        yield Problem(
            at,
            f"{size} is below {FAST_SSD}'s smallest volume ({smallest}Gi, "
            f"platform.{region}.storage.fast_ssd.smallest_volume_gib): EC2 would refuse it",
        )


def _limit_range(at: tuple, namespace: str, ns: NamespaceConfig, resources: ContainerResources) -> Iterator[Problem]:
    """Each container's requests at least the LimitRange's min, its limits at most its max."""
    bounds = ns.limit_range
    if bounds is None:
        return
    checks = (
        ("cpu_request", "min", "cpu", 1),
        ("memory_request", "min", "memory", 1),
        ("cpu_limit", "max", "cpu", -1),
        ("memory_limit", "max", "memory", -1),
    )
    for field, bound, resource, sign in checks:
        value, limit = getattr(resources, field), getattr(getattr(bounds, bound), resource)
        if sign * (parse_quantity(value) - parse_quantity(limit)) < 0:
            relation = "below" if bound == "min" else "above"
            yield Problem(
                (*at, field), f"{value} is {relation} the {bound} {limit} of namespaces.{namespace}.limit_range"
            )

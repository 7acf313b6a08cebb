"""Typed models of the in-cluster data tier: CloudNativePG clusters (spec §4.1) and the Redis
cluster (spec §4.2) of one region, as ``platform.<region>.postgres`` and ``platform.<region>.redis``.

The §4.1 server settings are not repeated here: every engine takes them from ``database.settings``.
Cross-field rules (a replica needs a secondary region and a replicated bucket, names stay unique)
live in :mod:`tonebridge.config.semantics`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge.config.types import StrictModel
from tonebridge.redisrules import APPENDFSYNC_MODES, MAXMEMORY_POLICIES, MEMORY_PATTERN

#: Kubernetes object names the operators turn into pods, services and PVCs: DNS labels.
DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
#: A Kubernetes quantity as written in a manifest ("100Gi", "500m", "2").
Quantity = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")]
Image = Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})$")]
#: CloudNativePG's own cron syntax: six fields, seconds first.
CnpgSchedule = Annotated[str, Field(pattern=r"^(\S+\s+){5}\S+$")]
#: Barman's retention policy syntax ("30d", "4w", "3m").
Retention = Annotated[str, Field(pattern=r"^[1-9]\d*[dwm]$")]
RedisMemory = Annotated[str, Field(pattern=MEMORY_PATTERN)]
VaultPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")]


class Resources(StrictModel):
    """Requests and limits of one workload's main container."""

    cpu_request: Quantity
    memory_request: Quantity
    cpu_limit: Quantity
    memory_limit: Quantity

    def manifest(self) -> dict:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


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
        default="ghcr.io/cloudnative-pg/postgresql:16.14-system-trixie",
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
    resources: Resources = Resources(cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="4Gi")
    replica: CnpgReplicaConfig | None = None

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


class RedisConfig(StrictModel):
    """A Redis cluster of the OT redis-operator; defaults are spec §4.2's values."""

    enabled: bool = False
    name: DnsLabel = "redis"
    namespace: DnsLabel = "production"
    operator_namespace: DnsLabel = "redis-operator"
    leaders: int = Field(default=3, ge=3, le=15, description="Redis Cluster needs at least three leaders.")
    followers: int = Field(default=3, ge=0, le=15)
    image: Image = "quay.io/opstree/redis:v7.0.15"
    exporter_image: Image = "quay.io/opstree/redis-exporter:v1.44.0"
    maxmemory: RedisMemory = "2gb"
    maxmemory_policy: Literal[MAXMEMORY_POLICIES] = "allkeys-lru"
    appendonly: bool = True
    appendfsync: Literal[APPENDFSYNC_MODES] = "everysec"
    storage_size: Quantity = "10Gi"
    storage_class: DnsLabel = "fast-ssd"
    resources: Resources = Resources(cpu_request="500m", memory_request="2560Mi", cpu_limit="1", memory_limit="3Gi")
    password: RedisVaultSecretConfig = RedisVaultSecretConfig()

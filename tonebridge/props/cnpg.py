"""CloudNativePG settings (spec §4.1): ``platform.<region>.postgres`` in the YAML *is*
:class:`PostgresPlatformSettings`, and :class:`tonebridge.constructs.postgres.cnpg.CnpgCluster` takes one
:class:`CnpgClusterSettings`, so each field and its rule are declared once. Cdktf-free (rules layer).

The §4.1 server settings are not repeated here: every engine takes them from ``database.settings``
(:class:`tonebridge.postgres_settings.PostgresSettings`). Cross-field rules (a replica needs a secondary
region and a replicated bucket, names stay unique, the backup role's name fits IAM) live in
:mod:`tonebridge.config.semantics`; the rules that make a cluster fit its namespace in
:func:`tonebridge.config.platform_data.data_problems`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.props.images import Image
from tonebridge.props.redis import DEFAULT_CLIENTS
from tonebridge.props.types import ContainerResources, DnsLabel, Quantity, StrictModel

#: CloudNativePG's own cron syntax: six fields, seconds first.
CnpgSchedule = Annotated[str, Field(pattern=r"^(\S+\s+){5}\S+$")]
#: Barman's retention policy syntax ("30d", "4w", "3m").
Retention = Annotated[str, Field(pattern=r"^[1-9]\d*[dwm]$")]
#: Barman's compressions and the server-side encryption headers it sends.
Compression = Literal["gzip", "bzip2", "snappy", "lz4", "xz", "zstd"]
Encryption = Literal["AES256", "aws:kms"]


class CnpgReplicaSettings(StrictModel):
    """This cluster is a replica of a cluster in aws.primary_region, recovering from the backups
    replicated to this region's copy of the backups bucket (spec §9.1)."""

    source_cluster: DnsLabel = Field(description="Name of the primary cluster (its backups' server name).")


class CnpgClusterSettings(StrictModel):
    """One CloudNativePG ``Cluster``; defaults are spec §4.1's values."""

    name: DnsLabel = Field(
        description="The Cluster's name (at most 50 characters), unique in its namespace; its backups' folder in "
        "the bucket and part of its backup role's name."
    )
    namespace: DnsLabel = Field(
        description="One of `platform.<region>.namespaces`; its `environment` label picks the backup bucket."
    )
    instances: int = Field(
        default=3,
        ge=1,
        le=9,
        description="PostgreSQL instances, one primary and streaming replicas, never two in one availability zone.",
    )
    image: Image = Field(
        default=versions.image("ghcr.io/cloudnative-pg/postgresql"),
        description="PostgreSQL 16 (spec §4.1), pinned; a `system` image, the one that carries barman-cloud.",
    )
    database: DnsLabel = Field(
        default="tonebridge", description="Application database initdb creates (not on a replica, which recovers)."
    )
    owner: DnsLabel = Field(
        default="tonebridge",
        description="Role owning that database; CloudNativePG generates its password into the `<name>-app` secret.",
    )
    storage_size: Quantity = Field(
        default="100Gi",
        description="Size of each instance's data volume, no smaller than the storage class's smallest volume.",
    )
    storage_class: DnsLabel = Field(
        default="fast-ssd", description="StorageClass of the data volumes (spec §4.1: fast-ssd)."
    )
    monitoring: bool = Field(
        default=True, description="A PodMonitor, so that Prometheus scrapes each instance's metrics on 9187."
    )
    backup_schedule: CnpgSchedule = Field(default="0 0 3 * * *", description="Daily base backup, 03:00 UTC.")
    retention: Retention = Field(
        default="30d",
        description="Recovery window of the backups in days, weeks or months; older base backups and WAL are deleted.",
    )
    compression: Compression = Field(
        default="gzip", description="Compression of the WAL archive and base backups in the bucket."
    )
    encryption: Encryption | None = Field(
        default=None,
        description="Server-side encryption header; None keeps the bucket's default (SSE-KMS with its customer key).",
    )
    resources: ContainerResources = ContainerResources(
        cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="4Gi"
    )
    replica: CnpgReplicaSettings | None = None
    client_services: list[DnsLabel] = Field(
        default_factory=lambda: list(DEFAULT_CLIENTS),
        description="Services (`app` label) of the cluster's namespace that may connect on 5432.",
    )

    def backup_role_name(self, eks_cluster: str) -> str:
        """The IRSA role of this cluster's backups (the infrastructure stack creates it)."""
        return f"{eks_cluster}-cnpg-{self.namespace}-{self.name}"

    @property
    def key(self) -> str:
        """``<namespace>/<name>``: how the stacks key a cluster's backup role."""
        return f"{self.namespace}/{self.name}"


class PostgresPlatformSettings(StrictModel):
    """The CloudNativePG operator and the clusters it runs in this region."""

    operator_namespace: DnsLabel = Field(
        default="cnpg-system", description="Namespace of the CloudNativePG operator, created for it."
    )
    operator_replicas: int = Field(default=2, ge=1, le=5, description="Operator pods; one leads at a time.")
    clusters: list[CnpgClusterSettings] = Field(
        default_factory=list,
        description="PostgreSQL clusters in this region; with none, the operator is not installed either.",
    )

"""The `dr` section: the disaster-recovery site on GCP (spec §9.1, §9.2, §5.1 development registry).

One region of one Google Cloud project holds a network, a standby GKE cluster at its smallest (one node,
for GKE's own system pods; see :class:`DrNodePoolSettings`), a
backups bucket that Storage Transfer Service fills from the primary's S3 backups bucket every day,
and the development registry. These models are both the configuration's `dr` section and the
settings :class:`tonebridge.constructs.gcp.dr_region.DrRegion` takes (one model, no copy in between).
Cross-field rules (ranges apart from the AWS regions' and from each other, the lifecycle order, the
node pool's bounds) live in :mod:`tonebridge.config.dr_rules`, which runs before any construct.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from tonebridge import cloudfacts
from tonebridge.props.types import Cidr, StrictModel, checked

#: A project id: 6-30 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen.
ProjectId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]


#: A GCP region such as europe-west1.
def _gcp_region(value: str) -> str:
    problem = cloudfacts.gcp_region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


GcpRegion = Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]$"), AfterValidator(_gcp_region)]
#: Names of networks, clusters, keys, service accounts: RFC 1035 labels.
GcpName = Annotated[str, Field(pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")]


def _gcs_bucket(value: str) -> str:
    """Cloud Storage refuses names that begin with "goog" or contain "google" (or a close misspelling)."""
    if value.startswith("goog") or re.search(r"g[o0]{2}g[l1]e", value):
        raise ValueError(f"{value!r}: a Cloud Storage bucket name must not begin with 'goog' nor contain 'google'")
    return value


#: A GCS bucket name (no dots: no domain verification).
GcsBucket = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$"), AfterValidator(_gcs_bucket)]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


def _calendar_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a calendar date ({error})") from None
    return value


#: A ``YYYY-MM-DD`` day that exists (the transfer job's first day), kept as the YAML's text.
CalendarDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_calendar_date)]


class DrNetworkSettings(StrictModel):
    """The DR site's network (spec §9.1), VPC-native: nodes in the subnet, pods and services in its secondary
    ranges."""

    name: GcpName = Field(
        default="tonebridge-dr",
        description="The VPC network's name, and the prefix of its subnet's and the KMS keys' names.",
    )
    subnet_cidr: Cidr = Field(
        description="The subnet's primary range, the nodes' addresses; it, `pods_cidr`, `services_cidr` and "
        "`master_cidr` overlap neither each other nor any AWS range."
    )
    pods_cidr: Cidr = Field(description="Secondary range of the subnet that pods take their addresses from.")
    services_cidr: Cidr = Field(description="Secondary range of the subnet for the cluster's Service addresses.")
    master_cidr: Cidr = Field(description="The control plane's /28 (private cluster peering).")
    flow_log_sampling: float = Field(
        default=0.5, gt=0, le=1, description="Share of the subnet's flows that VPC flow logs record (1: every flow)."
    )


class DrNodePoolSettings(StrictModel):
    """The standby pool (spec §9.1): as small as GKE allows until a failover scales it up.

    It is the cluster's only pool, so GKE's system Deployments (kube-dns, metrics-server,
    konnectivity-agent...) run on it: with ``min_nodes: 0`` they are Pending without a node, the
    autoscaler adds one, and their kube-system pods (no PodDisruptionBudget) keep it from scaling back
    to 0. The cold standby therefore runs one node in one zone, never 0."""

    name: GcpName = Field(default="standby", description="The node pool's name.")
    machine_type: Annotated[str, AfterValidator(checked(cloudfacts.gce_machine_type_problem))] = Field(
        default="e2-standard-4",
        description="Compute Engine machine type of the nodes: a predefined type of the cloud facts table "
        "(tonebridge/cloudfacts/curated.yaml, gce) or a custom one (<family>-custom-<vCPUs>-<MiB>).",
    )
    min_nodes: int = Field(
        default=0,
        ge=0,
        description="Per zone; 0 is the cold standby's value, yet one node keeps running for GKE's system pods "
        "(the pool is the cluster's only one: the autoscaler adds a node for them and they block its removal).",
    )
    max_nodes: int = Field(default=5, ge=1, le=1000, description="Per zone.")
    disk_size_gb: int = Field(default=100, ge=20, le=65536, description="Boot disk of each node, in GB.")
    disk_type: Literal["pd-balanced", "pd-ssd", "pd-standard"] = Field(
        default="pd-balanced",
        description="Boot disk type: pd-balanced (SSD-backed), pd-ssd (faster SSD) or pd-standard (HDD).",
    )


#: An RFC 3339 UTC time, as GKE's maintenance policy takes it.
UtcTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]


def _parsed(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class GkeMaintenanceExclusion(StrictModel):
    """A period in which GKE upgrades nothing (``NO_UPGRADES``, at most 30 days) or no minor version
    (``NO_MINOR_UPGRADES``, ``NO_MINOR_OR_NODE_UPGRADES``: patches still arrive)."""

    name: GcpName = Field(description="The exclusion's name in the cluster's maintenance policy.")
    start_time: UtcTime = Field(description="Start of the period, RFC 3339 UTC (2026-12-20T00:00:00Z).")
    end_time: UtcTime = Field(description="End of the period, after start_time.")
    scope: Literal["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"] = Field(
        default="NO_MINOR_UPGRADES",
        description="What is held back: every upgrade (at most 30 days), minor versions, or minor versions and "
        "node upgrades.",
    )

    @model_validator(mode="after")
    def _period(self) -> GkeMaintenanceExclusion:
        start, end = _parsed(self.start_time), _parsed(self.end_time)
        if end <= start:
            raise ValueError(f"exclusion {self.name}: end_time must be after start_time")
        if self.scope == "NO_UPGRADES" and end - start > dt.timedelta(days=30):
            raise ValueError(f"exclusion {self.name}: a NO_UPGRADES exclusion lasts at most 30 days (GKE)")
        return self


class GkeMaintenanceSettings(StrictModel):
    """When the release channel may upgrade the standby (spec §9.1), when it may not, and who hears about it."""

    window_start: UtcTime = Field(default="2026-01-03T02:00:00Z", description="First window (a Saturday, UTC).")
    window_end: UtcTime = Field(
        default="2026-01-03T08:00:00Z",
        description="End of the first window, 4 to 24 hours after window_start; `recurrence` repeats the window.",
    )
    recurrence: str = Field(
        default="FREQ=WEEKLY;BYDAY=SA,SU",
        pattern=r"^FREQ=(DAILY|WEEKLY)(;BYDAY=(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*)?$",
        description="RFC 5545 RRULE; GKE needs 48 hours of windows in any 32 days.",
    )
    exclusions: list[GkeMaintenanceExclusion] = Field(
        default_factory=list,
        max_length=20,
        description="Periods in which the channel upgrades nothing or no minor version (a DR drill, a freeze).",
    )
    notifications: bool = Field(
        default=True, description="Upgrade-available, upgrade and security-bulletin events to a Pub/Sub topic."
    )

    @model_validator(mode="after")
    def _window(self) -> GkeMaintenanceSettings:
        hours = (_parsed(self.window_end) - _parsed(self.window_start)).total_seconds() / 3600
        if not 4 <= hours <= 24:
            raise ValueError("window_end - window_start must be 4 to 24 hours (GKE needs 4 contiguous hours)")
        days = 7 if "BYDAY" not in self.recurrence else self.recurrence.count(",") + 1
        per_32_days = hours * (days * 32 / 7 if self.recurrence.startswith("FREQ=WEEKLY") else 32)
        if per_32_days < 48:
            raise ValueError(f"the windows give {per_32_days:.0f} hours in 32 days; GKE needs at least 48")
        return self


class GkeSettings(StrictModel):
    """The standby GKE cluster (spec §9.1's kubernetes_cluster_standby): private nodes and endpoint, regional,
    on a release channel."""

    name: GcpName = Field(
        default="tonebridge-dr",
        description="The GKE cluster's name; `<name>-nodes`, at most 30 characters, is its nodes' service account.",
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = Field(
        default="REGULAR",
        description="GKE release channel that upgrades control plane and nodes inside the maintenance windows: "
        "RAPID gets versions first, STABLE last.",
    )
    master_authorized_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="Besides the subnet itself (bastion, CI, VPN), who may reach the private IP endpoint; "
        "with `dns_endpoint` off, the operators' addresses must be here (nothing else reaches the API).",
    )
    dns_endpoint: bool = Field(
        default=True,
        description="GKE's DNS-based control-plane endpoint (<uid>.<region>.gke.goog) takes traffic from "
        "anywhere, authorized by IAM (container.clusters.connect), not by network location: how operators "
        "reach the private standby's API on failover day (`get-credentials --dns-endpoint`) with no bastion "
        "or VPN. Off: only the private IP endpoint, from the subnet and `master_authorized_cidrs`.",
    )
    node_pool: DrNodePoolSettings = DrNodePoolSettings()
    maintenance: GkeMaintenanceSettings = GkeMaintenanceSettings()
    deletion_protection: bool = Field(
        default=True, description="Terraform refuses to destroy the cluster until this is turned off."
    )
    security_group: str | None = Field(
        default=None,
        pattern=r"^gke-security-groups@[a-z0-9.-]+$",
        description="Google Groups for RBAC (gke-security-groups@<domain>), once the Workspace domain exists.",
    )


class DrBackupsSettings(StrictModel):
    """The GCS copy of the S3 backups bucket (spec §9.1's object_storage_backup)."""

    bucket: GcsBucket = Field(
        description="GCS bucket in dr.region that the transfer fills, under a customer key and the retention policy; "
        "3-63 lowercase letters, digits, '-' or '_', not beginning with 'goog' nor containing 'google' (GCS rules)."
    )
    access_log_bucket: GcsBucket = Field(
        description="GCS bucket for the backups bucket's usage logs (not the backups bucket); the same naming rules."
    )
    retention_days: int = Field(default=30, ge=1, le=3650, description="Nothing deleted or replaced before this.")
    lock_retention: bool = Field(
        default=True,
        description="Lock the retention policy (irreversible): nobody can shorten or remove it, so no backup "
        "is deleted before retention_days.",
    )
    nearline_after_days: int = Field(default=30, ge=1, description="Age in days at which objects move to NEARLINE.")
    coldline_after_days: int = Field(
        default=90,
        ge=1,
        description="Age in days at which objects move on to COLDLINE; after nearline_after_days, before "
        "delete_after_days.",
    )
    delete_after_days: int = Field(default=365, ge=1, description="Objects older than this are deleted.")
    soft_delete_days: int = Field(default=7, ge=7, le=90, description="Deleted objects stay restorable this long.")
    access_log_retention_days: int = Field(default=365, ge=1, description="Days the usage logs are kept.")
    protect: bool = Field(default=True, description="No force_destroy, and prevent_destroy on the bucket.")


class TransferSettings(StrictModel):
    """The daily Storage Transfer job from the primary's S3 backups bucket (PostgreSQL backups included) to the
    GCS copy (spec §9.1, §9.2)."""

    start_time_utc: ClockTime = Field(default="05:00", description="After RDS's and CloudNativePG's backup windows.")
    start_date: CalendarDate = Field(default="2026-12-01", description="First day (UTC) of the job's schedule.")
    repeat_interval_hours: Literal[1, 2, 3, 4, 6, 8, 12, 24] = Field(
        default=24, description="Runs every this many hours from start_time_utc (Storage Transfer's minimum: 1)."
    )
    max_duration_minutes: int = Field(
        default=45, ge=5, le=1440, description="A run's worst case, for the RPO checks and the freshness alert."
    )
    aws_role_name: str = Field(
        default="tonebridge-gcp-storage-transfer",
        pattern=r"^[\w+=,.@-]{1,64}$",
        description="IAM role, in the AWS account, that this project's Storage Transfer service agent assumes "
        "(web identity) to read the backups buckets, nothing else.",
    )
    delete_objects_unique_in_sink: bool = Field(
        default=False, description="Never: the GCS copy must outlive a deletion on the AWS side."
    )
    copy_max_age_days: int = Field(
        default=7,
        ge=2,
        le=3650,
        description="A run copies only S3 objects modified within this many days (Storage Transfer's "
        "max_time_elapsed_since_last_modification): once GCS has deleted its copy of an expired backup, the "
        "next run does not copy it again as a fresh arrival (which would fool the backup-freshness alert). "
        "Shorter than every expiry of the copied objects (dr.backups.delete_after_days, the logical backup's "
        "retention_days); a transfer stopped for longer leaves a gap to copy by hand (runbook).",
    )


class DevRegistrySettings(StrictModel):
    """§5.1 development registry: an Artifact Registry Docker repository with cleanup policies."""

    repository_id: GcpName = Field(default="tonebridge-dev", description="The repository's name, in dr.region.")
    keep_recent: int = Field(default=10, ge=1, description="Most recent versions per image always kept.")
    untagged_expiry_days: int = Field(
        default=7, ge=1, description="Untagged versions older than this many days are deleted, unless kept as recent."
    )
    tagged_expiry_days: int = Field(
        default=90, ge=1, description="Any version older than this many days is deleted, unless kept as recent."
    )
    immutable_tags: bool = Field(default=True, description="A pushed tag can never be moved to another image.")


class DrSettings(StrictModel):
    """The `<env>-dr` stack (google provider, plus aws for the transfer's read-only role)."""

    project_id: ProjectId = Field(description="The existing Google Cloud project the DR site is built in.")
    region: GcpRegion = Field(default="europe-west1", description="GCP region of the DR site (spec §9.1's dr).")
    key_ring: GcpName = Field(
        default="tonebridge-dr",
        description="Cloud KMS key ring of the site's customer keys (GKE secrets, backups, registry, upgrade "
        "notifications); a key ring is never deleted, so its name stays taken.",
    )
    key_rotation_days: int = Field(
        default=90, ge=1, le=365, description="Days between automatic rotations of those keys."
    )
    network: DrNetworkSettings
    gke: GkeSettings = GkeSettings()
    backups: DrBackupsSettings
    transfer: TransferSettings = TransferSettings()
    registry: DevRegistrySettings = DevRegistrySettings()
    alert_notification_channels: list[str] = Field(
        default_factory=list,
        description="Cloud Monitoring channel ids (projects/<p>/notificationChannels/<id>) the DR alerts notify.",
    )
    edge_address_name: GcpName = Field(
        default="tonebridge-dr-edge", description="Global static address the standby's ingress will use."
    )

"""The disaster-recovery site on Google Cloud and the daily copy of the primary's backups into it
(spec §9.1, §9.2, §5.1).

:func:`add_dr` builds, in the DR stack's scope: the google provider of the DR project, the site
(:class:`~tonebridge.constructs.gcp.dr_region.DrRegion`: network, standby GKE, backups bucket,
development registry, edge address), the Storage Transfer role and jobs
(:class:`~tonebridge.constructs.gcp.transfer.BackupTransfer`) from the primary region's backups bucket
and every other environment's backups bucket (staging's CloudNativePG backups, under ``<environment>/``),
and the stack's outputs. Its settings are the configuration's `dr` section itself
(:class:`~tonebridge.props.dr.DrSettings`); the rest is wiring: labels, the prefixes whose objects
expire, and the primary stack's backups buckets (tokens of another stack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf import TerraformOutput
from cdktf_cdktf_provider_google.provider import GoogleProvider
from constructs import Construct

from tonebridge.constructs.backups import BackupBuckets
from tonebridge.constructs.gcp.dr_region import DrRegion
from tonebridge.constructs.gcp.transfer import BackupTransfer, TransferSource, TransferWiring
from tonebridge.props.dr import DrSettings


@dataclass(frozen=True)
class BackupSources:
    """The S3 buckets the transfer copies, all in ``region`` (the primary): ``primary`` (this environment's,
    to the GCS bucket's root) and ``others`` (other environments' database backups, staging's
    CloudNativePG: each under ``<environment>/``)."""

    region: str
    primary: BackupBuckets
    others: Mapping[str, BackupBuckets]


@dataclass(frozen=True)
class DrSite:
    """What :func:`add_dr` built: ``site`` (its ``edge_address`` is what the global stack's DR record
    and failover SECONDARY publish) and ``transfer`` (role and jobs)."""

    site: DrRegion
    transfer: BackupTransfer

    @property
    def edge_address(self) -> str:
        """The standby's global static address (a token)."""
        return self.site.edge_address.address


def add_dr(
    scope: Construct,
    settings: DrSettings,
    sources: BackupSources,
    *,
    labels: Mapping[str, str],
    expiring_prefixes: Mapping[str, int],
) -> DrSite:
    """``sources``: the buckets copied to GCS; ``labels`` on every Google resource; ``expiring_prefixes``
    ``{prefix: days}``: objects under a prefix that expire (the GCS copy keeps them as long)."""
    GoogleProvider(
        scope,
        "google",
        project=settings.project_id,
        region=settings.region,
        default_labels=labels,
        add_terraform_attribution_label=True,
    )
    site = DrRegion(scope, "dr", settings, labels=labels, expiring_prefixes=expiring_prefixes)
    transfer = BackupTransfer(
        scope,
        "backup-transfer",
        settings.transfer,
        TransferWiring(
            project_id=settings.project_id,
            source_bucket=sources.primary.bucket_name,
            source_bucket_arn=sources.primary.bucket_arn,
            source_key_arn=sources.primary.key.arn,
            source_region=sources.region,
            sink_bucket=site.bucket.name,
            extra_sources=[
                TransferSource(
                    name=environment, bucket=bucket.bucket_name, bucket_arn=bucket.bucket_arn, key_arn=bucket.key.arn
                )
                for environment, bucket in sorted(sources.others.items())
            ],
        ),
    )
    registry = f"{settings.region}-docker.pkg.dev/{settings.project_id}/{settings.registry.repository_id}"
    outputs = {
        "gke_cluster_name": site.cluster.name,
        "gke_cluster_endpoint": site.cluster.endpoint,
        "network": site.network.name,
        "backups_bucket": site.bucket.name,
        "registry_url": registry,
        "transfer_job": transfer.job.name,
        "transfer_role_arn": transfer.role.arn,
        "edge_address": site.edge_address.address,
    }
    for name, value in outputs.items():
        TerraformOutput(scope, name, value=value, sensitive=name == "gke_cluster_endpoint")
    return DrSite(site=site, transfer=transfer)

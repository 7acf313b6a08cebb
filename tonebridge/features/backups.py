"""The backups buckets of the primary region (spec §9.2): production's bucket, replicated to the
secondary region through an aliased provider (see :mod:`tonebridge.constructs.backups` for why the
replica side lives in the primary stack), and one bucket per other environment whose databases run on
this environment's clusters (staging's CloudNativePG), so that staging never writes, lists or holds a
key of production's bucket."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cdktf import TerraformProvider
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.backups import BackupBuckets, BackupBucketsProps, BackupReplica
from tonebridge.features.region import RegionPlacement
from tonebridge.props.backups import BackupsSettings


@dataclass(frozen=True)
class RegionalBackups:
    """``production``: production's bucket (None outside the primary region); ``environments``: the
    other environments' buckets by environment."""

    production: BackupBuckets | None = None
    environments: dict[str, BackupBuckets] = field(default_factory=dict)

    @property
    def outputs(self) -> dict[str, object]:
        """Production's bucket (name, ARN) and its replica's name."""
        backups = self.production
        if backups is None:
            return {}
        outputs: dict[str, object] = {"backups_bucket": backups.bucket_name, "backups_bucket_arn": backups.bucket_arn}
        if backups.replica_bucket_name:
            outputs["backups_replica_bucket"] = backups.replica_bucket_name
        return outputs


def add_backups(
    scope: Construct,
    settings: BackupsSettings,
    at: RegionPlacement,
    provider_for: Callable[[str], TerraformProvider],
    *,
    environments: Iterable[str],
    expiring_prefixes: Mapping[str, int],
    transfer_role_name: str | None,
) -> RegionalBackups:
    """In the primary region: production's bucket (id ``backups``, replicated to the secondary region
    when ``settings.replicate``, through the provider ``provider_for`` gives for that region; objects
    under ``expiring_prefixes`` expire), and a bucket ``backups-<environment>`` for each of the other
    ``environments`` (own key and log bucket, same lock and lifecycle, no replica). With
    ``transfer_role_name`` (the DR stack's Storage Transfer role, created later), every bucket admits it
    as a reader: it copies them to GCS. Elsewhere nothing."""
    if not at.is_primary:
        return RegionalBackups()
    secondary = at.secondary_region if settings.replicate else None
    replica = (
        BackupReplica(settings.replica_bucket_name(secondary), secondary, provider_for(secondary))
        if secondary
        else None
    )
    production = BackupBuckets(
        scope, "backups", BackupBucketsProps(settings, replica=replica, expiring_prefixes=expiring_prefixes)
    )
    others = {
        environment: BackupBuckets(scope, f"backups-{environment}", BackupBucketsProps(settings, environment))
        for environment in dict.fromkeys(environments)
        if environment != "production"
    }
    if transfer_role_name is not None:
        # The Storage Transfer role (deployed after this stack) copies every bucket (the other
        # environments' under <environment>/ in GCS).
        aws = AwsContext.of(scope)
        transfer = f"arn:{aws.partition}:iam::{aws.account_id}:role/{transfer_role_name}"
        for bucket in (production, *others.values()):
            bucket.allow_reader(transfer, created_later=True)
    return RegionalBackups(production, others)

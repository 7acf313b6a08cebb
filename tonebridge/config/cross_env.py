"""Across environment files: names that are unique in a whole cloud (or a whole account and region)
must not be claimed by two of the selected environments.

S3 and GCS bucket names are global; a Route 53 zone name delegated to two environments' name servers
serves one of them; two EKS clusters of one name in one region share an ARN (and the autoscalers'
discovery tags). Environments that target the AWS emulator (``aws.emulator``) live apart from the
real cloud and from each other's endpoints, so names are compared within one target.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tonebridge.config.errors import PathPart, Problem
from tonebridge.config.models import EnvironmentConfig


def global_names(cfg: EnvironmentConfig) -> Iterator[tuple[str, str, tuple[PathPart, ...]]]:
    """(kind, name, field) of every name that must be unique across environments of one target."""
    yield "S3 bucket", cfg.state.bucket, ("state", "bucket")
    yield "S3 bucket", cfg.access_log_bucket, ("state", "access_log_bucket")
    backups = cfg.backups
    yield "S3 bucket", backups.bucket, ("backups", "bucket")
    yield "S3 bucket", backups.access_log_bucket_name, ("backups", "access_log_bucket")
    if backups.replicate and cfg.aws.secondary_region:
        replica = backups.replica_bucket_name(cfg.aws.secondary_region)
        yield "S3 bucket", replica, ("backups", "replica_bucket")
        yield "S3 bucket", f"{replica}-access-logs", ("backups", "replica_bucket")
    for region, cluster in cfg.clusters.items():
        yield f"EKS cluster in {region}", cluster.name, ("clusters", region, "name")
    if cfg.dns:
        yield "Route 53 zone", cfg.dns.zone, ("dns", "zone")
    if cfg.dr:
        yield "GCS bucket", cfg.dr.backups.bucket, ("dr", "backups", "bucket")
        yield "GCS bucket", cfg.dr.backups.access_log_bucket, ("dr", "backups", "access_log_bucket")


def _target(cfg: EnvironmentConfig) -> str:
    return cfg.aws.emulator.endpoint if cfg.aws.emulator else "aws"


def collisions(configs: Sequence[tuple[str, EnvironmentConfig]]) -> Iterator[tuple[str, Problem]]:
    """(source file, problem) for each name an earlier selected environment already claims."""
    claimed: dict[tuple[str, str, str], tuple[str, tuple[PathPart, ...]]] = {}
    for source, cfg in configs:
        for kind, name, field in global_names(cfg):
            key = (_target(cfg), kind, name)
            owner = claimed.get(key)
            if owner and owner[0] != source:
                other = ".".join(str(p) for p in owner[1])
                yield source, Problem(field, f"{kind} {name!r} is already {owner[0]}'s {other}; names must differ")
            elif not owner:
                claimed[key] = (source, field)

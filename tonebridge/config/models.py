"""Typed models of one environment's YAML file.

Shape and single-field rules live here (pydantic); rules that relate several fields
(overlaps, counts, capacity) live in :mod:`tonebridge.config.semantics` so that every
problem is reported against the exact field it concerns.
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.config.compute import ClusterConfig, RegistriesConfig
from tonebridge.config.data import BackupsConfig, DatabaseConfig
from tonebridge.config.global_dns import GlobalDnsConfig
from tonebridge.config.platform import PlatformConfig
from tonebridge.config.recovery import RecoveryConfig
from tonebridge.config.security import SecurityConfig
from tonebridge.config.types import (
    EnvName,
    LoopbackUrl,
    Region,
    StrictModel,
    TagKey,
    TagValue,
)
from tonebridge.props.dr import DrSettings
from tonebridge.props.state import StateSettings
from tonebridge.props.vpc import VpcSettings

# --- sections ---------------------------------------------------------------------------------


class EmulatorConfig(StrictModel):
    """An AWS emulator (moto server) on loopback; only the `local` environment sets this."""

    endpoint: LoopbackUrl = Field(
        description="URL the AWS provider and the S3 backend send every request to instead of AWS (loopback only)."
    )
    access_key: str = Field(default="test", description="Access key given to the emulator, which accepts any.")
    secret_key: str = Field(default="test", description="Secret key given to the emulator; never a real credential.")


class AwsConfig(StrictModel):
    """The environment's AWS regions (spec §9.1: us-west-2 primary, us-east-1 secondary)."""

    primary_region: Region = Field(
        description="Region of the database primary, the registries, the backups bucket and the logical backup; "
        "it needs a `network` entry."
    )
    secondary_region: Region | None = Field(
        default=None,
        description="Region of the database replica and of the replicated backups and images; null for one region.",
    )
    emulator: EmulatorConfig | None = None


#: The state section is StateBackend's own settings (tonebridge/props/state.py).
StateConfig = StateSettings


class EnvironmentConfig(StrictModel):
    """Everything that differs between environments. Later issues add a section each."""

    name: EnvName = Field(
        description="Prefix of the stacks (`<name>-<region>`, `<name>-state`, ...) and of their state keys "
        "(`<name>/...`)."
    )
    tags: dict[TagKey, TagValue] = Field(
        min_length=1,
        max_length=40,
        description="Tags of every taggable AWS resource (the provider's default tags, beside ManagedBy and Stack).",
    )
    aws: AwsConfig
    state: StateConfig
    network: dict[Region, VpcSettings] = Field(min_length=1, description="One VPC per AWS region.")
    clusters: dict[Region, ClusterConfig] = Field(min_length=1, description="One EKS cluster per AWS region.")
    registries: RegistriesConfig
    platform: dict[Region, PlatformConfig] = Field(
        min_length=1, description="What runs inside each region's cluster (the platform stacks)."
    )
    database: DatabaseConfig
    backups: BackupsConfig
    security: SecurityConfig = Field(
        description="Principals that key and bucket policies name: deploy identities, key administrators, break-glass."
    )
    dns: GlobalDnsConfig | None = Field(default=None, description="The <env>-global stack (Route53, failover).")
    dr: DrSettings | None = Field(default=None, description="The <env>-dr stack on GCP (disaster recovery).")
    recovery: RecoveryConfig = Field(default=RecoveryConfig(), description="RPO and RTO per data store.")

    @property
    def aws_regions(self) -> list[str]:
        """Primary first, then the secondary region if there is one."""
        regions = [self.aws.primary_region]
        if self.aws.secondary_region:
            regions.append(self.aws.secondary_region)
        return regions

    @property
    def access_log_bucket(self) -> str:
        return self.state.access_log_bucket_name

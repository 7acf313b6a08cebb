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

    endpoint: LoopbackUrl
    access_key: str = "test"
    secret_key: str = "test"  # noqa: S105 - moto accepts any key; never a real credential


class AwsConfig(StrictModel):
    primary_region: Region
    secondary_region: Region | None = None
    emulator: EmulatorConfig | None = None


#: The state section is StateBackend's own settings (tonebridge/props/state.py).
StateConfig = StateSettings


class EnvironmentConfig(StrictModel):
    """Everything that differs between environments. Later issues add a section each."""

    name: EnvName
    tags: dict[TagKey, TagValue] = Field(min_length=1, max_length=40)
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

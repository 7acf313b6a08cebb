"""The `dns` section: the global stack's public zone, health checks and failover (spec §2.1, §9.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tonebridge.config.platform_mesh import Hostname
from tonebridge.config.types import StrictModel


class HealthCheckConfig(StrictModel):
    """Route53 health checks of each region's ALB (HTTPS, the Istio gateway's readiness path)."""

    request_interval: Literal[10, 30] = Field(default=30, description="Seconds between checks (10 costs more).")
    failure_threshold: int = Field(default=3, ge=1, le=10, description="Failed checks before a region is unhealthy.")
    hold_primary: bool = Field(
        default=False,
        description="Invert the primary region's check (it reads unhealthy): traffic stays on the SECONDARY record"
        " while the primary flaps. Set with `make hold-primary` (runbook), false again to fail back.",
    )


class DrRecordConfig(StrictModel):
    """The GCP standby's record (the DR stack's static address).

    hostname: always published, for smoke tests of the standby.
    failover: operators set this to true to make the SECONDARY failover record point at GCP instead
        of the secondary AWS region (both AWS regions lost); false again once AWS is back.
    """

    hostname: Hostname
    failover: bool = False
    ttl: int = Field(default=60, ge=10, le=3600)


class GlobalDnsConfig(StrictModel):
    """The `<env>-global` stack: the zone the regional edge hostnames live in."""

    zone: Hostname = Field(description="The public hosted zone (the domain); edge hostnames must be inside it.")
    health_check: HealthCheckConfig = HealthCheckConfig()
    validation_ttl: int = Field(default=300, ge=60, le=86400, description="TTL of the ACM validation records.")
    dr: DrRecordConfig | None = None

"""The `dns` section: the global stack's public zone, health checks, routing and CDN (spec §2.1, §2.2, §9.1).

``GlobalDnsSettings`` is both the configuration's `dns` section and what
:func:`tonebridge.features.global_edge.add_global_edge` builds the ``<env>-global`` stack from. Rules across
sections (names inside the zone, regions with an edge) live in :mod:`tonebridge.config.edge_rules` and
:mod:`tonebridge.config.dr_rules`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tonebridge.props.aws_names import Region
from tonebridge.props.cdn import CdnSettings
from tonebridge.props.edge_types import CountryCode, Hostname
from tonebridge.props.types import StrictModel


class HealthCheckSettings(StrictModel):
    """Route53 health checks of each region's ALB (HTTPS, the Istio gateway's readiness path)."""

    request_interval: Literal[10, 30] = Field(default=30, description="Seconds between checks (10 costs more).")
    failure_threshold: int = Field(default=3, ge=1, le=10, description="Failed checks before a region is unhealthy.")
    hold_primary: bool = Field(
        default=False,
        description="Invert the primary region's check (it reads unhealthy): traffic stays on the SECONDARY record"
        " while the primary flaps. Set with `make hold-primary` (runbook), false again to fail back.",
    )


class DrRecordSettings(StrictModel):
    """The GCP standby's record (the DR stack's static address).

    hostname: always published, for smoke tests of the standby.
    failover: operators set this to true (both AWS regions lost) to add GCP as the SECONDARY of the
        routed name, answered while no AWS region's health check passes; false again once AWS is back.
    """

    hostname: Hostname
    failover: bool = False
    ttl: int = Field(default=60, ge=10, le=3600)


class GeoLocationSettings(StrictModel):
    """Geolocation routing: users of a continent or a country go to ``region`` (exactly one of the two)."""

    continent: Literal["AF", "AN", "AS", "EU", "NA", "OC", "SA"] | None = None
    country: CountryCode | None = None
    region: Region

    @model_validator(mode="after")
    def _one(self) -> GeoLocationSettings:
        if (self.continent is None) == (self.country is None):
            raise ValueError("give exactly one of continent and country")
        return self


class RoutingSettings(StrictModel):
    """How Route53 steers users (or CloudFront's edge locations) to a region.

    policy: ``latency`` (the region with the lowest latency from the resolver; CloudFront resolves from
        its edge location, so from near the user) or ``geolocation`` (``geolocation`` maps continents and
        countries; everyone else goes to ``default_region``, the primary unless set).
    Each regional record carries the region's health check: an unhealthy region drops out of the answer.
    origin_hostname: with ``cdn``, the name CloudFront fetches from (on every regional certificate);
        the edge hostname then aliases the distribution. Without ``cdn``, the edge hostname itself routes.
    """

    policy: Literal["latency", "geolocation"] = "latency"
    origin_hostname: Hostname | None = None
    geolocation: list[GeoLocationSettings] = Field(default_factory=list)
    default_region: Region | None = None


class GlobalDnsSettings(StrictModel):
    """The `<env>-global` stack: the zone the regional edge hostnames live in."""

    zone: Hostname = Field(description="The public hosted zone (the domain); edge hostnames must be inside it.")
    health_check: HealthCheckSettings = HealthCheckSettings()
    validation_ttl: int = Field(default=300, ge=60, le=86400, description="TTL of the ACM validation records.")
    dr: DrRecordSettings | None = None
    routing: RoutingSettings = RoutingSettings()
    cdn: CdnSettings | None = Field(default=None, description="CloudFront in front of the regions (global stack).")

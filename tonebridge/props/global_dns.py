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
    """The GCP standby's records (the DR stack's static address), spec §9.1's dr region."""

    hostname: Hostname = Field(
        description="Name always pointing at the standby, for smoke tests; inside the zone, not the edge hostname."
    )
    failover: bool = Field(
        default=False,
        description="Operators set true when both AWS regions are lost: GCP becomes the SECONDARY of the routed "
        "name, answered while no AWS region's health check passes; false again once AWS is back.",
    )
    ttl: int = Field(default=60, ge=10, le=3600, description="Seconds resolvers may cache the standby's A records.")


class GeoLocationSettings(StrictModel):
    """Geolocation routing (spec §2.2): users of a continent or a country go to ``region`` (exactly one of the
    two)."""

    continent: Literal["AF", "AN", "AS", "EU", "NA", "OC", "SA"] | None = Field(
        default=None, description="Route53 continent code of the users; or give `country`."
    )
    country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code of the users' country; or give `continent`."
    )
    region: Region = Field(description="AWS region (with an edge) that serves them.")

    @model_validator(mode="after")
    def _one(self) -> GeoLocationSettings:
        if (self.continent is None) == (self.country is None):
            raise ValueError("give exactly one of continent and country")
        return self


class RoutingSettings(StrictModel):
    """How Route53 steers users (or CloudFront's edge locations) to a region (spec §2.2's geographic routing).
    Each regional record carries the region's health check: an unhealthy region drops out of the answer."""

    policy: Literal["latency", "geolocation"] = Field(
        default="latency",
        description="`latency`: the region with the lowest latency from the resolver (CloudFront resolves from its "
        "edge location, so from near the user); `geolocation`: by the `geolocation` rules.",
    )
    origin_hostname: Hostname | None = Field(
        default=None,
        description="Required with `cdn`: the routed name CloudFront fetches from (on every regional certificate), "
        "while the edge hostname aliases the distribution. Without `cdn` the edge hostname itself routes.",
    )
    geolocation: list[GeoLocationSettings] = Field(
        default_factory=list, description="With policy geolocation: continents and countries mapped to regions."
    )
    default_region: Region | None = Field(
        default=None,
        description="With policy geolocation: the region for everyone no rule maps; unset, the primary region.",
    )


class GlobalDnsSettings(StrictModel):
    """The `<env>-global` stack: the zone the regional edge hostnames live in."""

    zone: Hostname = Field(description="The public hosted zone (the domain); edge hostnames must be inside it.")
    health_check: HealthCheckSettings = HealthCheckSettings()
    validation_ttl: int = Field(default=300, ge=60, le=86400, description="TTL of the ACM validation records.")
    dr: DrRecordSettings | None = None
    routing: RoutingSettings = RoutingSettings()
    cdn: CdnSettings | None = Field(default=None, description="CloudFront in front of the regions (global stack).")

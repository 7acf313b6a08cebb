"""The `dns` section: its models are the global edge's settings in :mod:`tonebridge.props.global_dns`
(one schema); the configuration's names stay importable from here."""

from __future__ import annotations

from tonebridge.props.global_dns import (
    DrRecordSettings,
    GeoLocationSettings,
    GlobalDnsSettings,
    HealthCheckSettings,
    RoutingSettings,
)

HealthCheckConfig = HealthCheckSettings
DrRecordConfig = DrRecordSettings
GeoLocationConfig = GeoLocationSettings
RoutingConfig = RoutingSettings
GlobalDnsConfig = GlobalDnsSettings

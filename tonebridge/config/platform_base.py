"""Typed models of the platform's base: namespaces with their pod security, quotas and limit
ranges (spec §3.2, §8.3, §12.2), network isolation (§8.1) and storage classes.

The models are the foundation's own settings, in :mod:`tonebridge.props.namespaces`; the names
below are the configuration's.
"""

from __future__ import annotations

from tonebridge.props.namespaces import (
    FastSsdSettings,
    LimitRangeSettings,
    NamespaceSettings,
    NetworkIsolationSettings,
    ResourceQuotaSettings,
    ServiceTrafficSettings,
    StorageSettings,
)

ResourceQuotaConfig = ResourceQuotaSettings
LimitRangeConfig = LimitRangeSettings
ServiceTrafficConfig = ServiceTrafficSettings
NetworkIsolationConfig = NetworkIsolationSettings
NamespaceConfig = NamespaceSettings
FastSsdConfig = FastSsdSettings
StorageConfig = StorageSettings

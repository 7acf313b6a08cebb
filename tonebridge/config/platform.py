"""Typed models of the `platform` section: what runs inside each region's cluster (platform stack).

One entry per AWS region (``platform.<region>``), so the secondary region can run a smaller copy.
Each component's settings are a sub-model of :class:`PlatformConfig`, with the spec's values as
defaults where the spec gives them.
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.config.platform_base import NamespaceConfig, StorageConfig
from tonebridge.config.platform_ci import CiConfig
from tonebridge.config.platform_data import PostgresPlatformConfig, RedisConfig
from tonebridge.config.platform_mesh import ArgoCdConfig, EdgeConfig, IstioConfig
from tonebridge.config.platform_observability import ObservabilityConfig
from tonebridge.config.platform_scaling import AutoscalingConfig
from tonebridge.config.platform_secrets import ScanningConfig, SecretsConfig
from tonebridge.config.types import StrictModel
from tonebridge.props.types import DnsLabel


class PlatformConfig(StrictModel):
    """In-cluster platform of one region; each component adds its sub-section here."""

    autoscaling: AutoscalingConfig = AutoscalingConfig()
    namespaces: dict[DnsLabel, NamespaceConfig] = Field(default={}, description="Application namespaces (§3.2).")
    storage: StorageConfig = StorageConfig()
    istio: IstioConfig = IstioConfig()
    edge: EdgeConfig = EdgeConfig()
    argocd: ArgoCdConfig = ArgoCdConfig()
    secrets: SecretsConfig = SecretsConfig()
    scanning: ScanningConfig = ScanningConfig()
    postgres: PostgresPlatformConfig = PostgresPlatformConfig()  # spec §4.1: CloudNativePG clusters
    redis: RedisConfig = RedisConfig()  # spec §4.2 / §9.1
    observability: ObservabilityConfig = ObservabilityConfig()  # spec §7.1-§7.3 and cloud alarms
    ci: CiConfig = CiConfig()  # spec §6.2: Jenkins on the management tier

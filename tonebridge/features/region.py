"""Where a regional infrastructure stack builds, and the small regional features: the container
registries (spec §5.1, §5.2) and Vault's auto-unseal key and role (spec §8.2).

:class:`RegionPlacement` is the wiring every regional feature shares: the stack's region, the
environment's primary and secondary regions, and the name prefix of its resources. The stack builds
it once from the configuration; features read no configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.registries import ContainerRegistries, ReplicaRepositoryTemplate
from tonebridge.props.registries import RegistriesSettings


@dataclass(frozen=True)
class RegionPlacement:
    """``region`` of an environment whose resources are named ``<prefix>-...`` (``<project>-<env>``),
    whose primary region is ``primary_region`` and whose secondary (replica) region, if any, is
    ``secondary_region``."""

    prefix: str
    region: str
    primary_region: str
    secondary_region: str | None

    @property
    def is_primary(self) -> bool:
        return self.region == self.primary_region

    @property
    def name(self) -> str:
        """``<prefix>-<region>``: the name of the region's own resources (VPC, ACL, ALB, alarms)."""
        return f"{self.prefix}-{self.region}"


def add_registries(scope: Construct, settings: RegistriesSettings, at: RegionPlacement) -> ContainerRegistries | None:
    """Repositories live in the primary region (returned); the secondary receives replicas of
    production's, created through a repository creation template (None there, and elsewhere)."""
    replica_region = at.secondary_region if settings.replicate_production else None
    if at.is_primary:
        return ContainerRegistries(scope, "registries", settings, name=at.prefix, replica_region=replica_region)
    if at.region == replica_region and settings.replica_template:
        ReplicaRepositoryTemplate(scope, "registry-replicas", settings, name=at.prefix)
    return None

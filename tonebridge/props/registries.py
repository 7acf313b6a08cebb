"""RegistriesSettings: the ECR repositories of an environment (spec §5.1, §5.2). The configuration's
``registries`` section *is* this model, and :class:`~tonebridge.constructs.registries.ContainerRegistries`
and :class:`~tonebridge.constructs.registries.ReplicaRepositoryTemplate` take the same object, so a field
is declared, documented, defaulted and validated once. Cdktf-free (rules layer).

Cross-field rules (distinct prefixes and services, replication needs a secondary region) stay in
:mod:`tonebridge.config.semantics`, so that each problem is reported against its own field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tonebridge.props.types import StrictModel

RepositoryName = Annotated[str, Field(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]


class RegistriesSettings(StrictModel):
    """ECR repositories (spec §5.1, §5.2), created in the primary region."""

    services: list[RepositoryName] = Field(
        min_length=1, description="One repository per service under each prefix (§5.1: api-gateway, llm-service, ...)."
    )
    production_prefix: RepositoryName = Field(
        description="Prefix of production's repositories, `<prefix>/<service>` (§5.1 `tonebridge/`)."
    )
    staging_prefix: RepositoryName = Field(
        description="Prefix of staging's repositories (§5.1 `tonebridge-staging/*`)."
    )
    keep_releases: int = Field(default=30, ge=1, le=1000, description="Newest release images kept per repository.")
    untagged_expiry_days: int = Field(
        default=7, ge=1, le=365, description="Days after its push when the lifecycle policy expires an untagged image."
    )
    enhanced_scanning: bool = Field(default=True, description="Registry-level Amazon Inspector scanning.")
    replicate_production: bool = Field(default=True, description="Replicate production repos to the secondary region.")
    replica_template: bool = Field(
        default=True,
        description="Repository creation template in the secondary region (replicas get the CMK and immutable tags).",
    )

    @property
    def prefixes(self) -> list[str]:
        """The stage prefixes, production's first."""
        return [self.production_prefix, self.staging_prefix]

    @property
    def repository_names(self) -> list[str]:
        """``<prefix>/<service>`` for every stage and service."""
        return [f"{prefix}/{service}" for prefix in self.prefixes for service in self.services]

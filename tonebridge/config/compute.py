"""Typed models of the compute sections: one EKS cluster per AWS region, and the container registries.

A cluster's model is TonebridgeCluster's own settings (:mod:`tonebridge.props.cluster`), so the YAML
and the construct can never disagree about what is valid.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tonebridge.config.types import StrictModel
from tonebridge.props.cluster import (
    ClusterSettings,
    InstanceType,
    KarpenterSettings,
    NodeGroupSettings,
    TaintSettings,
)

__all__ = ["ClusterConfig", "InstanceType", "KarpenterConfig", "NodeGroupConfig", "RegistriesConfig", "TaintConfig"]


#: The cluster models are the construct's settings (tonebridge/props/cluster.py), under the names
#: the configuration modules use.
ClusterConfig = ClusterSettings
NodeGroupConfig = NodeGroupSettings
TaintConfig = TaintSettings
KarpenterConfig = KarpenterSettings

RepositoryName = Annotated[str, Field(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]


class RegistriesConfig(StrictModel):
    """ECR repositories (spec §5.1, §5.2), created in the primary region."""

    services: list[RepositoryName] = Field(min_length=1)
    production_prefix: RepositoryName
    staging_prefix: RepositoryName
    keep_releases: int = Field(default=30, ge=1, le=1000, description="Newest release images kept per repository.")
    untagged_expiry_days: int = Field(default=7, ge=1, le=365)
    enhanced_scanning: bool = Field(default=True, description="Registry-level Amazon Inspector scanning.")
    replicate_production: bool = Field(default=True, description="Replicate production repos to the secondary region.")
    replica_template: bool = Field(
        default=True,
        description="Repository creation template in the secondary region (replicas get the CMK and immutable tags).",
    )

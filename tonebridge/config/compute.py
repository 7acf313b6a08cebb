"""Typed models of the compute sections: one EKS cluster per AWS region, and the container registries.

Single-field rules come from :mod:`tonebridge.eksrules`, the same functions TonebridgeClusterProps
applies, so the YAML and the construct can never disagree about what is valid.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from tonebridge import cloudfacts, eksrules, versions
from tonebridge.config.types import Cidr, LogRetentionDays, StrictModel


def _checked(rule):
    def validate(value: str) -> str:
        problem = rule(value)
        if problem:
            raise ValueError(problem)
        return value

    return validate


#: The form the construct checks (eksrules), then the cloud facts table: a version EKS offers, in standard support.
EksVersion = Annotated[
    str, AfterValidator(_checked(eksrules.version_problem)), AfterValidator(_checked(cloudfacts.eks_version_problem))
]
ClusterName = Annotated[str, AfterValidator(_checked(eksrules.cluster_name_problem))]
TaintEffect = Annotated[str, AfterValidator(_checked(eksrules.taint_effect_problem))]
PublicCidr = Annotated[Cidr, AfterValidator(_checked(lambda cidr: eksrules.public_access_problem(str(cidr))))]
InstanceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
IamRoleArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]
RepositoryName = Annotated[str, Field(pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]


class TaintConfig(StrictModel):
    key: str = Field(min_length=1, max_length=63)
    value: str = Field(default="", max_length=63)
    effect: TaintEffect


class NodeGroupConfig(StrictModel):
    """A managed node group in the private-app subnets (spec §3.1), or in the private-management
    subnets (``subnet_tier: management``: spec §2.2's tier for monitoring and CI/CD)."""

    instance_types: list[InstanceType] = Field(min_length=1, max_length=20)
    min_size: int
    desired_size: int
    max_size: int
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[TaintConfig] = Field(default_factory=list)
    disk_gib: int = Field(default=50, ge=20, le=16384)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    subnet_tier: Literal["private", "management"] = "private"

    @model_validator(mode="after")
    def _scaling_and_labels(self) -> NodeGroupConfig:
        problem = eksrules.scaling_problem(self.min_size, self.desired_size, self.max_size)
        for key, value in self.labels.items():
            problem = problem or eksrules.label_problem(key, value)
        if problem:
            raise ValueError(problem)
        return self


class KarpenterConfig(StrictModel):
    """AWS side of Karpenter (spec §10.2); the controller itself is installed by the platform stack."""

    enabled: bool = True
    namespace: str = "kube-system"
    service_account: str = "karpenter"


class ClusterConfig(StrictModel):
    """One EKS cluster (spec §3.1, §10, §12.1)."""

    name: ClusterName
    version: EksVersion
    public_access_cidrs: list[PublicCidr] = Field(
        default_factory=list, description="Empty (default): the API endpoint is private only."
    )
    admin_role_arns: list[IamRoleArn] = Field(
        default_factory=list, description="Existing roles granted cluster admin through access entries."
    )
    log_retention_days: LogRetentionDays = 365
    service_cidr: Cidr = Field(default="172.20.0.0/16", description="Kubernetes service range (EKS default).")
    node_groups: dict[str, NodeGroupConfig] = Field(min_length=1)
    karpenter: KarpenterConfig = KarpenterConfig()
    managed_addons: bool = Field(
        default=True, description="EKS managed add-ons; off only where the EKS API lacks them (the emulator)."
    )
    access_entries: bool = Field(
        default=True, description="EKS access entries; off only where the EKS API lacks them (the emulator)."
    )
    addon_versions: dict[str, str] = Field(
        default_factory=dict,
        description="EKS add-on -> version, over the version table's row for the cluster's Kubernetes version.",
    )
    ami_release: str = Field(
        default="track",
        description="Managed node groups' EKS-optimized AMI release: `track` reads the recommended release of the "
        "cluster's version from AWS's public SSM parameter at plan time; `1.35.0-20260903` pins one.",
    )
    node_repair: bool = Field(default=True, description="EKS node auto repair on every managed node group.")

    def resolved_addon_versions(self) -> dict[str, str]:
        """Every managed add-on's version: the version table's row for ``version``, then ``addon_versions``."""
        try:
            pinned = versions.table().addon_versions(self.version)
        except KeyError:
            pinned = {}
        return {**pinned, **self.addon_versions}

    @model_validator(mode="after")
    def _addons_and_ami(self) -> ClusterConfig:
        for addon, version in self.addon_versions.items():
            problem = eksrules.addon_version_problem(addon, version)
            if problem:
                raise ValueError(f"addon_versions: {problem}")
        if self.managed_addons:
            missing = [a for a in eksrules.MANAGED_ADDONS if a not in self.resolved_addon_versions()]
            if missing:
                raise ValueError(
                    f"addon_versions: no version for {', '.join(missing)} on Kubernetes {self.version} "
                    f"(add the {self.version} row to tonebridge/versions.yaml eks_addons)"
                )
        problem = eksrules.ami_release_problem(self.ami_release, self.version)
        if problem:
            raise ValueError(f"ami_release: {problem}")
        return self

    @model_validator(mode="after")
    def _names_fit_karpenter(self) -> ClusterConfig:
        problem = self.karpenter.enabled and eksrules.karpenter_name_problem(self.name)
        if problem:
            raise ValueError(f"name {self.name!r}: {problem}")
        return self


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

"""ClusterSettings: what configures one region's TonebridgeCluster and its managed node groups, in the
YAML's shape (spec §3.1, §10, §12.1).

The configuration declares ``clusters: dict[Region, ClusterSettings]`` and the construct takes the same
object, so a field is declared, documented, defaulted and validated here once (a node group's sizes:
:class:`NodeGroupSettings`). Single-field rules come from :mod:`tonebridge.eksrules`; rules that span
the cluster and the network (node counts against the pod range, service range overlaps) stay in
:mod:`tonebridge.config.semantics`. cdktf-free.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from tonebridge import cloudfacts, eksrules, versions
from tonebridge.props.types import Cidr, LogRetentionDays, StrictModel, checked

#: The form the construct checks (eksrules), then the cloud facts table: a version EKS offers, in standard support.
EksVersion = Annotated[
    str, AfterValidator(checked(eksrules.version_problem)), AfterValidator(checked(cloudfacts.eks_version_problem))
]
ClusterName = Annotated[str, AfterValidator(checked(eksrules.cluster_name_problem))]
TaintEffect = Annotated[str, AfterValidator(checked(eksrules.taint_effect_problem))]
TaintKey = Annotated[str, AfterValidator(checked(eksrules.taint_key_problem))]
TaintValue = Annotated[str, AfterValidator(checked(eksrules.taint_value_problem))]
PublicCidr = Annotated[Cidr, AfterValidator(checked(lambda cidr: eksrules.public_access_problem(str(cidr))))]
InstanceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
IamRoleArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]


class TaintSettings(StrictModel):
    """A Kubernetes taint of a node group (spec §3.1) or of Karpenter's pool (spec §10.2)."""

    key: TaintKey = Field(
        min_length=1,
        description="Taint key (spec §3.1: CriticalAddonsOnly, database): a Kubernetes qualified name, as a label "
        "key ([prefix/]name, the name at most 63 of [A-Za-z0-9_.-]).",
    )
    value: TaintValue = Field(
        default="",
        description="Taint value; a toleration matches key and value. Label-value syntax: at most 63 of "
        "[A-Za-z0-9_.-], starting and ending alphanumeric.",
    )
    effect: TaintEffect = Field(
        description="NoSchedule keeps new pods off, PreferNoSchedule only avoids the node, NoExecute also evicts "
        "running pods that do not tolerate it."
    )


class NodeGroupSettings(StrictModel):
    """A managed node group in the private-app subnets (spec §3.1), or in the private-management
    subnets (``subnet_tier: management``: spec §2.2's tier for monitoring and CI/CD). Its name is its
    key under ``node_groups``."""

    instance_types: list[InstanceType] = Field(
        min_length=1,
        max_length=20,
        description="EC2 instance types the group launches (spec §3.1's instance_type), each one the cloud facts "
        "know and able to run the pods pinned to the group.",
    )
    min_size: int = Field(description="0 <= min_size <= desired_size <= max_size, max_size >= 1.")
    desired_size: int = Field(description="The size at creation; the cluster autoscaler owns it afterwards.")
    max_size: int = Field(
        description="Most nodes the cluster autoscaler may grow the group to; everything pinned to the pool must "
        "fit at this size."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Kubernetes labels of every node.")
    taints: list[TaintSettings] = Field(default_factory=list, description="Kubernetes taints of every node.")
    disk_gib: int = Field(default=50, ge=20, le=16384, description="Root volume (gp3, encrypted) size.")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="EC2 purchase option: SPOT is cheaper but AWS may reclaim the nodes."
    )
    subnet_tier: Literal["private", "management"] = Field(
        default="private",
        description="Subnets of the nodes: the private-app tier, or the management tier (spec §2.2: monitoring, "
        "CI/CD).",
    )

    @model_validator(mode="after")
    def _scaling_and_labels(self) -> NodeGroupSettings:
        problem = eksrules.scaling_problem(self.min_size, self.desired_size, self.max_size)
        for key, value in self.labels.items():
            problem = problem or eksrules.label_problem(key, value)
        if problem:
            raise ValueError(problem)
        return self


class KarpenterSettings(StrictModel):
    """AWS side of Karpenter (spec §10.2); the controller itself is installed by the platform stack."""

    enabled: bool = Field(default=True, description="Create Karpenter's AWS side (roles, queue, rules).")
    namespace: str = Field(
        default="kube-system", description="Namespace of the Karpenter controller and its NodePool releases."
    )
    service_account: str = Field(
        default="karpenter",
        description="Service account the controller runs as; its IAM role (IRSA) trusts only this one in `namespace`.",
    )


class ClusterSettings(StrictModel):
    """One EKS cluster (spec §3.1, §10, §12.1)."""

    name: ClusterName = Field(
        description="EKS cluster name (spec §3.1: tonebridge-production); also in the node groups' autoscaler "
        "discovery tag and the names of its IAM roles and Karpenter's rules."
    )
    version: EksVersion = Field(description="Kubernetes version 1.NN, offered by EKS in standard support.")
    public_access_cidrs: list[PublicCidr] = Field(
        default_factory=list,
        description="Empty (default): the API endpoint is private only; otherwise public for exactly these ranges.",
    )
    admin_role_arns: list[IamRoleArn] = Field(
        default_factory=list,
        description="Existing roles granted cluster admin through access entries (default none: only the "
        "identity that created the cluster is admin).",
    )
    log_retention_days: LogRetentionDays = Field(default=365, description="Control-plane log retention.")
    service_cidr: Cidr = Field(default="172.20.0.0/16", description="Kubernetes service range (EKS default).")
    node_groups: dict[str, NodeGroupSettings] = Field(
        min_length=1, description="Managed node groups by name (spec §3.1's node_pools: system, application, database)."
    )
    karpenter: KarpenterSettings = KarpenterSettings()
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

    @property
    def pinned_ami_release(self) -> str | None:
        """The pinned AMI release, or None to track the recommended one."""
        return None if self.ami_release == "track" else self.ami_release

    @model_validator(mode="after")
    def _addons_and_ami(self) -> ClusterSettings:
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
    def _names_fit_karpenter(self) -> ClusterSettings:
        problem = self.karpenter.enabled and eksrules.karpenter_name_problem(self.name)
        if problem:
            raise ValueError(f"name {self.name!r}: {problem}")
        return self

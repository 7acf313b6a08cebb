"""Autoscaling settings (spec §10.1, §10.2): the cluster autoscaler, Karpenter's spot pool and
metrics-server. These models are both ``platform.<region>.autoscaling`` in the YAML and the settings
the constructs (:mod:`tonebridge.constructs.cluster_autoscaler`, :mod:`~tonebridge.constructs.karpenter_pools`,
:mod:`~tonebridge.constructs.metrics_server`) take, so each field and its rule is declared once, here.

What is not configuration (cluster name, region, role ARNs, subnets, placement, max pods per node)
is passed to the constructs as wiring arguments by the stack.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.props.cluster import InstanceType, TaintSettings
from tonebridge.props.types import BinaryMemory, DnsLabel, StrictModel

#: A Kubernetes duration as Karpenter takes it (``30s``, ``720h``, ``1h30m``).
Duration = Annotated[str, Field(pattern=r"^([0-9]+(s|m|h))+$")]
#: ``<family>@v<YYYYMMDD>``: a pinned EKS-optimized AMI release, never ``@latest``.
AmiAlias = Annotated[str, Field(pattern=r"^(al2023|bottlerocket)@v[0-9]{8}$")]

EXPANDERS = ("least-waste", "random", "most-pods", "price", "priority")


def _spot_taint() -> list[TaintSettings]:
    return [TaintSettings(key="spot", value="true", effect="NoSchedule")]


class ClusterAutoscalerSettings(StrictModel):
    """Spec §10.1: the cluster autoscaler for the managed node groups, discovered by their tags."""

    enabled: bool = Field(
        default=True,
        description="Run the cluster autoscaler, which resizes the managed node groups to fit pending pods.",
    )
    image_version: str = Field(
        default=versions.image("registry.k8s.io/autoscaling/cluster-autoscaler").rsplit(":v", 1)[1],
        pattern=r"^1\.\d{1,2}\.\d{1,3}$",
        description="Patch release of registry.k8s.io/autoscaling/cluster-autoscaler; its minor must be the cluster's.",
    )
    expander: Literal["least-waste", "random", "most-pods", "price", "priority"] = Field(
        default="least-waste",
        description="How it picks the node group to grow when several fit the pending pods (spec §10.1: "
        "least-waste, the one left with the least idle CPU and memory).",
    )
    skip_nodes_with_local_storage: bool = Field(
        default=False, description="Spec §10.1: nodes whose pods use emptyDir may still be scaled down."
    )
    balance_similar_node_groups: bool = Field(
        default=True, description="Keep equally labelled groups (per-zone copies of a pool) the same size."
    )
    verbosity: int = Field(default=4, ge=0, le=10, description="Spec §10.1: --v=4.")
    extra_args: dict[str, str] = Field(
        default_factory=dict, description="Further flags (name without dashes -> value), e.g. scale-down-unneeded-time."
    )
    replicas: int = Field(default=2, ge=1, le=5, description="Leader election keeps one active; the rest stand by.")


class NodePoolSettings(StrictModel):
    """Spec §10.2: Karpenter's spot pool (v1 NodePool + EC2NodeClass)."""

    name: DnsLabel = Field(
        default="spot-provisioner",
        description="Name of the NodePool and its EC2NodeClass, and of the nodes' `NodePool` tag.",
    )
    capacity_types: list[Literal["spot", "on-demand"]] = Field(
        default_factory=lambda: ["spot"],
        min_length=1,
        description="EC2 purchase options Karpenter may launch (karpenter.sh/capacity-type).",
    )
    architectures: list[Literal["amd64", "arm64"]] = Field(
        default_factory=lambda: ["amd64"],
        min_length=1,
        description="CPU architectures it may launch; every instance type listed must be of one of them.",
    )
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["c5.large", "c5.xlarge", "c5.2xlarge", "c5a.large", "c5a.xlarge"],
        min_length=1,
        description="The only EC2 instance types it may launch (spec §10.2's instanceTypes).",
    )
    cpu_limit: int = Field(default=1000, ge=1, description="Spec §10.2: limits.cpu of everything the pool launches.")
    memory_limit: BinaryMemory = Field(
        default="1000Gi",
        description="Spec §10.2: limits.memory of everything the pool launches; no node is launched beyond it.",
    )
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = Field(
        default="WhenEmpty",
        description="Which nodes Karpenter removes: only those running no pods (spec §10.2's ttlSecondsAfterEmpty), "
        "or also under-used ones whose pods fit elsewhere.",
    )
    consolidate_after: Duration = Field(default="30s", description="Spec §10.2: ttlSecondsAfterEmpty 30.")
    expire_after: Duration = Field(
        default="720h", description="Nodes are replaced after 30 days, so they pick up newer pinned AMIs."
    )
    taints: list[TaintSettings] = Field(
        default_factory=_spot_taint,
        description="Taints on every node launched: only pods that tolerate them run there (spec §10.2: "
        "spot=true:NoSchedule).",
    )
    ami_alias: AmiAlias = Field(
        default=versions.version("eks-optimized-ami-karpenter"),
        description="Pinned EKS AL2023 AMI release, bumped on purpose: no new AMI reaches production unreviewed.",
    )
    root_volume_gib: int = Field(
        default=50, ge=20, le=16384, description="Size in GiB of each node's encrypted gp3 root volume."
    )


class KarpenterControllerSettings(StrictModel):
    """The Karpenter controller (spec §10.2); installed only where ``clusters.<region>.karpenter.enabled``."""

    replicas: int = Field(
        default=2,
        ge=1,
        le=5,
        description="Controller pods, on different nodes; one leads, a disruption budget lets one at a time go.",
    )
    node_pool: NodePoolSettings = NodePoolSettings()


class MetricsServerSettings(StrictModel):
    """metrics-server: the resource metrics API that HorizontalPodAutoscalers read."""

    enabled: bool = Field(
        default=True, description="Install metrics-server; without it HorizontalPodAutoscalers cannot scale."
    )
    replicas: int = Field(
        default=2,
        ge=1,
        le=5,
        description="Pods, one per node; with more than one, a disruption budget keeps one serving.",
    )


class AutoscalingSettings(StrictModel):
    """How the region's cluster scales: the cluster autoscaler for the managed node groups (§10.1), Karpenter's
    spot pool (§10.2) and metrics-server for HorizontalPodAutoscalers."""

    cluster_autoscaler: ClusterAutoscalerSettings = ClusterAutoscalerSettings()
    karpenter: KarpenterControllerSettings = KarpenterControllerSettings()
    metrics_server: MetricsServerSettings = MetricsServerSettings()

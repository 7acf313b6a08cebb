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

    enabled: bool = True
    image_version: str = Field(
        default=versions.image("registry.k8s.io/autoscaling/cluster-autoscaler").rsplit(":v", 1)[1],
        pattern=r"^1\.\d{1,2}\.\d{1,3}$",
        description="Patch release of registry.k8s.io/autoscaling/cluster-autoscaler; its minor must be the cluster's.",
    )
    expander: Literal["least-waste", "random", "most-pods", "price", "priority"] = "least-waste"
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

    name: DnsLabel = "spot-provisioner"
    capacity_types: list[Literal["spot", "on-demand"]] = Field(default_factory=lambda: ["spot"], min_length=1)
    architectures: list[Literal["amd64", "arm64"]] = Field(default_factory=lambda: ["amd64"], min_length=1)
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["c5.large", "c5.xlarge", "c5.2xlarge", "c5a.large", "c5a.xlarge"], min_length=1
    )
    cpu_limit: int = Field(default=1000, ge=1, description="Spec §10.2: limits.cpu of everything the pool launches.")
    memory_limit: BinaryMemory = "1000Gi"
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = "WhenEmpty"
    consolidate_after: Duration = Field(default="30s", description="Spec §10.2: ttlSecondsAfterEmpty 30.")
    expire_after: Duration = Field(
        default="720h", description="Nodes are replaced after 30 days, so they pick up newer pinned AMIs."
    )
    taints: list[TaintSettings] = Field(default_factory=_spot_taint)
    ami_alias: AmiAlias = Field(
        default=versions.version("eks-optimized-ami-karpenter"),
        description="Pinned EKS AL2023 AMI release, bumped on purpose: no new AMI reaches production unreviewed.",
    )
    root_volume_gib: int = Field(default=50, ge=20, le=16384)


class KarpenterControllerSettings(StrictModel):
    """The Karpenter controller; installed only where ``clusters.<region>.karpenter.enabled``."""

    replicas: int = Field(default=2, ge=1, le=5)
    node_pool: NodePoolSettings = NodePoolSettings()


class MetricsServerSettings(StrictModel):
    """metrics-server: the resource metrics API that HorizontalPodAutoscalers read."""

    enabled: bool = True
    replicas: int = Field(default=2, ge=1, le=5)


class AutoscalingSettings(StrictModel):
    """``platform.<region>.autoscaling``."""

    cluster_autoscaler: ClusterAutoscalerSettings = ClusterAutoscalerSettings()
    karpenter: KarpenterControllerSettings = KarpenterControllerSettings()
    metrics_server: MetricsServerSettings = MetricsServerSettings()

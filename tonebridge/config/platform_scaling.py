"""Typed models of ``platform.<region>.autoscaling``: the cluster autoscaler (spec §10.1), Karpenter's
spot pool (spec §10.2) and metrics-server, with the spec's values as defaults.

Karpenter is installed where its AWS side exists (``clusters.<region>.karpenter.enabled``); this
section only shapes what it launches. Cross-field rules (the autoscaler's minor version against
the cluster's) are in :func:`autoscaling_problems`, which :mod:`tonebridge.config.semantics` calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from tonebridge import versions
from tonebridge.config.compute import InstanceType, TaintConfig
from tonebridge.config.errors import Problem
from tonebridge.config.types import StrictModel
from tonebridge.props.types import BinaryMemory, DnsLabel

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

#: A Kubernetes duration as Karpenter takes it (``30s``, ``720h``, ``1h30m``).
Duration = Annotated[str, Field(pattern=r"^([0-9]+(s|m|h))+$")]
#: ``<family>@v<YYYYMMDD>``: a pinned EKS-optimized AMI release, never ``@latest``.
AmiAlias = Annotated[str, Field(pattern=r"^(al2023|bottlerocket)@v[0-9]{8}$")]

_PATCH_RE = re.compile(r"^1\.(\d{1,2})\.\d{1,3}$")
EXPANDERS = ("least-waste", "random", "most-pods", "price", "priority")


def _spot_taint() -> list[TaintConfig]:
    return [TaintConfig(key="spot", value="true", effect="NoSchedule")]


class ClusterAutoscalerConfig(StrictModel):
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


class NodePoolConfig(StrictModel):
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
    taints: list[TaintConfig] = Field(default_factory=_spot_taint)
    ami_alias: AmiAlias = Field(
        default=versions.version("eks-optimized-ami-karpenter"),
        description="Pinned EKS AL2023 AMI release, bumped on purpose: no new AMI reaches production unreviewed.",
    )
    root_volume_gib: int = Field(default=50, ge=20, le=16384)


class KarpenterReleaseConfig(StrictModel):
    """The Karpenter controller; installed only where ``clusters.<region>.karpenter.enabled``."""

    replicas: int = Field(default=2, ge=1, le=5)
    node_pool: NodePoolConfig = NodePoolConfig()


class MetricsServerConfig(StrictModel):
    enabled: bool = True
    replicas: int = Field(default=2, ge=1, le=5)


class AutoscalingConfig(StrictModel):
    """``platform.<region>.autoscaling``."""

    cluster_autoscaler: ClusterAutoscalerConfig = ClusterAutoscalerConfig()
    karpenter: KarpenterReleaseConfig = KarpenterReleaseConfig()
    metrics_server: MetricsServerConfig = MetricsServerConfig()


def image_minor(image_version: str) -> str:
    """``1.35.2`` -> ``1.35``."""
    match = _PATCH_RE.match(image_version)
    if not match:
        raise ValueError(f"{image_version!r} is not a 1.NN.P version")
    return image_version.rsplit(".", 1)[0]


def autoscaling_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """The autoscaler simulates the scheduler of its own minor version: it must match the cluster's."""
    for region, platform in cfg.platform.items():
        cluster = cfg.clusters.get(region)
        autoscaler = platform.autoscaling.cluster_autoscaler
        if cluster is None or not autoscaler.enabled:
            continue
        if image_minor(autoscaler.image_version) != cluster.version:
            yield Problem(
                ("platform", region, "autoscaling", "cluster_autoscaler", "image_version"),
                f"{autoscaler.image_version} does not match clusters.{region}.version {cluster.version} "
                "(the autoscaler's minor must be the cluster's)",
            )
        for flag in autoscaler.extra_args:
            if flag.startswith("-") or flag in ("expander", "cloud-provider", "node-group-auto-discovery", "v"):
                yield Problem(
                    ("platform", region, "autoscaling", "cluster_autoscaler", "extra_args", flag),
                    "flag names go without dashes; expander, cloud provider, discovery and v have fields of their own",
                )

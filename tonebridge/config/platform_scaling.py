"""Typed models of ``platform.<region>.autoscaling``: the cluster autoscaler (spec §10.1), Karpenter's
spot pool (spec §10.2) and metrics-server, with the spec's values as defaults.

Karpenter is installed where its AWS side exists (``clusters.<region>.karpenter.enabled``); this
section only shapes what it launches. Cross-field rules (the autoscaler's minor version against
the cluster's) are in :func:`autoscaling_problems`, which :mod:`tonebridge.config.semantics` calls.
The models themselves are the constructs' settings, in :mod:`tonebridge.props.autoscaling`; the
names below are the configuration's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tonebridge.config.errors import Problem
from tonebridge.props.autoscaling import (
    AutoscalingSettings,
    ClusterAutoscalerSettings,
    KarpenterControllerSettings,
    MetricsServerSettings,
    NodePoolSettings,
)

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig

ClusterAutoscalerConfig = ClusterAutoscalerSettings
NodePoolConfig = NodePoolSettings
KarpenterReleaseConfig = KarpenterControllerSettings
MetricsServerConfig = MetricsServerSettings
AutoscalingConfig = AutoscalingSettings
_PATCH_RE = re.compile(r"^1\.(\d{1,2})\.\d{1,3}$")


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

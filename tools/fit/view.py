"""One :class:`~tools.fit.model.ClusterView` per environment and AWS region, from ``cdktf.out``.

What the cluster will hold: our manifests and custom resources (``tools.kube_objects``),
every remote chart rendered with the values the stack passes (:mod:`tools.fit.render`), the
pods and claims of every controller (:mod:`tools.fit.workloads`) and those the operators
derive from custom resources (:mod:`tools.fit.operators`), the node pools the
infrastructure stack and Karpenter provide (:mod:`tools.fit.pools`), and what its security groups let
the control plane reach (:mod:`tools.fit.control_plane`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tonebridge.config.models import EnvironmentConfig
from tonebridge.flows import Flow, flows_of
from tools.cdktf_out import manifest_stacks, read_stack
from tools.fit.addons import addon_workloads
from tools.fit.control_plane import control_plane_reach
from tools.fit.model import ClusterView
from tools.fit.operators import derived_workloads
from tools.fit.pools import pools_of
from tools.fit.render import render_stack, resolve_references
from tools.fit.workloads import workloads_of
from tools.kube_objects import objects_of


@dataclass
class Cluster:
    """A view and the flows its platform stack declares."""

    view: ClusterView
    flows: list[Flow]


def build_view(
    env: EnvironmentConfig,
    region: str,
    platform_stack: dict[str, Any],
    infra_stack: dict[str, Any],
    repository: Path,
    *,
    unread: bool = True,
) -> Cluster:
    """The cluster of ``env`` in ``region`` as the API server and the operators will see it."""
    version = env.clusters[region].version
    view = ClusterView(env=env.name, region=region, kubernetes_version=version)
    rendered = render_stack(
        platform_stack, repository=repository, env=env.name, region=region, kubernetes_version=version, unread=unread
    )
    # Our objects carry Terraform references to other stacks (subnet ids, ARNs); the API server will see
    # their values, so they are checked with well-formed stand-ins, as the charts' values are.
    ours = [resolve_references(obj, region) for obj in objects_of(platform_stack)]
    view.objects = [*ours, *rendered.objects]
    view.chart_values = rendered.chart_values
    view.problems.extend(rendered.problems)
    workloads, claims = workloads_of(view.objects)
    view.workloads = [
        *workloads,
        *derived_workloads(view.objects, view.chart_values),
        *addon_workloads(infra_stack),
    ]
    view.claims = claims
    view.control_plane = control_plane_reach(infra_stack)
    view.pools = pools_of(infra_stack, view.objects, env.network[region].pods.max_pods_per_node)
    return Cluster(view=view, flows=flows_of(platform_stack))


def build_clusters(
    outdir: Path, envs: Iterable[EnvironmentConfig], repository: Path, *, unread: bool = True
) -> Iterator[Cluster]:
    """Every AWS region's cluster of ``envs`` whose platform stack is in ``outdir``."""
    manifest = manifest_stacks(outdir)
    for env in envs:
        for region in env.aws_regions:
            infra, platform = f"{env.name}-{region}", f"{env.name}-{region}-platform"
            if platform not in manifest:
                continue
            yield build_view(
                env,
                region,
                read_stack(outdir, platform, manifest),
                read_stack(outdir, infra, manifest),
                repository,
                unread=unread,
            )

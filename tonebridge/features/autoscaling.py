"""Spec §10's autoscaling of a region's cluster: the cluster autoscaler for the managed node groups,
Karpenter's spot pool (where the infrastructure stack made its AWS side) and metrics-server.

:func:`add_autoscaling` takes the autoscaling settings (:mod:`tonebridge.props.autoscaling`), the
cluster's settings and what the infrastructure stack made for it
(:class:`~tonebridge.features.foundation.ClusterWiring`).
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerProps
from tonebridge.constructs.karpenter_pools import KarpenterController, KarpenterControllerProps
from tonebridge.constructs.metrics_server import MetricsServer, MetricsServerProps
from tonebridge.features.foundation import ClusterWiring, Placement
from tonebridge.props.autoscaling import AutoscalingSettings


@dataclass(frozen=True)
class Autoscaling:
    """What :func:`add_autoscaling` made (None where off)."""

    cluster_autoscaler: ClusterAutoscaler | None
    karpenter: KarpenterController | None
    metrics_server: MetricsServer | None


def add_autoscaling(
    scope: Construct, settings: AutoscalingSettings, wiring: ClusterWiring, *, system: Placement, controllers: Placement
) -> Autoscaling:
    """The autoscaler and metrics-server on ``system`` (critical add-ons); Karpenter on ``controllers``."""
    cluster, cfg = wiring.cluster, wiring.settings
    autoscaler = None
    if settings.cluster_autoscaler.enabled:
        role = cluster.service_account_roles["cluster-autoscaler"].arn
        props = ClusterAutoscalerProps(
            cfg.name, wiring.region, cfg.version, role, settings=settings.cluster_autoscaler, **system.props()
        )
        autoscaler = ClusterAutoscaler(scope, "cluster-autoscaler", props)
    karpenter = None
    if cluster.karpenter is not None:
        # What the infrastructure stack made for Karpenter: its role, the interruption queue, the nodes' profile.
        aws = cluster.karpenter
        made = (aws.controller_role_arn, aws.queue_name, aws.instance_profile_name)
        # The nodes: private subnets, the node security group, the root volumes' key (in the props' order).
        nodes = (wiring.vpc.subnet_ids["private"], [cluster.node_security_group_id], cluster.volumes_key_arn)
        props = KarpenterControllerProps(
            cfg.name,
            *made,
            *nodes,
            settings=settings.karpenter,
            max_pods=wiring.max_pods_per_node,
            irsa=cfg.karpenter,
            kernel_parameters=cluster.kernel_parameters,
            # Pods take their addresses from the pod subnets (VPC CNI custom networking),
            # so each node's primary interface carries none.
            reserved_enis=1 if cluster.pod_subnets else 0,
            tags=dict(wiring.tags),
            # Not a critical add-on: beside the other controllers, on a managed pool it does not scale.
            **controllers.props(),
        )
        karpenter = KarpenterController(scope, "karpenter", props)
    metrics = None
    if settings.metrics_server.enabled:
        metrics = MetricsServer(
            scope,
            "metrics-server",
            MetricsServerProps(settings=settings.metrics_server, **system.props()),
        )
    return Autoscaling(autoscaler, karpenter, metrics)

"""The region's network and cluster (spec §2.2, §11.1): the VPC, and the EKS cluster in its private
tiers, reachable on its API from inside the VPC only, with pods on their own subnets (custom networking)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.cluster import TonebridgeCluster
from tonebridge.constructs.pod_defaults import system_placement
from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.features.region import RegionPlacement
from tonebridge.props.cluster import ClusterSettings
from tonebridge.props.vpc import VpcSettings


@dataclass(frozen=True)
class RegionalNetwork:
    """The region's ``vpc`` and ``cluster``; its ``zones`` (the VPC's availability zones, in order), the
    cluster's name as configured (``cluster.name`` is a reference), and ``internal_cidrs`` (the VPC's and
    the pods' ranges)."""

    vpc: TonebridgeVpc
    cluster: TonebridgeCluster
    zones: Sequence[str]
    cluster_name: str
    internal_cidrs: list[str]

    @property
    def outputs(self) -> dict[str, object]:
        """What the platform stack and operators read: the network, the cluster and its IRSA roles."""
        vpc, cluster = self.vpc, self.cluster
        outputs: dict[str, object] = {
            "vpc_id": vpc.vpc_id,
            **{f"{tier}_subnet_ids": ids for tier, ids in vpc.subnet_ids.items()},
            "pod_subnet_ids": vpc.pod_subnet_ids,
            "availability_zones": self.zones,
            "db_subnet_group_name": vpc.db_subnet_group_name,
            "cluster_name": cluster.name,
            "cluster_endpoint": cluster.endpoint,
            "cluster_certificate_authority_data": cluster.certificate_authority_data,
            "oidc_provider_arn": cluster.irsa.arn,
            "oidc_issuer": cluster.irsa.issuer,
            "cluster_security_group_id": cluster.cluster_security_group_id,
            "node_security_group_id": cluster.node_security_group_id,
            "node_role_arn": cluster.node_role_arn,
            "volumes_key_arn": cluster.volumes_key_arn,
            **{f"{name.replace('-', '_')}_role_arn": role.arn for name, role in cluster.service_account_roles.items()},
        }
        if cluster.karpenter:
            outputs |= {
                "karpenter_controller_role_arn": cluster.karpenter.controller_role_arn,
                "karpenter_node_role_name": cluster.karpenter.node_role_name,
                "karpenter_instance_profile_name": cluster.karpenter.instance_profile_name,
                "karpenter_queue_name": cluster.karpenter.queue_name,
            }
        return outputs


def add_network(
    scope: Construct,
    network: VpcSettings,
    cluster: ClusterSettings,
    at: RegionPlacement,
    s3_buckets: Sequence[str],
    api_from: Sequence[str] = (),
) -> RegionalNetwork:
    """The VPC (id ``network``, named ``<prefix>-<region>``; its S3 gateway endpoint admits
    ``s3_buckets``) and the cluster (id ``cluster``) in it: API and internal traffic from the VPC's
    and the pods' ranges, the API also from ``api_from`` (a peered VPC's range), pods on the pod
    subnets of each zone, add-ons on the system nodes."""
    vpc = TonebridgeVpc(
        scope, "network", network, name=at.name, eks_cluster_names=[cluster.name], s3_buckets=s3_buckets
    )
    internal = [str(network.vpc_cidr), str(network.pods.cidr)]
    eks = TonebridgeCluster(
        scope,
        "cluster",
        cluster,
        vpc_id=vpc.vpc_id,
        subnet_ids=vpc.subnet_ids,
        api_allowed_cidrs=[*internal[:1], *api_from],
        internal_cidrs=internal,
        max_pods_per_node=network.pods.max_pods_per_node,
        pod_subnets=dict(zip(network.availability_zones, vpc.pod_subnet_ids, strict=True)),
        addon_node_selector=system_placement(group.labels for group in cluster.node_groups.values())[0],
    )
    return RegionalNetwork(vpc, eks, network.availability_zones, cluster.name, internal)

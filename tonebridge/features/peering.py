"""The secondary region's VPC peered with the primary's (``network.<region>.peering``), so that CI in the
primary region reaches the standby cluster's private API: the operator pipeline plans and applies every
stack, and a platform stack's Kubernetes and Helm providers talk to its cluster's API at plan time.

The secondary region's infrastructure stack owns the peering: it is deployed after the primary's, whose
VPC and route tables it reads, requests the connection and accepts it in the primary region with its
aliased provider there. Its cluster admits its API from the primary VPC's range (features/network.py).
"""

from __future__ import annotations

from collections.abc import Callable

from cdktf import TerraformProvider
from constructs import Construct

from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.constructs.vpc_peering import PeeringSide, VpcPeering, VpcPeeringProps
from tonebridge.features.region import RegionPlacement
from tonebridge.props.vpc import PeeringSettings


def add_peering(
    scope: Construct,
    settings: PeeringSettings | None,
    at: RegionPlacement,
    vpc: TonebridgeVpc,
    peer: TonebridgeVpc | None,
    provider_for: Callable[[str], TerraformProvider],
) -> VpcPeering | None:
    """The peering (id ``peering``) of ``vpc`` with ``peer`` (the other region's VPC, whose stack was built
    first), routes from ``settings.route_tiers`` of both."""
    if settings is None:
        return None
    if peer is None:
        raise ValueError(f"{at.name}: peering with {settings.region} needs that region's infrastructure stack first")

    def side(of: TonebridgeVpc) -> PeeringSide:
        tables = [table for tier in settings.route_tiers for table in of.route_table_ids[tier]]
        return PeeringSide(of.vpc_id, str(of.settings.vpc_cidr), tables)

    return VpcPeering(
        scope,
        "peering",
        VpcPeeringProps(
            name=f"{at.name}-{settings.region}",
            local=side(vpc),
            peer=side(peer),
            peer_region=settings.region,
            peer_provider=provider_for(settings.region),
        ),
    )

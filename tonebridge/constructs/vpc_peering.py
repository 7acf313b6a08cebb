"""VpcPeering: two VPCs of one account in two regions, peered, with routes both ways.

Inter-region peering cannot be accepted by its requester: the connection is requested with this stack's
provider and accepted with the peer region's (``peer_provider``, an aliased provider of the same stack), and
every route names the accepted connection, so no route is created towards a connection still pending.
Routes are separate ``aws_route`` resources: the route tables, owned by each region's VPC construct, keep
their own routes (a route table's inline routes would be authoritative and remove these).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.vpc_peering_connection import VpcPeeringConnection
from cdktf_cdktf_provider_aws.vpc_peering_connection_accepter import VpcPeeringConnectionAccepterA
from constructs import Construct


@dataclass(frozen=True)
class PeeringSide:
    """One VPC of the peering: its id, its range and the route tables that send the other side's range to it."""

    vpc_id: str
    cidr: str
    route_table_ids: Sequence[str]


@dataclass(frozen=True)
class VpcPeeringProps:
    """``name`` tags both ends; ``local`` is this stack's VPC (the requester); ``peer`` the other region's,
    ``peer_region`` its region and ``peer_provider`` the AWS provider of that region (the accepter)."""

    name: str
    local: PeeringSide
    peer: PeeringSide
    peer_region: str
    peer_provider: TerraformProvider

    def __post_init__(self) -> None:
        if not self.local.route_table_ids or not self.peer.route_table_ids:
            raise ValueError(f"{self.name}: a peering needs route tables on both sides (no traffic could use it)")


class VpcPeering(Construct):
    """Attributes: ``connection`` (the requester's ``aws_vpc_peering_connection``), ``accepter``, ``id``
    (the accepted connection's id)."""

    def __init__(self, scope: Construct, id_: str, props: VpcPeeringProps) -> None:
        super().__init__(scope, id_)
        self.connection = VpcPeeringConnection(
            self,
            "connection",
            vpc_id=props.local.vpc_id,
            peer_vpc_id=props.peer.vpc_id,
            peer_region=props.peer_region,
            tags={"Name": props.name},
        )
        self.accepter = VpcPeeringConnectionAccepterA(
            self,
            "accepter",
            provider=props.peer_provider,
            vpc_peering_connection_id=self.connection.id,
            auto_accept=True,
            tags={"Name": props.name},  # the same tags on both sides: one connection, seen from two regions
        )
        self.id: str = self.accepter.id
        for side, destination, provider in (
            ("local", props.peer.cidr, None),
            ("peer", props.local.cidr, props.peer_provider),
        ):
            tables = props.local.route_table_ids if side == "local" else props.peer.route_table_ids
            for i, table in enumerate(tables):
                Route(
                    self,
                    f"{side}-route-{i}",
                    route_table_id=table,
                    destination_cidr_block=destination,
                    vpc_peering_connection_id=self.id,
                    **({"provider": provider} if provider else {}),
                )

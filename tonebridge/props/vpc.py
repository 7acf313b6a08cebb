"""VpcSettings: what configures one region's TonebridgeVpc, in the YAML's shape (spec §2.2, §11.1).

The configuration declares ``network: dict[Region, VpcSettings]`` and the construct takes the same
object, so a field is declared, documented, defaulted and validated here once. cdktf-free: a bad
file is rejected before any provider is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from tonebridge import netplan
from tonebridge.props.aws_names import Region
from tonebridge.props.problems import COLLECTED, FieldProblem, PathPart
from tonebridge.props.types import Cidr, Ec2InstanceType, EndpointService, LogRetentionDays, StrictModel

TIERS = ("public", "private", "data", "management")

#: Interface endpoints a private EKS cluster needs (image pulls, IRSA, node bootstrap, logs)
#: plus those that let SSM Session Manager reach hosts without any inbound port.
DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "ec2", "logs", "ssm", "ssmmessages", "ec2messages")


class NatMode(StrEnum):
    """``per_az``: one NAT gateway per zone (zone-independent egress); ``single``: one, in the first
    zone (cheaper; that zone's outage cuts egress); ``none``: no egress from the private tiers."""

    PER_AZ = "per_az"
    SINGLE = "single"
    NONE = "none"


class SubnetTiers(StrictModel):
    """One subnet per availability zone and tier, in AZ order."""

    public: list[Cidr] = Field(min_length=1, description="NAT gateways, the bastion and internet-facing load balancers")
    private: list[Cidr] = Field(min_length=1, description="private-app tier: Kubernetes nodes")
    data: list[Cidr] = Field(
        min_length=1, description="private-data tier: PostgreSQL, Redis, Elasticsearch; no route to the internet"
    )
    management: list[Cidr] = Field(min_length=1, description="private-management tier: monitoring, CI/CD")


class PodNetworkSettings(StrictModel):
    """Secondary VPC CIDR for pod IPs (VPC CNI custom networking), split evenly per AZ."""

    cidr: Cidr = Field(
        default=IPv4Network("100.64.0.0/16"),
        description="The pod range, associated with the VPC beside `vpc_cidr` (RFC 1918 or RFC 6598, no overlap); "
        "it must hold `max_nodes` x `max_pods_per_node` addresses.",
    )
    max_nodes: int = Field(ge=1, le=5000, description="Most nodes the region's node groups may scale to.")
    max_pods_per_node: int = Field(
        default=110, ge=1, le=737, description="kubelet maxPods, what the pod range is sized for."
    )


#: CreateVpnGateway's amazonSideAsn: a 16-bit private ASN or a 32-bit one, nothing in between.
VGW_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))


def _vgw_asn(asn: int) -> int:
    if not any(low <= asn <= high for low, high in VGW_ASN_RANGES):
        raise ValueError(
            f"{asn} is not an ASN AWS gives a virtual private gateway: 64512-65534 (16-bit) or "
            "4200000000-4294967294 (32-bit)"
        )
    return asn


class VpnGatewaySettings(StrictModel):
    """A virtual private gateway for a site-to-site VPN (spec §11.1 `enable_vpn_gateway`); the VPN connection
    itself is made outside this code."""

    enabled: bool = Field(default=True, description="Attach a virtual private gateway.")
    amazon_side_asn: Annotated[int, AfterValidator(_vgw_asn)] = Field(
        default=64512,
        description="The gateway's BGP ASN: a private ASN, 64512-65534 (16-bit) or 4200000000-4294967294 (32-bit), "
        "as CreateVpnGateway requires.",
    )
    propagate_routes: bool = Field(
        default=False,
        description="Propagate the gateway's routes into the private and management tiers (needs a VPN connection; "
        "off as in terraform-aws-modules/vpc: an unexpected on-premises route can shadow the NAT default).",
    )


class BastionSettings(StrictModel):
    """The bastion host of spec §2.2's public subnet, reached through SSM Session Manager only."""

    enabled: bool = Field(
        default=True, description="An SSM-managed bastion in the first public subnet, with no inbound rule at all."
    )
    instance_type: Ec2InstanceType = Field(default="t3.micro", description="EC2 instance type of the bastion.")
    root_volume_gib: int = Field(
        default=20, ge=8, le=1024, description="Size of its encrypted gp3 root volume (Amazon Linux 2023)."
    )
    detailed_monitoring: bool = Field(default=True, description="One-minute CloudWatch metrics for the host.")


class FlowLogSettings(StrictModel):
    """The VPC's flow logs, to a CloudWatch log group encrypted under the VPC's key."""

    retention_days: LogRetentionDays = Field(default=365, description="CloudWatch retention of the VPC flow logs.")
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field(
        default="ALL", description="Which flows are logged: all, only those accepted, or only those rejected."
    )
    max_aggregation_interval: Literal[60, 600] = Field(
        default=60, description="Seconds a flow record aggregates: 60 (the finest AWS offers; default) or 600."
    )


class PeeringSettings(StrictModel):
    """This region's VPC peered with another region's of the same environment (inter-region VPC peering): the
    private API of this region's cluster is reached from the other region's VPC, where CI runs (the operator
    pipeline plans every stack, and a platform stack's providers talk to its cluster's API at plan time)."""

    region: Region = Field(
        description="The region whose VPC this one peers with: the environment's primary region (its stack is "
        "deployed first; this region's stack requests the peering and accepts it there)."
    )
    route_tiers: list[Literal["public", "private", "data", "management"]] = Field(
        default=["private", "management"],
        min_length=1,
        description="Tiers whose route tables, in both VPCs, send the other VPC's range through the peering: "
        "`private` holds the EKS API's network interfaces and the nodes, `management` the CI agents.",
    )
    cluster_api: bool = Field(
        default=True,
        description="This region's cluster admits its API (443) from the peer VPC's range (CI there plans and "
        "applies this region's platform stack).",
    )


class VpcSettings(StrictModel):
    """One region's VPC: public, private-app, data and management tiers across availability zones."""

    vpc_cidr: Cidr = Field(description="The VPC's primary range.")
    availability_zones: list[str] = Field(
        min_length=2, max_length=6, description="Zones to spread over, one subnet per tier in each."
    )
    subnets: SubnetTiers
    pods: PodNetworkSettings
    nat: NatMode = Field(
        default=NatMode.PER_AZ,
        description="Egress of the private tiers: `per_az`, one NAT gateway per zone (a zone's outage cuts no "
        "other's egress); `single`, one in the first zone (cheaper); `none`, no egress.",
    )
    vpn_gateway: VpnGatewaySettings = VpnGatewaySettings()
    bastion: BastionSettings = BastionSettings()
    flow_logs: FlowLogSettings = FlowLogSettings()
    peering: PeeringSettings | None = Field(
        default=None,
        description="Peer this VPC with another region's (unset: no peering); the ranges of all regions are "
        "disjoint, so any two can be peered.",
    )
    interface_endpoints: list[EndpointService] = Field(
        default=list(DEFAULT_INTERFACE_ENDPOINTS),
        description="Interface endpoints a private EKS cluster and SSM-managed hosts need.",
    )

    def problems(self) -> Iterator[tuple[tuple[PathPart, ...], str]]:
        """(field path below the region, reason) for every layout problem: tiers inside the VPC, one
        subnet per zone, no overlaps; the pod range holds the planned pods. Several at once, so the
        loader reports them all (semantics.py), with the rules that span regions."""
        zones = len(self.availability_zones)
        tiers = {tier: getattr(self.subnets, tier) for tier in TIERS}
        for tier, index, reason in netplan.layout_problems(self.vpc_cidr, tiers, zones):
            yield ("subnets", tier) + (() if index is None else (index,)), reason
        pods = self.pods
        reason = netplan.pod_range_problem(pods.cidr, self.vpc_cidr, zones, pods.max_nodes, pods.max_pods_per_node)
        if reason:
            yield ("pods", "cidr"), reason

    @model_validator(mode="after")
    def _layout(self, info: ValidationInfo) -> VpcSettings:
        """Settings built in code are valid by construction, so the construct never re-checks them."""
        if not (info.context or {}).get(COLLECTED):
            for path, reason in self.problems():
                raise FieldProblem(path, reason)
        return self

    @property
    def pod_subnets(self) -> list[IPv4Network]:
        """The pod range split evenly over the zones."""
        return netplan.split_evenly(self.pods.cidr, len(self.availability_zones))

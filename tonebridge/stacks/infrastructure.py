"""``<env>-<region>``: the AWS infrastructure of one region (network now; cluster and data later)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.vpc import TonebridgeVpc, TonebridgeVpcProps
from tonebridge.stacks.base import TonebridgeStack


def vpc_props(env: EnvironmentConfig, region: str) -> TonebridgeVpcProps:
    """Map one region's configuration onto the environment-agnostic VPC props."""
    net = env.network[region]
    return TonebridgeVpcProps(
        name=f"{env.tags['Project']}-{env.name}-{region}",
        cidr=str(net.vpc_cidr),
        availability_zones=net.availability_zones,
        public_subnets=[str(s) for s in net.subnets.public],
        private_subnets=[str(s) for s in net.subnets.private],
        data_subnets=[str(s) for s in net.subnets.data],
        management_subnets=[str(s) for s in net.subnets.management],
        pod_cidr=str(net.pods.cidr),
        max_nodes=net.pods.max_nodes,
        max_pods_per_node=net.pods.max_pods_per_node,
        nat=net.nat.value,
        enable_vpn_gateway=net.vpn_gateway.enabled,
        vpn_amazon_side_asn=net.vpn_gateway.amazon_side_asn,
        propagate_vpn_routes=net.vpn_gateway.propagate_routes,
        enable_bastion=net.bastion.enabled,
        bastion_instance_type=net.bastion.instance_type,
        bastion_root_volume_gib=net.bastion.root_volume_gib,
        bastion_detailed_monitoring=net.bastion.detailed_monitoring,
        flow_log_retention_days=net.flow_logs.retention_days,
        flow_log_traffic_type=net.flow_logs.traffic_type,
        interface_endpoints=net.interface_endpoints,
    )


class InfrastructureStack(TonebridgeStack):
    """Network of one region; its outputs are what the cluster, data and platform stacks consume."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, region: str) -> None:
        super().__init__(scope, env, region, region)
        self.vpc = TonebridgeVpc(self, "network", vpc_props(env, region))
        TerraformOutput(self, "vpc_id", value=self.vpc.vpc_id)
        for tier, ids in self.vpc.subnet_ids.items():
            TerraformOutput(self, f"{tier}_subnet_ids", value=ids)
        TerraformOutput(self, "pod_subnet_ids", value=self.vpc.pod_subnet_ids)
        TerraformOutput(self, "db_subnet_group_name", value=self.vpc.db_subnet_group_name)

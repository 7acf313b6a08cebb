"""TonebridgeVpc: the tiered network of one AWS region (spec §2.2, §11.1)."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.instance import Instance, InstanceMetadataOptions, InstanceRootBlockDevice
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import VpcIpv4CidrBlockAssociation
from cdktf_cdktf_provider_aws.vpn_gateway import VpnGateway
from cdktf_cdktf_provider_aws.vpn_gateway_route_propagation import VpnGatewayRoutePropagation
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, logs_grant
from tonebridge.constructs.trust import inline_policy, policy_document, service_role
from tonebridge.props.vpc import TIERS, VpcSettings
from tonebridge.registry_layer_buckets import layer_buckets

#: Amazon Linux 2023's current AMI, published by AWS as a public SSM parameter.
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

#: Ports the bastion may open inside the VPC: HTTPS (the EKS API, the VPC endpoints) and PostgreSQL (the RDS
#: database admits the bastion's security group: break-glass psql). Redis and Elasticsearch run as pods behind
#: NetworkPolicies that admit their clients only: an operator reaches them through the Kubernetes API
#: (``kubectl port-forward``), never from the bastion directly.
BASTION_EGRESS_PORTS = {
    443: "HTTPS to the EKS API and VPC endpoints",
    5432: "PostgreSQL",
}


def interface_endpoint_policy(service: str, partition: str, account_id: str) -> str:
    """Only this account's principals use the endpoint (whatever account owns the resource: ECR pulls
    AWS's add-on images). STS also answers ``AssumeRoleWithWebIdentity``, which is unauthenticated (the
    caller has no principal yet): allowed for this account's roles only, which IRSA needs."""
    statements: list[dict] = [
        {
            "Sid": "ThisAccountsPrincipals",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    ]
    if service == "sts":
        statements.append(
            {
                "Sid": "WebIdentityForThisAccountsRoles",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Resource": f"arn:{partition}:iam::{account_id}:role/*",
            }
        )
    return policy_document(*statements)


def s3_endpoint_policy(region: str, partition: str, account_id: str, buckets: Sequence[str]) -> str:
    """The gateway endpoint reaches the project's buckets (this account's principals only) and, read-only,
    the buckets nodes pull from: ECR's image layers, the Amazon Linux package repositories and the layer
    buckets of the public registries the platform's images come from (tonebridge/registry_layer_buckets.py)."""
    statements: list[dict] = [
        {
            "Sid": "AwsOwnedBucketsReadOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [
                f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*",
                f"arn:{partition}:s3:::al2023-repos-{region}-*/*",
                f"arn:{partition}:s3:::amazonlinux-2-repos-{region}/*",
            ],
        },
        {
            "Sid": "RegistryLayersReadOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [f"arn:{partition}:s3:::{bucket}/*" for bucket in layer_buckets(region)],
        },
    ]
    if buckets:
        statements.append(
            {
                "Sid": "ProjectBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    arn for b in buckets for arn in (f"arn:{partition}:s3:::{b}", f"arn:{partition}:s3:::{b}/*")
                ],
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
            }
        )
    return policy_document(*statements)


class TonebridgeVpc(Construct):
    """A VPC with public, private-app, data and management tiers across availability zones.

    Secure defaults follow terraform-aws-modules/vpc: the default security group is emptied, every
    tier has its own route table per zone, the data tier has no route out, flow logs go to a
    KMS-encrypted log group, and AWS APIs are reached through private endpoints.

    Configured by ``settings`` (:class:`~tonebridge.props.vpc.VpcSettings`, valid by construction: the
    layout was checked when it was built). The other arguments are wiring, not configuration:
    ``name`` prefixes every Name tag (``tonebridge-production-us-west-2``); ``eks_cluster_names`` are the
    clusters that share the subnets (tagged ``kubernetes.io/cluster/<name>=shared``); ``s3_buckets`` are the
    project's buckets reachable through the S3 gateway endpoint (its policy admits those, for this
    account's principals, and AWS's own ECR layer and Amazon Linux repository buckets, read-only; default
    none: only AWS's buckets).

    Attributes: ``settings``, ``vpc``, ``vpc_id``, ``subnet_ids`` (tier -> ids in zone order), ``pod_subnet_ids``,
    ``route_table_ids`` (tier -> ids), ``nat_gateway_ids``, ``db_subnet_group_name``,
    ``endpoint_security_group_id``, ``vpn_gateway_id`` (or None), ``bastion`` and
    ``bastion_security_group_id`` (or None),
    ``flow_log_group_name``, ``key`` (the customer key for logs and volumes).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: VpcSettings,
        *,
        name: str,
        eks_cluster_names: Sequence[str] = (),
        s3_buckets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        self._s3_buckets = list(s3_buckets)
        zones = list(settings.availability_zones)
        self.region = region = _region_of(zones[0])

        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=f"{name}-network",
                description=f"{name}: VPC flow logs and bastion volumes",
                service_grants=[logs_grant(region, f"/aws/vpc-flow-logs/{name}")],
                # Terraform launches the bastion, whose root volume EC2 encrypts as the caller.
                deployers_via_service=f"ec2.{region}.amazonaws.com",
            ),
        )

        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=str(settings.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        self.vpc_id: str = self.vpc.id
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": f"{name}-default-deny-all"})

        pod_association = VpcIpv4CidrBlockAssociation(
            self, "pod-cidr", vpc_id=self.vpc.id, cidr_block=str(settings.pods.cidr)
        )

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": name})

        cluster_tags = {f"kubernetes.io/cluster/{c}": "shared" for c in eks_cluster_names}
        tier_tags = {
            "public": {"kubernetes.io/role/elb": "1", **cluster_tags},
            "private": {"kubernetes.io/role/internal-elb": "1", **cluster_tags},
            "data": {},
            "management": {},
        }
        self.subnet_ids: dict[str, list[str]] = {}
        subnets: dict[str, list[Subnet]] = {}
        for tier in TIERS:
            subnets[tier] = [
                Subnet(
                    self,
                    f"{tier}-{az}",
                    vpc_id=self.vpc.id,
                    cidr_block=cidr,
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-{tier}-{az}", "Tier": tier, **tier_tags[tier]},
                )
                for az, cidr in zip(zones, map(str, getattr(settings.subnets, tier)), strict=True)
            ]
            self.subnet_ids[tier] = [s.id for s in subnets[tier]]

        pod_subnets = [
            Subnet(
                self,
                f"pods-{az}",
                vpc_id=self.vpc.id,
                cidr_block=str(cidr),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-pods-{az}", "Tier": "pods"},
                depends_on=[pod_association],
            )
            for az, cidr in zip(zones, settings.pod_subnets, strict=True)
        ]
        self.pod_subnet_ids: list[str] = [s.id for s in pod_subnets]

        # NAT gateways sit in the public subnets; "single" keeps one in the first zone.
        nat_zones = {"per_az": zones, "single": zones[:1], "none": []}[settings.nat]
        nats = []
        for i, az in enumerate(nat_zones):
            eip = Eip(self, f"nat-eip-{az}", domain="vpc", tags={"Name": f"{name}-nat-{az}"}, depends_on=[igw])
            nats.append(
                NatGateway(
                    self,
                    f"nat-{az}",
                    allocation_id=eip.id,
                    subnet_id=subnets["public"][i].id,
                    tags={"Name": f"{name}-{az}"},
                    depends_on=[igw],
                )
            )
        self.nat_gateway_ids: list[str] = [n.id for n in nats]

        # A route table per tier and zone: a zone's failure or a tier's change stays local.
        self.route_table_ids: dict[str, list[str]] = {}
        for tier in TIERS:
            tables = []
            for i, az in enumerate(zones):
                table = RouteTable(self, f"rt-{tier}-{az}", vpc_id=self.vpc.id, tags={"Name": f"{name}-{tier}-{az}"})
                RouteTableAssociation(self, f"rta-{tier}-{az}", route_table_id=table.id, subnet_id=subnets[tier][i].id)
                if tier == "public":
                    Route(
                        self,
                        f"route-{tier}-{az}-igw",
                        route_table_id=table.id,
                        destination_cidr_block="0.0.0.0/0",
                        gateway_id=igw.id,
                    )
                elif tier in ("private", "management") and nats:
                    Route(
                        self,
                        f"route-{tier}-{az}-nat",
                        route_table_id=table.id,
                        destination_cidr_block="0.0.0.0/0",
                        nat_gateway_id=nats[min(i, len(nats) - 1)].id,
                    )
                # data: deliberately no default route (no path to or from the internet).
                if tier == "private" and pod_subnets:
                    RouteTableAssociation(self, f"rta-pods-{az}", route_table_id=table.id, subnet_id=pod_subnets[i].id)
                tables.append(table)
            self.route_table_ids[tier] = [t.id for t in tables]

        self.vpn_gateway_id: str | None = None
        vpn = settings.vpn_gateway
        if vpn.enabled:
            vgw = VpnGateway(
                self, "vgw", vpc_id=self.vpc.id, amazon_side_asn=str(vpn.amazon_side_asn), tags={"Name": name}
            )
            self.vpn_gateway_id = vgw.id
            for tier in ("private", "management") if vpn.propagate_routes else ():
                for az, table_id in zip(zones, self.route_table_ids[tier], strict=True):
                    VpnGatewayRoutePropagation(
                        self, f"vgw-propagation-{tier}-{az}", vpn_gateway_id=vgw.id, route_table_id=table_id
                    )

        self.db_subnet_group_name: str = DbSubnetGroup(
            self,
            "db-subnets",
            name=f"{name}-data",
            description=f"{name}: data tier (no internet route)",
            subnet_ids=self.subnet_ids["data"],
            tags={"Name": f"{name}-data"},
        ).name

        self._flow_logs(name)
        self._endpoints(name)
        self.bastion_security_group_id: str | None = None
        self.bastion: Instance | None = self._bastion(name, subnets["public"][0]) if settings.bastion.enabled else None

    # --- flow logs ------------------------------------------------------------------------------

    def _flow_logs(self, name: str) -> None:
        group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=f"/aws/vpc-flow-logs/{name}",
            retention_in_days=self.settings.flow_logs.retention_days,
            kms_key_id=self.key.arn,
        )
        self.flow_log_group_name: str = group.name
        account = AwsContext.of(self).account_id
        role = service_role(self, "flow-log-role", f"{name}-flow-logs", "vpc-flow-logs.amazonaws.com", account)
        inline_policy(
            self,
            "flow-log-policy",
            role,
            "deliver-to-own-log-group",
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group.arn, f"{group.arn}:*"],
            },
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type=self.settings.flow_logs.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=self.settings.flow_logs.max_aggregation_interval,
            tags={"Name": name},
        )

    def _security_group(self, id_: str, name: str, description: str, **rules: list) -> SecurityGroup:
        """A security group of this VPC, tagged with its name; ``rules``: its ``ingress`` and ``egress``
        lists, both given (an empty list is a group without such rules)."""
        return SecurityGroup(
            self, id_, name=name, description=description, vpc_id=self.vpc.id, tags={"Name": name}, **rules
        )

    # --- private access to AWS APIs -------------------------------------------------------------

    def _endpoints(self, name: str) -> None:
        region = self.region
        sources = [str(self.settings.vpc_cidr), str(self.settings.pods.cidr)]
        sg = self._security_group(
            "endpoints-sg",
            f"{name}-vpc-endpoints",
            "HTTPS from inside the VPC to interface endpoints",
            ingress=[_tcp(SecurityGroupIngress, "HTTPS from the VPC and the pod range", 443, sources)],
            egress=[],
        )
        self.endpoint_security_group_id: str = sg.id
        every_table = [t for tier in TIERS for t in self.route_table_ids[tier]]
        aws = AwsContext.of(self)
        VpcEndpoint(
            self,
            "endpoint-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=every_table,
            policy=s3_endpoint_policy(region, aws.partition, aws.account_id, self._s3_buckets),
            tags={"Name": f"{name}-s3"},
        )
        for service in self.settings.interface_endpoints:
            VpcEndpoint(
                self,
                f"endpoint-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids["private"],
                security_group_ids=[sg.id],
                policy=interface_endpoint_policy(service, aws.partition, aws.account_id),
                tags={"Name": f"{name}-{service}"},
            )

    # --- bastion ----------------------------------------------------------------------------------

    def _bastion(self, name: str, subnet: Subnet) -> Instance:
        """A jump host reached only through SSM Session Manager: no inbound rule, no public IP, no key pair."""
        role = service_role(self, "bastion-role", f"{name}-bastion", "ec2.amazonaws.com")
        IamRolePolicyAttachment(
            self,
            "bastion-ssm",
            role=role.name,
            policy_arn=f"arn:{AwsContext.of(self).partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        )
        profile = IamInstanceProfile(self, "bastion-profile", name=f"{name}-bastion", role=role.name)
        inside = [str(self.settings.vpc_cidr)]
        sg = self._security_group(
            "bastion-sg",
            f"{name}-bastion",
            "Bastion: no inbound access; Session Manager only",
            ingress=[],
            egress=[
                _tcp(SecurityGroupEgress, f"{what} inside the VPC", port, inside)
                for port, what in BASTION_EGRESS_PORTS.items()
            ],
        )
        self.bastion_security_group_id = sg.id
        ami = DataAwsSsmParameter(self, "bastion-ami", name=AL2023_AMI_PARAMETER)
        return Instance(
            self,
            "bastion",
            ami=ami.value,
            instance_type=self.settings.bastion.instance_type,
            subnet_id=subnet.id,
            vpc_security_group_ids=[sg.id],
            iam_instance_profile=profile.name,
            # No public address: the public subnets never map one on launch (map_public_ip_on_launch
            # is false), and the host needs none for Session Manager through the VPC endpoints.
            monitoring=self.settings.bastion.detailed_monitoring,
            ebs_optimized=True,
            metadata_options=InstanceMetadataOptions(
                http_tokens="required", http_endpoint="enabled", http_put_response_hop_limit=1
            ),
            root_block_device=InstanceRootBlockDevice(
                encrypted=True,
                kms_key_id=self.key.arn,
                volume_type="gp3",
                volume_size=self.settings.bastion.root_volume_gib,
                delete_on_termination=True,
            ),
            tags={"Name": f"{name}-bastion"},
            # The AMI parameter moves with every Amazon Linux release; patching is Session
            # Manager's job, so a new AMI must not replace the host on the next apply.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["ami"]),
        )


def _tcp(
    rule: type[SecurityGroupIngress | SecurityGroupEgress], description: str, port: int, cidrs: list[str]
) -> SecurityGroupIngress | SecurityGroupEgress:
    """One TCP port to or from ``cidrs`` (an ingress or egress rule, as ``rule`` says)."""
    return rule(description=description, protocol="tcp", from_port=port, to_port=port, cidr_blocks=cidrs)


def _region_of(availability_zone: str) -> str:
    return availability_zone[:-1]

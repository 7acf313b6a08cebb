"""TonebridgeCluster: the EKS cluster of one region, its node pools and the identities of its controllers
(spec §3.1, §10, §12.1)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cdktf import Fn, TerraformLocal, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterKubernetesNetworkConfig,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupNodeRepairConfig,
    EksNodeGroupScalingConfig,
    EksNodeGroupTaint,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from tonebridge import eksrules
from tonebridge.constructs import controller_policies
from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.controller_policies import ClusterScope
from tonebridge.constructs.irsa import IrsaProvider, ServiceAccountRole
from tonebridge.constructs.karpenter import Karpenter, KarpenterProps
from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, KeyUser, logs_grant
from tonebridge.constructs.node_role import NodeRole
from tonebridge.constructs.node_userdata import KERNEL_PARAMETERS, encoded, node_user_data
from tonebridge.constructs.trust import inline_policy, service_role
from tonebridge.props.cluster import ClusterSettings, TaintSettings

#: All five control-plane log types.
CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: Ports the control plane opens to nodes and pods (pods carry the node group through the ENIConfigs): kubelet,
#: and the webhook ports of common controllers (443 generic, 4443 metrics-server, 6443, 8443 Karpenter, 9443 AWS
#: Load Balancer Controller, CloudNativePG and ECK, 15017 istiod's sidecar injector and validator behind its
#: Service's 443). The cluster-fit rule ``webhook`` (tools/fit/webhooks.py) proves every rendered webhook is here.
CONTROL_PLANE_TO_NODE_PORTS = (443, 4443, 6443, 8443, 9443, 10250, 15017)

#: The service-linked role EC2 Auto Scaling launches managed nodes with; it encrypts their volumes.
AUTOSCALING_SERVICE_ROLE = "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"

#: Where the in-cluster controllers run (namespace, service account); the platform stack installs them there.
CONTROLLER_SERVICE_ACCOUNTS = {
    "vpc-cni": ("kube-system", "aws-node"),
    "ebs-csi": ("kube-system", "ebs-csi-controller-sa"),
    "cluster-autoscaler": ("kube-system", "cluster-autoscaler"),
    "load-balancer-controller": ("kube-system", "aws-load-balancer-controller"),
}


#: Kept under the construct's name for the Karpenter node pools, which take the same taints.
Taint = TaintSettings


class TonebridgeCluster(Construct):
    """An EKS cluster with a private API endpoint, envelope-encrypted secrets, all control-plane logs,
    access entries instead of the aws-auth ConfigMap, managed node groups with hardened launch
    templates, IRSA, managed add-ons, and the IAM side of the cluster's controllers.

    Configured by ``settings`` (:class:`~tonebridge.props.cluster.ClusterSettings`, valid by construction:
    the cluster, its node groups and add-on versions were checked when it was built). The other arguments
    are wiring, not configuration:

    - ``vpc_id``; ``subnet_ids``: tier -> subnet ids in zone order (``TonebridgeVpc.subnet_ids``): nodes and
      the control plane's interfaces use ``private`` (the private-app tier, required), a node group with
      ``subnet_tier: management`` that tier's subnets (spec §2.2: CI/CD and monitoring);
    - ``api_allowed_cidrs``: ranges inside the VPC that may reach the private API endpoint on 443;
      ``internal_cidrs``: ranges nodes and pods may reach on any port (beyond them, only HTTPS);
    - ``max_pods_per_node``: kubelet maxPods, what the pod range was sized for (the VPC's ``pods``);
    - ``pod_subnets``: availability zone -> pod subnet id; when given, pods take their addresses from these
      subnets (VPC CNI custom networking, see :meth:`_addons`);
    - ``addon_node_selector``: where cluster-critical add-on controllers run;
    - ``kernel_parameters``: sysctls applied on every node at boot (default: spec §12.1).

    Attributes: ``settings``, ``kernel_parameters`` and ``pod_subnets`` (as given: the Karpenter node pools
    boot with the same sysctls, and lose an interface to custom networking when there are pod subnets),
    ``cluster``, ``name``, ``endpoint``, ``certificate_authority_data``, ``irsa`` (the cluster's IRSA provider:
    OIDC provider ARN and issuer without scheme), ``cluster_security_group_id``, ``node_security_group_id``,
    ``node_role_arn``, ``volumes_key_arn``, ``node_groups`` (name -> aws_eks_node_group),
    ``launch_templates`` (name -> aws_launch_template), ``service_account_roles`` (component -> ServiceAccountRole),
    ``karpenter`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: ClusterSettings,
        *,
        vpc_id: str,
        subnet_ids: Mapping[str, Sequence[str]],
        api_allowed_cidrs: Sequence[str] = (),
        internal_cidrs: Sequence[str] = (),
        max_pods_per_node: int = 110,
        pod_subnets: Mapping[str, str] | None = None,
        addon_node_selector: Mapping[str, str] | None = None,
        kernel_parameters: Mapping[str, str] = KERNEL_PARAMETERS,
    ) -> None:
        if not subnet_ids.get("private"):
            raise ValueError(f"cluster {settings.name}: subnet_ids must not be empty")
        if not 1 <= max_pods_per_node <= 737:
            raise ValueError(f"cluster {settings.name}: max_pods_per_node must be 1-737")
        super().__init__(scope, id_)
        self.settings = settings
        self.kernel_parameters: Mapping[str, str] = dict(kernel_parameters)
        self.pod_subnets: Mapping[str, str] = dict(pod_subnets or {})
        self._vpc_id, self._subnet_ids = vpc_id, subnet_ids
        self._api_allowed_cidrs, self._internal_cidrs = list(api_allowed_cidrs), list(internal_cidrs)
        self._max_pods_per_node = max_pods_per_node
        self._addon_node_selector = dict(addon_node_selector or {})
        name = settings.name
        aws = AwsContext.of(self)
        region, partition, account = aws.region, aws.partition, aws.account_id
        self.secrets_key = EncryptionKey(
            self,
            "secrets-key",
            EncryptionKeyProps(
                alias=f"{name}-eks",
                description=f"{name}: Kubernetes secrets envelope encryption and control-plane logs",
                service_grants=[logs_grant(region, f"/aws/eks/{name}/")],
            ),
        )
        self.volumes_key = EncryptionKey(
            self,
            "volumes-key",
            EncryptionKeyProps(
                alias=f"{name}-volumes",
                description=f"{name}: node root volumes and persistent volumes",
                role_grants=[AUTOSCALING_SERVICE_ROLE],
            ),
        )
        self.volumes_key_arn: str = self.volumes_key.arn
        self.cluster_scope = ClusterScope(partition=partition, account_id=account, region=region, cluster_name=name)

        log_group = CloudwatchLogGroup(
            self,
            "control-plane-logs",
            name=f"/aws/eks/{name}/cluster",  # the name EKS writes to
            retention_in_days=settings.log_retention_days,
            kms_key_id=self.secrets_key.arn,
        )
        #: The control plane's log group (audit, API, authenticator, ...), for metric filters.
        self.log_group_name: str = log_group.name
        role, cluster_policy = self._cluster_role(name, partition)
        # The control plane encrypts secrets as the cluster role (its inline policy names the key too).
        self.secrets_key.allow_use(
            KeyUser(arn=role.arn, actions=("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"))
        )
        self._security_groups(name)

        self.cluster = EksCluster(
            self,
            "cluster",
            name=name,
            version=settings.version,
            role_arn=role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=list(subnet_ids["private"]),
                security_group_ids=[self.cluster_security_group_id],
                endpoint_private_access=True,
                endpoint_public_access=bool(settings.public_access_cidrs),
                public_access_cidrs=[str(c) for c in settings.public_access_cidrs] or None,
            ),
            encryption_config=EksClusterEncryptionConfig(
                resources=["secrets"], provider=EksClusterEncryptionConfigProvider(key_arn=self.secrets_key.arn)
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            access_config=EksClusterAccessConfig(
                authentication_mode="API",
                # The identity that applies this stack also applies the platform stack through the
                # kubernetes and helm providers, so it keeps admin; people use admin_role_arns.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            kubernetes_network_config=EksClusterKubernetesNetworkConfig(
                service_ipv4_cidr=str(settings.service_cidr), ip_family="ipv4"
            ),
            upgrade_policy=EksClusterUpgradePolicy(support_type="STANDARD"),
            # Without managed add-ons EKS has to install its own CNI, kube-proxy and CoreDNS.
            bootstrap_self_managed_addons=not settings.managed_addons,
            depends_on=[log_group, cluster_policy],
        )
        self.name: str = self.cluster.name
        self.endpoint: str = self.cluster.endpoint
        self.certificate_authority_data: str = self.cluster.certificate_authority.get(0).data
        issuer = self.cluster.identity.get(0).oidc.get(0).issuer
        self.oidc = IamOpenidConnectProvider(
            self, "oidc", url=issuer, client_id_list=["sts.amazonaws.com"], tags={"Name": f"{name}-irsa"}
        )
        # The issuer as a local, so that trust policies read ``${local....}:sub`` rather than a nested replace().
        self.irsa = IrsaProvider(
            self.oidc.arn, TerraformLocal(self, "oidc-issuer", Fn.replace(issuer, "https://", "")).as_string
        )

        self.service_account_roles: dict[str, ServiceAccountRole] = {}
        self._component_roles(partition)
        before_nodes = self._addons(before_nodes=True)
        self._node_groups(name, before_nodes)
        self._addons(before_nodes=False)
        self._admins(partition)
        self.karpenter: Karpenter | None = None
        if settings.karpenter.enabled:
            self.karpenter = Karpenter(
                self,
                "karpenter",
                KarpenterProps(
                    scope=self.cluster_scope,
                    irsa=self.irsa,
                    volumes_key_arn=self.volumes_key.arn,
                    settings=settings.karpenter,
                    create_access_entry=settings.access_entries,
                    cluster=self.cluster.name,
                ),
            )
            # Karpenter launches instances with encrypted root volumes: EC2 uses the key as its caller.
            self.volumes_key.allow_use(
                KeyUser(
                    arn=self.karpenter.controller_role_arn,
                    via_service=f"ec2.{region}.amazonaws.com",
                    actions=(
                        "kms:GenerateDataKeyWithoutPlaintext",
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:CreateGrant",
                    ),
                )
            )

    # --- control plane ----------------------------------------------------------------------------

    def _cluster_role(self, name: str, partition: str) -> tuple[IamRole, IamRolePolicyAttachment]:
        """The role EKS runs the control plane as; the attachment is returned so the cluster can wait for it."""
        role = service_role(self, "cluster-role", f"{name}-cluster", "eks.amazonaws.com", tag_session=True)
        cluster_policy = IamRolePolicyAttachment(
            self, "cluster-policy", role=role.name, policy_arn=f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy"
        )
        inline_policy(
            self,
            "cluster-encryption",
            role,
            "secrets-envelope-encryption",
            {
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": self.secrets_key.arn,
            },
        )
        return role, cluster_policy

    def _security_groups(self, name: str) -> None:
        """Control plane and nodes each get their own group; only the ports below connect them."""
        vpc_id = self._vpc_id
        cluster_sg = SecurityGroup(
            self,
            "cluster-sg",
            name=f"{name}-cluster",
            description=f"{name}: EKS control-plane interfaces",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-cluster"},
        )
        node_sg = SecurityGroup(
            self,
            "node-sg",
            name=f"{name}-node",
            description=f"{name}: worker nodes and pods",
            vpc_id=vpc_id,
            tags={
                "Name": f"{name}-node",
                f"kubernetes.io/cluster/{name}": "owned",
                "karpenter.sh/discovery": name,
            },
        )
        self.cluster_security_group_id: str = cluster_sg.id
        self.node_security_group_id: str = node_sg.id

        def rule(kind, id_, sg, description, port=None, protocol="tcp", **target):
            cls = VpcSecurityGroupIngressRule if kind == "in" else VpcSecurityGroupEgressRule
            ports = {} if port is None else {"from_port": port, "to_port": port}
            cls(self, id_, security_group_id=sg.id, description=description, ip_protocol=protocol, **ports, **target)

        rule(
            "in",
            "api-from-nodes",
            cluster_sg,
            "Kubernetes API from nodes and pods",
            443,
            referenced_security_group_id=node_sg.id,
        )
        for i, cidr in enumerate(self._api_allowed_cidrs):
            rule("in", f"api-from-cidr-{i}", cluster_sg, f"Kubernetes API from {cidr}", 443, cidr_ipv4=cidr)
        for port in CONTROL_PLANE_TO_NODE_PORTS:
            rule(
                "out",
                f"control-plane-to-nodes-{port}",
                cluster_sg,
                f"Control plane to nodes on {port}",
                port,
                referenced_security_group_id=node_sg.id,
            )
            rule(
                "in",
                f"nodes-from-control-plane-{port}",
                node_sg,
                f"Control plane to nodes on {port}",
                port,
                referenced_security_group_id=cluster_sg.id,
            )
        rule(
            "in",
            "node-to-node",
            node_sg,
            "Nodes and pods to each other",
            protocol="-1",
            referenced_security_group_id=node_sg.id,
        )
        # Inside the VPC (nodes, pods, data tier, endpoints, DNS) any port; beyond it HTTPS only:
        # registries, AWS APIs and the LLM providers the services call are all HTTPS.
        for i, cidr in enumerate(self._internal_cidrs):
            rule(
                "out", f"node-egress-internal-{i}", node_sg, f"Nodes and pods to {cidr}", protocol="-1", cidr_ipv4=cidr
            )
        rule(
            "out",
            "node-egress-https",
            node_sg,
            "Nodes and pods to HTTPS anywhere (through NAT)",
            443,
            cidr_ipv4="0.0.0.0/0",
        )

    # --- nodes ------------------------------------------------------------------------------------

    def _node_groups(self, name: str, depends_on: list) -> None:
        """Managed node groups in the private-app subnets (or a group's own tier), each from its own launch template."""
        settings = self.settings
        node_role = NodeRole(self, "node-role", f"{name}-node")
        self.node_role_arn: str = node_role.arn
        user_data = encoded(node_user_data(self.kernel_parameters, self._max_pods_per_node))
        self.ami_release: str = settings.pinned_ami_release or self._recommended_ami_release()
        self.node_groups: dict[str, EksNodeGroup] = {}
        self.launch_templates: dict[str, LaunchTemplate] = {}
        for group_name, group in settings.node_groups.items():
            template = LaunchTemplate(
                self,
                f"lt-{group_name}",
                name=f"{name}-{group_name}",
                description=f"{name} {group_name} nodes: IMDSv2, encrypted gp3, kernel tuning",
                update_default_version=True,
                vpc_security_group_ids=[self.node_security_group_id],
                user_data=user_data,
                metadata_options=LaunchTemplateMetadataOptions(
                    http_endpoint="enabled",
                    http_tokens="required",
                    # Pods get AWS credentials from IRSA, never from the node: one hop keeps
                    # containers off the instance metadata service.
                    http_put_response_hop_limit=1,
                    instance_metadata_tags="disabled",
                ),
                block_device_mappings=[
                    LaunchTemplateBlockDeviceMappings(
                        device_name="/dev/xvda",
                        ebs=LaunchTemplateBlockDeviceMappingsEbs(
                            volume_size=group.disk_gib,
                            volume_type="gp3",
                            encrypted="true",
                            kms_key_id=self.volumes_key.arn,
                            delete_on_termination="true",
                        ),
                    )
                ],
                monitoring=LaunchTemplateMonitoring(enabled=True),
                tag_specifications=[
                    LaunchTemplateTagSpecifications(
                        resource_type=kind, tags={"Name": f"{name}-{group_name}", "NodeGroup": group_name}
                    )
                    for kind in ("instance", "volume", "network-interface")
                ],
                tags={"Name": f"{name}-{group_name}"},
            )
            self.launch_templates[group_name] = template
            self.node_groups[group_name] = EksNodeGroup(
                self,
                f"ng-{group_name}",
                cluster_name=self.cluster.name,
                node_group_name=group_name,
                node_role_arn=node_role.arn,
                subnet_ids=list(self._subnet_ids[group.subnet_tier]),
                ami_type="AL2023_x86_64_STANDARD",
                # The AMI release of the cluster's version: a new release (or a new version after a control
                # plane upgrade) rolls the group, max_unavailable_percentage at a time.
                version=settings.version,
                release_version=self.ami_release,
                # Off: no block at all (EKS's default), so an API that never returns one sees no drift.
                node_repair_config=EksNodeGroupNodeRepairConfig(enabled=True) if settings.node_repair else None,
                capacity_type=group.capacity_type,
                instance_types=list(group.instance_types),
                scaling_config=EksNodeGroupScalingConfig(
                    min_size=group.min_size, desired_size=group.desired_size, max_size=group.max_size
                ),
                update_config=EksNodeGroupUpdateConfig(max_unavailable_percentage=33),
                launch_template=EksNodeGroupLaunchTemplate(
                    id=template.id, version=Fn.tostring(template.latest_version)
                ),
                labels=dict(group.labels) or None,
                taint=[
                    EksNodeGroupTaint(key=t.key, value=t.value or None, effect=eksrules.TAINT_EFFECTS[t.effect])
                    for t in group.taints
                ]
                or None,
                tags={
                    "Name": f"{name}-{group_name}",
                    # spec §10.1: node-group auto-discovery by the cluster autoscaler
                    "k8s.io/cluster-autoscaler/enabled": "true",
                    f"k8s.io/cluster-autoscaler/{name}": "owned",
                },
                # The cluster autoscaler owns the running size once the group exists.
                lifecycle=TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
                depends_on=[node_role.role, *depends_on],
            )

    def _recommended_ami_release(self) -> str:
        """The recommended EKS-optimized AL2023 AMI release of the cluster's version, from AWS's public SSM
        parameter (``insecure_value``: a public String, not a secret, so plans show it)."""
        parameter = DataAwsSsmParameter(
            self,
            "ami-release",
            name=f"/aws/service/eks/optimized-ami/{self.settings.version}/amazon-linux-2023/x86_64/standard/"
            "recommended/release_version",
        )
        return parameter.insecure_value

    # --- identities of in-cluster components --------------------------------------------------------

    def _irsa(self, component: str, policy: dict | None = None, managed: Sequence[str] = ()) -> ServiceAccountRole:
        namespace, service_account = CONTROLLER_SERVICE_ACCOUNTS[component]
        name = f"{self.settings.name}-{component}"
        role = self.irsa.role(
            self, f"irsa-{component}", name, namespace, service_account, policy=policy, managed_policy_arns=managed
        )
        self.service_account_roles[component] = role
        return role

    def _component_roles(self, partition: str) -> None:
        aws_policy = f"arn:{partition}:iam::aws:policy"
        self._irsa("vpc-cni", managed=[f"{aws_policy}/AmazonEKS_CNI_Policy"])
        ebs_csi = self._irsa(
            "ebs-csi",
            policy=controller_policies.ebs_csi_key_use(self.volumes_key.arn),
            managed=[f"{aws_policy}/service-role/AmazonEBSCSIDriverPolicy"],
        )
        # The driver creates and attaches encrypted volumes through EC2 (grants for the volumes).
        self.volumes_key.allow_use(
            KeyUser(
                arn=ebs_csi.arn,
                via_service=f"ec2.{self.cluster_scope.region}.amazonaws.com",
                grants_for_aws_resources=True,
            )
        )
        self._irsa("cluster-autoscaler", policy=controller_policies.cluster_autoscaler(self.cluster_scope))
        self._irsa(
            "load-balancer-controller",
            policy=controller_policies.load_balancer_controller(self.cluster_scope, self._vpc_id),
        )

    def _addons(self, *, before_nodes: bool) -> list[EksAddon]:
        """EKS managed add-ons; the network ones exist before the first node, the rest need nodes.

        With ``pod_subnets``, vpc-cni uses custom networking: nodes keep their addresses in the
        private-app /24s while pods take theirs from the 100.64.0.0/10 pod subnets, chosen per zone
        through ENIConfig objects named after the zone. The add-on creates those ENIConfigs itself
        (``eniConfig``), so they exist before the first node starts and no node has to be recycled.
        Custom networking costs each node its primary interface for pods, so prefix delegation is on
        too: every interface slot then carries /28 prefixes and a node reaches ``max_pods_per_node``.
        ``enableNetworkPolicy`` turns on the CNI's policy agent, which enforces spec §8.1's NetworkPolicies.
        """
        if not self.settings.managed_addons:
            return []
        placement = {"nodeSelector": dict(self._addon_node_selector)} if self._addon_node_selector else {}
        critical = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
        cni_env = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
        cni: dict = {"env": cni_env, "enableNetworkPolicy": "true"}
        if self.pod_subnets:
            cni_env |= {
                "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
                "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
            }
            cni["eniConfig"] = {
                "create": True,
                "region": self.cluster_scope.region,
                "subnets": {
                    zone: {"id": subnet, "securityGroups": [self.node_security_group_id]}
                    for zone, subnet in self.pod_subnets.items()
                },
            }
        addons = (
            {
                "vpc-cni": (cni, "vpc-cni"),
                "kube-proxy": (None, None),
                "eks-pod-identity-agent": (None, None),
            }
            if before_nodes
            else {
                "coredns": ({**placement, "tolerations": critical, "replicaCount": 2}, None),
                "aws-ebs-csi-driver": ({"controller": {**placement, "tolerations": critical}}, "ebs-csi"),
            }
        )
        addon_versions = self.settings.resolved_addon_versions()
        created = []
        for addon, (configuration, component) in addons.items():
            created.append(
                EksAddon(
                    self,
                    f"addon-{addon}",
                    cluster_name=self.cluster.name,
                    addon_name=addon,
                    addon_version=addon_versions[addon],
                    configuration_values=json.dumps(configuration) if configuration else None,
                    service_account_role_arn=self.service_account_roles[component].arn if component else None,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="OVERWRITE",
                    # Removing one of these from Terraform must not remove it from the cluster: without the
                    # CNI, kube-proxy, CoreDNS or the EBS driver, nodes and volumes stop working.
                    preserve=True,
                    depends_on=None if before_nodes else list(self.node_groups.values()),
                )
            )
        return created

    # --- who may administer the cluster -----------------------------------------------------------

    def _admins(self, partition: str) -> None:
        """Configured roles become cluster admins through access entries (no aws-auth ConfigMap)."""
        if not self.settings.access_entries:
            return
        for i, principal in enumerate(self.settings.admin_role_arns):
            entry = EksAccessEntry(self, f"admin-entry-{i}", cluster_name=self.cluster.name, principal_arn=principal)
            EksAccessPolicyAssociation(
                self,
                f"admin-policy-{i}",
                cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=f"arn:{partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
                access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
            )

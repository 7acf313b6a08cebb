"""IAM policy documents for the in-cluster controllers, each scoped to one cluster.

Pure functions of ARNs and names so that tests can read every statement. Where a controller tags
what it creates, mutating actions are limited to resources carrying this cluster's tag, so a
controller of another cluster in the same account cannot be steered into touching ours.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterScope:
    """Where a controller acts: one cluster in one account and region."""

    partition: str
    account_id: str
    region: str
    cluster_name: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def cluster_autoscaler(scope: ClusterScope) -> dict:
    """Spec §10.1: read everything, scale only node groups tagged as this cluster's (EKS tags its
    managed groups' Auto Scaling groups ``k8s.io/cluster-autoscaler/<cluster>=owned``)."""
    return _doc(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
        },
        {
            "Sid": "DescribeOwnNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            "Resource": scope.arn("eks", f"nodegroup/{scope.cluster_name}/*"),
        },
        {
            "Sid": "ScaleOwnNodeGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": scope.arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
            "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{scope.cluster_name}": "owned"}},
        },
    )


def ebs_csi_key_use(volumes_key_arn: str) -> dict:
    """What the EBS CSI driver needs beyond AmazonEBSCSIDriverPolicy to use the customer key of its volumes."""
    return _doc(
        {
            "Sid": "GrantForVolumes",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": volumes_key_arn,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "UseVolumeKey",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": volumes_key_arn,
        },
    )


def load_balancer_controller(scope: ClusterScope, vpc_id: str) -> dict:
    """AWS Load Balancer Controller (spec §2.2 L7 edge): it reads widely, but creates, changes and
    deletes only load balancers, target groups and security groups tagged
    ``elbv2.k8s.aws/cluster=<this cluster>``, and security groups only in this cluster's VPC."""
    own = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": scope.cluster_name}}
    tagging_own_on_create = {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": scope.cluster_name}}
    elb = "elasticloadbalancing"
    balancers = [
        scope.arn(elb, "loadbalancer/app/*/*"),
        scope.arn(elb, "loadbalancer/net/*/*"),
        scope.arn(elb, "targetgroup/*/*"),
    ]
    return _doc(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeCoipPools",
                # Controller v3 (chart 3.x): IPAM pools, route tables.
                "ec2:DescribeIpamPools",
                "ec2:DescribeRouteTables",
                f"{elb}:DescribeLoadBalancers",
                f"{elb}:DescribeLoadBalancerAttributes",
                f"{elb}:DescribeListeners",
                f"{elb}:DescribeListenerAttributes",
                f"{elb}:DescribeListenerCertificates",
                f"{elb}:DescribeSSLPolicies",
                f"{elb}:DescribeRules",
                f"{elb}:DescribeTargetGroups",
                f"{elb}:DescribeTargetGroupAttributes",
                f"{elb}:DescribeTargetHealth",
                f"{elb}:DescribeTags",
                f"{elb}:DescribeTrustStores",
                f"{elb}:DescribeCapacityReservation",
                "acm:ListCertificates",
                "shield:GetSubscriptionState",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ReadScopedResources",
            "Effect": "Allow",
            "Action": [
                "acm:DescribeCertificate",
                "ec2:GetCoipPoolUsage",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "shield:DescribeProtection",
            ],
            "Resource": [
                scope.arn("acm", "certificate/*"),
                scope.arn("ec2", "coip-pool/*"),
                scope.arn("wafv2", "regional/webacl/*/*"),
                scope.arn(elb, "loadbalancer/app/*/*"),
                scope.arn("shield", "protection/*", region=False),
            ],
        },
        {
            # Controller v3: the security groups of this cluster's VPC only.
            "Sid": "ReadClusterVpcSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:GetSecurityGroupsForVpc",
            "Resource": [scope.arn("ec2", f"vpc/{vpc_id}"), scope.arn("ec2", "security-group/*")],
        },
        {
            "Sid": "CreateLoadBalancerServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": scope.arn(
                "iam",
                "role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
                region=False,
            ),
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            "Sid": "CreateSecurityGroupsInClusterVpc",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": scope.arn("ec2", f"vpc/{vpc_id}"),
        },
        {
            "Sid": "CreateTaggedSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": scope.arn("ec2", "security-group/*"),
            "Condition": tagging_own_on_create,
        },
        {
            "Sid": "TagSecurityGroupsOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": scope.arn("ec2", "security-group/*"),
            "Condition": {
                "StringEquals": {
                    "aws:RequestTag/elbv2.k8s.aws/cluster": scope.cluster_name,
                    "ec2:CreateAction": "CreateSecurityGroup",
                }
            },
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            "Resource": scope.arn("ec2", "security-group/*"),
            "Condition": own,
        },
        {
            "Sid": "AllowNodeTrafficFromOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": scope.arn("ec2", "security-group/*"),
            "Condition": {"StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{scope.cluster_name}": "owned"}},
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": [f"{elb}:CreateLoadBalancer", f"{elb}:CreateTargetGroup", f"{elb}:AddTags"],
            "Resource": balancers,
            "Condition": tagging_own_on_create,
        },
        {
            "Sid": "ManageOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                f"{elb}:ModifyLoadBalancerAttributes",
                f"{elb}:SetIpAddressType",
                f"{elb}:SetSecurityGroups",
                f"{elb}:SetSubnets",
                f"{elb}:DeleteLoadBalancer",
                f"{elb}:ModifyTargetGroup",
                f"{elb}:ModifyTargetGroupAttributes",
                f"{elb}:DeleteTargetGroup",
                f"{elb}:RegisterTargets",
                f"{elb}:DeregisterTargets",
                f"{elb}:AddTags",
                f"{elb}:RemoveTags",
                f"{elb}:SetWebAcl",
                f"{elb}:ModifyCapacityReservation",
                f"{elb}:ModifyIpPools",
            ],
            "Resource": balancers,
            "Condition": own,
        },
        {
            # Listeners and rules of this account and region; the controller does not tag them all.
            "Sid": "ManageListenersAndRules",
            "Effect": "Allow",
            "Action": [
                f"{elb}:CreateListener",
                f"{elb}:DeleteListener",
                f"{elb}:ModifyListener",
                f"{elb}:ModifyListenerAttributes",
                f"{elb}:AddListenerCertificates",
                f"{elb}:RemoveListenerCertificates",
                f"{elb}:CreateRule",
                f"{elb}:DeleteRule",
                f"{elb}:ModifyRule",
            ],
            "Resource": [
                *balancers,
                scope.arn(elb, "listener/*/*/*/*"),
                scope.arn(elb, "listener-rule/*/*/*/*/*"),
            ],
        },
        {
            "Sid": "AssociateWebAclWithOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
            "Resource": [scope.arn("wafv2", "regional/webacl/*/*"), scope.arn(elb, "loadbalancer/app/*/*")],
        },
        {
            "Sid": "ShieldProtection",
            "Effect": "Allow",
            "Action": ["shield:CreateProtection", "shield:DeleteProtection"],
            "Resource": scope.arn("shield", "protection/*", region=False),
        },
    )


def karpenter_controller(
    scope: ClusterScope, *, node_role_arn: str, instance_profile_arn: str, queue_arn: str, volumes_key_arn: str
) -> dict:
    """Karpenter v1 (spec §10.2), with an instance profile made here rather than by Karpenter, so the
    controller needs no IAM write access at all. Launches and deletions are limited to resources
    tagged for this cluster and a Karpenter NodePool."""
    c = scope.cluster_name
    owned = f"aws:ResourceTag/kubernetes.io/cluster/{c}"
    request_owned = f"aws:RequestTag/kubernetes.io/cluster/{c}"
    ec2 = lambda resource: scope.arn("ec2", resource)  # noqa: E731 - a local shorthand
    launched = [
        ec2(kind)
        for kind in (
            "fleet/*",
            "instance/*",
            "volume/*",
            "network-interface/*",
            "launch-template/*",
            "spot-instances-request/*",
        )
    ]
    return _doc(
        {
            "Sid": "LaunchFromSharedResources",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [
                f"arn:{scope.partition}:ec2:{scope.region}::image/*",
                f"arn:{scope.partition}:ec2:{scope.region}::snapshot/*",
                ec2("security-group/*"),
                ec2("subnet/*"),
                ec2("capacity-reservation/*"),
            ],
        },
        {
            "Sid": "LaunchFromOwnTemplates",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": ec2("launch-template/*"),
            "Condition": {
                "StringEquals": {owned: "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "CreateTaggedCapacity",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Resource": launched,
            "Condition": {
                "StringEquals": {request_owned: "owned", "aws:RequestTag/eks:eks-cluster-name": c},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": launched,
            "Condition": {
                "StringEquals": {
                    request_owned: "owned",
                    "aws:RequestTag/eks:eks-cluster-name": c,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "TagOwnNodes",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": ec2("instance/*"),
            "Condition": {
                "StringEquals": {owned: "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "DeleteOwnCapacity",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Resource": [ec2("instance/*"), ec2("launch-template/*")],
            "Condition": {
                "StringEquals": {owned: "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "RegionalReads",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": scope.region}},
        },
        {
            "Sid": "PublicAmiParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{scope.partition}:ssm:{scope.region}::parameter/aws/service/*",
        },
        {"Sid": "Pricing", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {
            "Sid": "InterruptionQueue",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "PassNodeRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}},
        },
        {
            "Sid": "ReadNodeInstanceProfile",
            "Effect": "Allow",
            "Action": "iam:GetInstanceProfile",
            "Resource": instance_profile_arn,
        },
        {
            "Sid": "ApiServerEndpointDiscovery",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": scope.arn("eks", f"cluster/{c}"),
        },
        {
            "Sid": "EncryptNodeVolumes",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": volumes_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{scope.region}.amazonaws.com"}},
        },
    )

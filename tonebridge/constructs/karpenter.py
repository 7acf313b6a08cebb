"""AWS side of Karpenter (spec §10.2): node identity, controller identity, and spot interruption handling."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from tonebridge import eksrules
from tonebridge.constructs import controller_policies
from tonebridge.constructs.controller_policies import ClusterScope
from tonebridge.constructs.irsa import IrsaProvider
from tonebridge.constructs.node_role import NodeRole
from tonebridge.props.cluster import KarpenterSettings

#: EventBridge events Karpenter acts on (it drains a node before AWS takes it away), keyed by
#: the names in eksrules.KARPENTER_RULE_EVENTS, which the rule names are checked against.
INTERRUPTION_EVENTS = {
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "scheduled-change": ("aws.health", "AWS Health Event"),
    # Karpenter 1.x's CloudFormation (getting started) also forwards these: an on-demand capacity
    # reservation taking back its instances gives the same two-minute warning as a spot reclaim.
    "capacity-reservation": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


@dataclass(frozen=True)
class KarpenterProps:
    """Props of :class:`Karpenter`.

    scope: the cluster, account and region (required).
    irsa: the cluster's IRSA provider (required).
    volumes_key_arn: customer key of node volumes (required).
    settings: Karpenter's AWS side as configured; its namespace / service account is where the
        controller runs (default kube-system / karpenter).
    create_access_entry: let nodes with the node role join through an EC2_LINUX access entry (default True).
    cluster: the cluster name as a reference to the cluster resource, so that the access entry waits for
        the cluster (default: ``scope.cluster_name``).
    """

    scope: ClusterScope
    irsa: IrsaProvider
    volumes_key_arn: str
    settings: KarpenterSettings = field(default_factory=KarpenterSettings)
    create_access_entry: bool = True
    cluster: str | None = None

    def __post_init__(self) -> None:
        """EventBridge rule names (64) are the tightest limit on the cluster name; fail here, not at apply."""
        problem = eksrules.karpenter_name_problem(self.scope.cluster_name)
        if problem:
            raise ValueError(f"cluster {self.scope.cluster_name}: {problem}")


class Karpenter(Construct):
    """Node role and instance profile for the nodes Karpenter launches, the controller's IRSA role,
    and an encrypted SQS queue fed by EventBridge with spot interruption, rebalance, instance state
    and scheduled maintenance events.

    Attributes: ``node_role_name``, ``node_role_arn``, ``instance_profile_name``, ``controller_role_arn``,
    ``queue_name``, ``queue_arn``.
    """

    def __init__(self, scope: Construct, id_: str, props: KarpenterProps) -> None:
        super().__init__(scope, id_)
        cluster = props.scope.cluster_name
        node_role = NodeRole(self, "node-role", f"{cluster}-karpenter-node")
        profile = IamInstanceProfile(self, "node-profile", name=f"{cluster}-karpenter-node", role=node_role.name)
        if props.create_access_entry:
            EksAccessEntry(
                self,
                "node-access",
                cluster_name=props.cluster or cluster,
                principal_arn=node_role.arn,
                type="EC2_LINUX",
            )

        queue = SqsQueue(
            self,
            "interruptions",
            name=f"{cluster}-karpenter",
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
        )
        rules_arn = props.scope.arn("events", f"rule/{eksrules.karpenter_rule_name(cluster, '*')}")
        SqsQueuePolicy(
            self,
            "interruptions-policy",
            queue_url=queue.url,
            policy=_queue_policy(queue.arn, rules_arn, props.scope.account_id),
        )
        for name, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = CloudwatchEventRule(
                self,
                f"rule-{name}",
                name=eksrules.karpenter_rule_name(cluster, name),
                description=f"Karpenter ({cluster}): {detail_type}",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
            )
            CloudwatchEventTarget(self, f"target-{name}", rule=rule.name, target_id="karpenter", arn=queue.arn)

        policy = controller_policies.karpenter_controller(
            props.scope,
            node_role_arn=node_role.arn,
            instance_profile_arn=profile.arn,
            queue_arn=queue.arn,
            volumes_key_arn=props.volumes_key_arn,
        )
        settings = props.settings
        controller = props.irsa.role(
            self, "controller", f"{cluster}-karpenter", settings.namespace, settings.service_account, policy=policy
        )
        self.node_role_name: str = node_role.name
        self.node_role_arn: str = node_role.arn
        self.instance_profile_name: str = profile.name
        self.controller_role_arn: str = controller.arn
        self.queue_name: str = queue.name
        self.queue_arn: str = queue.arn


def _queue_policy(queue_arn: str, rules_arn: str, account_id: str) -> str:
    """EventBridge may send, for this cluster's Karpenter rules only (``aws:SourceArn``, in this
    account); nobody may use the queue without TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeSends",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": rules_arn},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                },
                {
                    "Sid": "DenyWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )

"""Karpenter in the cluster (spec §10.2): the controller from its chart, and the spot pool it launches.

The spec's ``Provisioner`` (karpenter.sh/v1alpha5) no longer exists; its current form is a v1
``NodePool`` (what to launch, limits, disruption) plus an ``EC2NodeClass`` (how: AMI, subnets,
security groups, IAM, disks, user data). ``ttlSecondsAfterEmpty: 30`` is ``consolidationPolicy:
WhenEmpty`` with ``consolidateAfter: 30s``.

Spot nodes get the same boot-time kernel tuning (§12.1) as the managed node groups: the user data
from :mod:`tonebridge.constructs.node_userdata` is a MIME document, into which Karpenter merges its
own ``NodeConfig``. The controller runs on the system pool, never on a node it manages itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.charts import KARPENTER, KARPENTER_CRD
from tonebridge.constructs.kube import CustomResources, Dependencies, chart_release
from tonebridge.constructs.node_userdata import KERNEL_PARAMETERS, node_user_data
from tonebridge.constructs.pod_defaults import check_replicas, restricted_container_context
from tonebridge.props.autoscaling import KarpenterControllerSettings, NodePoolSettings
from tonebridge.props.cluster import KarpenterSettings

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"


@dataclass(frozen=True)
class KarpenterControllerProps:
    """Props of :class:`KarpenterController`.

    :param cluster_name: the EKS cluster (required).
    :param controller_role_arn: IRSA role of the controller (required).
    :param interruption_queue: SQS queue with spot interruption and rebalance events (required).
    :param instance_profile: instance profile of the nodes; made beside the node role, so the
        controller needs no IAM write access (required).
    :param subnet_ids: private subnets the nodes go into (required, not empty).
    :param security_group_ids: security groups of the nodes (required, not empty).
    :param volumes_key_arn: customer key of the nodes' root volumes (required).
    :param settings: the configured controller replicas and its pool, the NodePool/EC2NodeClass
        (:class:`~tonebridge.props.autoscaling.KarpenterControllerSettings`, default spec §10.2); two
        replicas, with a PodDisruptionBudget of one unavailable.
    :param max_pods: kubelet maxPods of the pool's nodes; Karpenter schedules with it too (default 110).
    :param irsa: the cluster's Karpenter settings (:class:`~tonebridge.props.cluster.KarpenterSettings`):
        the namespace and service account the controller runs as; its IRSA role trusts exactly this pair
        (default kube-system / karpenter).
    :param node_selector, tolerations: placement of the controller (default none).
    :param kernel_parameters: sysctls set on every node at boot (default spec §12.1).
    :param reserved_enis: ENIs not usable for pods (default 0; 1 with VPC CNI custom networking).
    :param tags: extra tags on everything Karpenter launches (default none).
    """

    cluster_name: str
    controller_role_arn: str
    interruption_queue: str
    instance_profile: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    volumes_key_arn: str
    settings: KarpenterControllerSettings = field(default_factory=KarpenterControllerSettings)
    max_pods: int = 110
    irsa: KarpenterSettings = field(default_factory=KarpenterSettings)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    kernel_parameters: Mapping[str, str] = field(default_factory=lambda: dict(KERNEL_PARAMETERS))
    reserved_enis: int = 0
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.cluster_name:
            raise ValueError("karpenter: cluster_name is required")
        if not self.subnet_ids:
            raise ValueError("karpenter: subnet_ids must not be empty")
        if not self.security_group_ids:
            raise ValueError("karpenter: security_group_ids must not be empty")
        check_replicas("karpenter", self.settings.replicas)
        if not 1 <= self.max_pods <= 737:
            raise ValueError(f"node pool {self.settings.node_pool.name}: max_pods must be 1-737")
        if not 0 <= self.reserved_enis <= 2:
            raise ValueError("karpenter: reserved_enis must be 0-2")
        for key in self.tags:
            if key.startswith(("karpenter.sh/", "karpenter.k8s.aws/", "kubernetes.io/cluster/", "eks:")):
                raise ValueError(f"karpenter: tag {key!r} is one Karpenter sets itself")


def karpenter_values(props: KarpenterControllerProps) -> dict[str, Any]:
    """Chart values: cluster, interruption queue, IRSA, two replicas on the system pool, hardened pods."""
    return {
        "settings": {
            "clusterName": props.cluster_name,
            "interruptionQueue": props.interruption_queue,
            "reservedENIs": str(props.reserved_enis),
        },
        "serviceAccount": {
            "create": True,
            "name": props.irsa.service_account,
            "annotations": {"eks.amazonaws.com/role-arn": props.controller_role_arn},
        },
        "replicas": props.settings.replicas,
        "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux", **props.node_selector},
        "tolerations": [dict(t) for t in props.tolerations],
        "affinity": {
            # Never on a node Karpenter manages: it could remove the node it runs on.
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}
                    ]
                }
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]
            },
        },
        "podSecurityContext": {"fsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
        "controller": {
            # The chart's container context already runs as 65532, read-only, no escalation, no capabilities.
            "securityContext": {"seccompProfile": restricted_container_context()["seccompProfile"]},
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        },
        "logLevel": "info",
    }


def node_class(props: KarpenterControllerProps) -> dict[str, Any]:
    """The EC2NodeClass: pinned AMI, private subnets, node security group, IMDSv2, encrypted gp3, user data."""
    pool = props.settings.node_pool
    return {
        "apiVersion": NODECLASS_API,
        "kind": "EC2NodeClass",
        "metadata": {"name": pool.name},
        "spec": {
            "instanceProfile": props.instance_profile,
            "amiSelectorTerms": [{"alias": pool.ami_alias}],
            "subnetSelectorTerms": [{"id": subnet} for subnet in props.subnet_ids],
            "securityGroupSelectorTerms": [{"id": group} for group in props.security_group_ids],
            "associatePublicIPAddress": False,
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                # Pods get AWS credentials from IRSA only: one hop keeps containers off the metadata service.
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "rootVolume": True,
                    "ebs": {
                        "volumeSize": f"{pool.root_volume_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "kmsKeyID": props.volumes_key_arn,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "detailedMonitoring": True,
            "kubelet": {"maxPods": props.max_pods},
            "userData": node_user_data(props.kernel_parameters, props.max_pods),
            "tags": {"Name": f"{props.cluster_name}-{pool.name}", "NodePool": pool.name, **props.tags},
        },
    }


def node_pool(pool: NodePoolSettings) -> dict[str, Any]:
    """The NodePool of spec §10.2."""
    return {
        "apiVersion": NODEPOOL_API,
        "kind": "NodePool",
        "metadata": {"name": pool.name},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool.name},
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": list(pool.architectures)},
                        {
                            "key": "node.kubernetes.io/instance-type",
                            "operator": "In",
                            "values": list(pool.instance_types),
                        },
                    ],
                    "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints],
                    "expireAfter": pool.expire_after,
                }
            },
            "limits": {"cpu": pool.cpu_limit, "memory": pool.memory_limit},
            "disruption": {
                "consolidationPolicy": pool.consolidation_policy,
                "consolidateAfter": pool.consolidate_after,
            },
        },
    }


class KarpenterController(Construct):
    """Karpenter's CRDs, the Karpenter release, then its NodePool and EC2NodeClass.

    The CRDs come from the ``karpenter-crd`` chart, a release of their own before the controller's, at the
    same version: its CRDs are templates, so every upgrade upgrades them (Karpenter's own advice), while the
    controller's release skips its ``crds/`` folder, which Helm would install once and never upgrade.

    Attributes: ``crds`` and ``release`` (ChartRelease), ``pools`` (CustomResources), ``values``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, props: KarpenterControllerProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.values = karpenter_values(props)
        if KARPENTER_CRD.version != KARPENTER.version:
            raise ValueError(f"karpenter-crd {KARPENTER_CRD.version} must be karpenter's version {KARPENTER.version}")
        crds = ("karpenter-crd", KARPENTER_CRD, props.irsa.namespace)
        self.crds = chart_release(self, "crds", crds, depends_on=depends_on)
        chart = ("karpenter", KARPENTER, props.irsa.namespace)
        self.release = chart_release(self, "chart", chart, self.values, skip_crds=True, depends_on=[self.crds.release])
        self.pools = CustomResources(
            self,
            "pools",
            release_name="karpenter-pools",
            namespace=props.irsa.namespace,
            objects=[node_class(props), node_pool(props.settings.node_pool)],
            depends_on=[self.release.release],
        )

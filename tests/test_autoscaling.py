"""Autoscaling in the cluster (spec §10.1, §10.2, §12.1 on Karpenter's nodes): the synthesized
production us-west-2 platform stack carries the spec's exact values; props refuse bad input early."""

from __future__ import annotations

import base64
import json

import pytest

from tests.config_lines import loader_report
from tests.conftest import resources

PLATFORM = "production-us-west-2-platform"
INFRA = "production-us-west-2"
SYSTEM_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
SPEC_KERNEL_PARAMETERS = {
    "net.core.somaxconn": "65535",
    "net.ipv4.tcp_max_syn_backlog": "8192",
    "net.ipv4.tcp_tw_reuse": "1",
    "net.ipv4.tcp_fin_timeout": "30",
    "net.ipv4.ip_local_port_range": "10000 65000",
    "vm.max_map_count": "262144",
    "vm.swappiness": "1",
    "fs.file-max": "2097152",
    "fs.nr_open": "1048576",
}


def _releases(stack: dict) -> dict[str, dict]:
    return {r["name"]: r for r in resources(stack, "helm_release").values()}


def _values(release: dict) -> dict:
    (document,) = release["values"]
    return json.loads(document)


def _objects(stack: dict, kind: str) -> list[dict]:
    from tools.kube_objects import objects_of

    return [o for o in objects_of(stack) if o["kind"] == kind]


def _output_ref(value: str, resource_type: str, fragment: str) -> None:
    """A cross-stack reference to an output of the infrastructure stack, for the named resource."""
    assert value.startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{INFRA}.outputs."), value
    assert resource_type in value and fragment in value, value


# --- §10.1 cluster autoscaler ---------------------------------------------------------------------


def test_cluster_autoscaler_has_the_spec_arguments(stacks, environments):
    release = _releases(stacks[PLATFORM])["cluster-autoscaler"]
    assert release["repository"] == "https://kubernetes.github.io/autoscaler"
    assert release["chart"] == "cluster-autoscaler" and release["namespace"] == "kube-system"
    values = _values(release)
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "us-west-2"
    assert values["fullnameOverride"] == "cluster-autoscaler"
    assert values["autoDiscovery"] == {
        "clusterName": "tonebridge-production",
        "tags": ["k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/tonebridge-production"],
    }
    assert values["extraArgs"] == {
        "v": 4,
        "stderrthreshold": "info",
        "expander": "least-waste",
        "skip-nodes-with-local-storage": False,
        "balance-similar-node-groups": True,
    }
    minor = environments["production"].clusters["us-west-2"].version
    assert values["image"]["repository"] == "registry.k8s.io/autoscaling/cluster-autoscaler"
    assert values["image"]["tag"].startswith(f"v{minor}.")


def test_cluster_autoscaler_runs_on_system_nodes_with_its_irsa_role(stacks):
    values = _values(_releases(stacks[PLATFORM])["cluster-autoscaler"])
    account = values["rbac"]["serviceAccount"]
    assert account["name"] == "cluster-autoscaler" and account["create"] is True
    _output_ref(account["annotations"]["eks.amazonaws.com/role-arn"], "aws_iam_role", "cluster-autoscaler")
    assert values["nodeSelector"] == {"workload": "system"}
    assert values["tolerations"] == [SYSTEM_TOLERATION]
    assert values["priorityClassName"] == "system-cluster-critical"
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    container = values["containerSecurityContext"]
    assert container["readOnlyRootFilesystem"] is True and container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert values["securityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["resources"]["requests"] and values["resources"]["limits"]


def test_autoscaler_discovers_exactly_the_tags_the_node_groups_carry(stacks):
    tags = _values(_releases(stacks[PLATFORM])["cluster-autoscaler"])["autoDiscovery"]["tags"]
    for group in resources(stacks[INFRA], "aws_eks_node_group").values():
        assert set(tags) <= set(group["tags"])


# --- §10.2 Karpenter ------------------------------------------------------------------------------


def test_karpenter_release_settings_identity_and_placement(stacks):
    release = _releases(stacks[PLATFORM])["karpenter"]
    assert release["repository"] == "oci://public.ecr.aws/karpenter" and release["chart"] == "karpenter"
    assert release["namespace"] == "kube-system"
    values = _values(release)
    assert values["settings"]["clusterName"] == "tonebridge-production"
    _output_ref(values["settings"]["interruptionQueue"], "aws_sqs_queue", "karpenter_interruptions")
    assert values["settings"]["reservedENIs"] == "1"  # VPC CNI custom networking
    account = values["serviceAccount"]
    assert account["name"] == "karpenter"
    _output_ref(account["annotations"]["eks.amazonaws.com/role-arn"], "aws_iam_role", "karpenter_controller")
    assert values["replicas"] == 2 and values["podDisruptionBudget"]["maxUnavailable"] == 1
    # Not a critical add-on: on the application pool (managed, so never one of its own nodes).
    assert values["nodeSelector"]["workload"] == "application" and values["tolerations"] == []
    (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}
    assert values["controller"]["resources"]["limits"]
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_node_pool_carries_spec_10_2_exactly(stacks):
    (pool,) = _objects(stacks[PLATFORM], "NodePool")
    assert pool["apiVersion"] == "karpenter.sh/v1"
    assert pool["metadata"]["name"] == "spot-provisioner"
    spec = pool["spec"]
    template = spec["template"]["spec"]
    assert template["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {
            "key": "node.kubernetes.io/instance-type",
            "operator": "In",
            "values": ["c5.large", "c5.xlarge", "c5.2xlarge", "c5a.large", "c5a.xlarge"],
        },
    ]
    assert spec["limits"] == {"cpu": 1000, "memory": "1000Gi"}
    assert spec["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30s"}
    assert template["taints"] == [{"key": "spot", "value": "true", "effect": "NoSchedule"}]
    assert template["expireAfter"] == "720h"
    assert template["nodeClassRef"] == {
        "group": "karpenter.k8s.aws",
        "kind": "EC2NodeClass",
        "name": "spot-provisioner",
    }


def test_ec2_node_class_is_pinned_private_encrypted_and_imdsv2_only(stacks):
    (node_class,) = _objects(stacks[PLATFORM], "EC2NodeClass")
    assert node_class["apiVersion"] == "karpenter.k8s.aws/v1"
    spec = node_class["spec"]
    (ami,) = spec["amiSelectorTerms"]
    assert ami["alias"].startswith("al2023@v") and "latest" not in ami["alias"]
    _output_ref(spec["instanceProfile"], "aws_iam_instance_profile", "karpenter_node-profile")
    subnets = [term["id"] for term in spec["subnetSelectorTerms"]]
    assert len(subnets) == 3
    for zone, subnet in zip("abc", subnets, strict=True):
        _output_ref(subnet, "aws_subnet", f"private-us-west-2{zone}")
    (group,) = spec["securityGroupSelectorTerms"]
    _output_ref(group["id"], "aws_security_group", "node-sg")
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["associatePublicIPAddress"] is False
    (disk,) = spec["blockDeviceMappings"]
    assert disk["rootVolume"] is True
    assert disk["ebs"]["volumeType"] == "gp3" and disk["ebs"]["encrypted"] is True
    _output_ref(disk["ebs"]["kmsKeyID"], "aws_kms_key", "volumes-key")
    assert spec["detailedMonitoring"] is True
    assert spec["kubelet"] == {"maxPods": 110}
    assert spec["tags"]["Environment"] == "production" and spec["tags"]["Project"] == "tonebridge"


def test_spot_nodes_get_the_kernel_parameters_of_the_managed_node_groups(stacks):
    """§12.1 on Karpenter's nodes: the very user data of the managed node groups' launch templates."""
    (node_class,) = _objects(stacks[PLATFORM], "EC2NodeClass")
    user_data = node_class["spec"]["userData"]
    for template in resources(stacks[INFRA], "aws_launch_template").values():
        assert base64.b64decode(template["user_data"]).decode() == user_data
    assert "Content-Type: application/node.eks.aws" in user_data and "kind: NodeConfig" in user_data
    conf = user_data.split("<<'SYSCTL'\n", 1)[1].split("SYSCTL\n", 1)[0]
    written = dict(line.split(" = ", 1) for line in conf.splitlines())
    assert written == SPEC_KERNEL_PARAMETERS
    assert "sysctl --system" in user_data


def test_pools_are_installed_after_the_controller_that_brings_their_crds(stacks):
    releases = resources(stacks[PLATFORM], "helm_release")
    (karpenter_id,) = [rid for rid, r in releases.items() if r["name"] == "karpenter"]
    pools = _releases(stacks[PLATFORM])["karpenter-pools"]
    assert pools["depends_on"] == [f"helm_release.{karpenter_id}"]


def test_karpenter_follows_the_clusters_config(stacks, environments):
    for env in environments.values():
        for region, cluster in env.clusters.items():
            names = set(_releases(stacks[f"{env.name}-{region}-platform"]))
            assert ("karpenter" in names) == cluster.karpenter.enabled, (env.name, region)
            assert ("karpenter-pools" in names) == cluster.karpenter.enabled, (env.name, region)
    (standby,) = _objects(stacks["production-us-east-1-platform"], "NodePool")
    assert standby["spec"]["limits"] == {"cpu": 200, "memory": "400Gi"}


# --- metrics-server -------------------------------------------------------------------------------


def test_metrics_server_is_redundant_restricted_and_on_system_nodes(stacks):
    release = _releases(stacks[PLATFORM])["metrics-server"]
    assert release["repository"] == "https://kubernetes-sigs.github.io/metrics-server"
    assert release["namespace"] == "kube-system"
    values = _values(release)
    assert values["replicas"] == 2 and values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert values["nodeSelector"] == {"workload": "system"} and values["tolerations"] == [SYSTEM_TOLERATION]
    context = values["securityContext"]
    assert context["runAsNonRoot"] is True and context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


# --- props validation ------------------------------------------------------------------------------


def _autoscaler(**overrides):
    """Props with ``overrides``: the wiring arguments directly, everything else as settings."""
    from tonebridge.constructs.cluster_autoscaler import ClusterAutoscalerProps
    from tonebridge.props.autoscaling import ClusterAutoscalerSettings

    wiring = dict(
        cluster_name="c",
        region="us-west-2",
        kubernetes_version="1.35",
        role_arn="arn:aws:iam::123456789012:role/r",
    )
    settings = {"image_version": "1.35.0"}
    for key, value in overrides.items():
        (wiring if key in wiring else settings)[key] = value
    return ClusterAutoscalerProps(**wiring, settings=ClusterAutoscalerSettings(**settings))


def test_cluster_autoscaler_props_are_checked_early():
    assert _autoscaler().image_tag == "v1.35.0"
    with pytest.raises(ValueError, match=r"cluster's minor 1\.35"):
        _autoscaler(image_version="1.34.2")
    with pytest.raises(ValueError, match=r"image_version\n  String should match pattern"):
        _autoscaler(image_version="v1.35.0")
    with pytest.raises(ValueError, match=r"expander\n  Input should be 'least-waste'"):
        _autoscaler(expander="cheapest")
    with pytest.raises(ValueError, match="set by a field of its own"):
        _autoscaler(extra_args={"expander": "random"})
    with pytest.raises(ValueError, match="without dashes"):
        _autoscaler(extra_args={"--scan-interval": "10s"})
    with pytest.raises(ValueError, match="replicas"):
        _autoscaler(replicas=0)


def test_node_pool_settings_refuse_unpinned_amis_and_unknown_requirements():
    """The pool's rules are its settings' field types: the same model the YAML is read into."""
    from tonebridge.props.autoscaling import NodePoolSettings

    assert NodePoolSettings(ami_alias="al2023@v20260903").cpu_limit == 1000
    with pytest.raises(ValueError, match="ami_alias"):
        NodePoolSettings(ami_alias="al2023@latest")
    with pytest.raises(ValueError, match="capacity_types"):
        NodePoolSettings(ami_alias="al2023@v20260903", capacity_types=("preemptible",))
    with pytest.raises(ValueError, match="memory_limit"):
        NodePoolSettings(ami_alias="al2023@v20260903", memory_limit="1000GB")
    with pytest.raises(ValueError, match="consolidate_after"):
        NodePoolSettings(ami_alias="al2023@v20260903", consolidate_after="30")
    with pytest.raises(ValueError, match="consolidation_policy"):
        NodePoolSettings(ami_alias="al2023@v20260903", consolidation_policy="WhenUnderutilized")


def test_settings_problems_are_lines_of_the_file(tmp_path):
    """What NodePoolSpec and ClusterAutoscalerProps once checked themselves is the settings models' field
    types now: the lines tests/construct_guards.py pinned for them are what the loader reports."""

    prefix = "platform.us-west-2.autoscaling."
    cases = [
        (
            ("karpenter", "node_pool", "consolidate_after"),
            "30 seconds",
            "karpenter.node_pool.consolidate_after: String should match pattern '^([0-9]+(s|m|h))+$' "
            "(got '30 seconds')",
        ),
        (
            ("cluster_autoscaler", "image_version"),
            "1.35",
            "cluster_autoscaler.image_version: String should match pattern '^1\\.\\d{1,2}\\.\\d{1,3}$' (got '1.35')",
        ),
        (
            ("cluster_autoscaler", "expander"),
            "cheapest",
            "cluster_autoscaler.expander: Input should be 'least-waste', 'random', 'most-pods', 'price' or 'priority' "
            "(got 'cheapest')",
        ),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, ("platform", "us-west-2", "autoscaling", *path), value)
        assert prefix + line in report, report


def test_karpenter_controller_props_are_checked_early():
    from tonebridge.constructs.karpenter_pools import KarpenterControllerProps
    from tonebridge.props.autoscaling import KarpenterControllerSettings, NodePoolSettings

    def settings(replicas: int = 2) -> KarpenterControllerSettings:
        return KarpenterControllerSettings(replicas=replicas, node_pool=NodePoolSettings(ami_alias="al2023@v20260903"))

    base = dict(
        cluster_name="c",
        controller_role_arn="arn",
        interruption_queue="q",
        instance_profile="p",
        subnet_ids=["subnet-1"],
        security_group_ids=["sg-1"],
        volumes_key_arn="k",
        settings=settings(),
    )
    KarpenterControllerProps(**base)
    with pytest.raises(ValueError, match="subnet_ids"):
        KarpenterControllerProps(**{**base, "subnet_ids": []})
    with pytest.raises(ValueError, match="Karpenter sets itself"):
        KarpenterControllerProps(**{**base, "tags": {"karpenter.sh/nodepool": "x"}})
    with pytest.raises(ValueError, match="replicas"):
        KarpenterControllerProps(**{**base, "settings": settings(replicas=0)})
    with pytest.raises(ValueError, match="max_pods must be 1-737"):
        KarpenterControllerProps(**{**base, "max_pods": 800})


def test_metrics_server_props_and_single_replica_values():
    from tonebridge.constructs.metrics_server import MetricsServerProps, metrics_server_values
    from tonebridge.props.autoscaling import MetricsServerSettings

    single = metrics_server_values(MetricsServerProps(settings=MetricsServerSettings(replicas=1)))
    assert single["podDisruptionBudget"]["enabled"] is False and "affinity" not in single
    with pytest.raises(ValueError, match="replicas"):
        MetricsServerProps(settings=MetricsServerSettings(replicas=0))


def test_config_rejects_an_autoscaler_of_another_minor(environments):
    from tonebridge.config.platform_scaling import autoscaling_problems

    env = environments["production"]
    assert list(autoscaling_problems(env)) == []
    platform = env.platform["us-west-2"]
    autoscaler = platform.autoscaling.cluster_autoscaler.model_copy(update={"image_version": "1.34.2"})
    autoscaling = platform.autoscaling.model_copy(update={"cluster_autoscaler": autoscaler})
    changed = env.model_copy(
        update={"platform": {**env.platform, "us-west-2": platform.model_copy(update={"autoscaling": autoscaling})}}
    )
    (problem,) = autoscaling_problems(changed)
    assert problem.path == ("platform", "us-west-2", "autoscaling", "cluster_autoscaler", "image_version")

"""Cluster add-ons alone, with settings the environment files leave at their defaults: the autoscaler's flags and
placement, Trivy's unfixed/extra severities, secret sync in the CSI driver, Karpenter without an access entry and in
its own namespace."""

from __future__ import annotations

import json

from tests.conftest import resources
from tests.construct_harness import helm_values, manifests, only, synth_alone

ROLE = "arn:aws:iam::111122223333:role/unit"


def test_cluster_autoscaler_flags_placement_and_extra_args():
    from tonebridge.constructs.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerProps
    from tonebridge.props.autoscaling import ClusterAutoscalerSettings

    props = ClusterAutoscalerProps(
        cluster_name="tb-unit",
        region="eu-west-1",
        kubernetes_version="1.35",
        role_arn=ROLE,
        settings=ClusterAutoscalerSettings(
            image_version="1.35.2",
            expander="priority",
            skip_nodes_with_local_storage=True,
            balance_similar_node_groups=False,
            verbosity=2,
            extra_args={"scale-down-unneeded-time": "5m"},
            replicas=1,
        ),
        namespace="autoscaling",
        service_account="ca",
        node_selector={"workload": "system"},
        tolerations=[{"key": "system", "operator": "Exists", "effect": "NoSchedule"}],
    )
    out = synth_alone(lambda stack: ClusterAutoscaler(stack, "ca", props), providers=("helm",))
    release = only(out, "helm_release")
    assert (release["name"], release["namespace"]) == ("cluster-autoscaler", "autoscaling")
    values = helm_values(out, "cluster-autoscaler")
    assert values["extraArgs"] == {
        "v": 2,
        "stderrthreshold": "info",
        "expander": "priority",
        "skip-nodes-with-local-storage": True,
        "balance-similar-node-groups": False,
        "scale-down-unneeded-time": "5m",
    }
    assert values["awsRegion"] == "eu-west-1"
    assert values["autoDiscovery"]["tags"][1] == "k8s.io/cluster-autoscaler/tb-unit"
    assert values["image"]["tag"] == "v1.35.2"
    assert values["rbac"]["serviceAccount"]["name"] == "ca"
    assert values["rbac"]["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert values["replicaCount"] == 1
    assert values["nodeSelector"] == {"workload": "system"}
    assert values["tolerations"] == [{"key": "system", "operator": "Exists", "effect": "NoSchedule"}]


def test_trivy_reports_unfixed_and_more_severities_with_its_own_limits():
    from tonebridge.constructs.trivy import TrivyOperator
    from tonebridge.props.scanning import ScanningSettings

    settings = ScanningSettings(
        severities=["MEDIUM", "HIGH", "CRITICAL"],
        ignore_unfixed=True,
        concurrent_scan_jobs=1,
        scan_job_timeout="30m",
        scan_job_node_selector={"workload": "application"},
    )
    out = synth_alone(
        lambda stack: TrivyOperator(stack, "trivy", settings, kubernetes_version="1.35", namespace="scanning"),
        providers=("kubernetes", "helm"),
    )
    release = only(out, "helm_release")
    assert release["namespace"] == "scanning"
    values = json.loads(release["values"][0])
    assert values["trivy"]["severity"] == "MEDIUM,HIGH,CRITICAL"
    assert values["trivy"]["ignoreUnfixed"] is True
    assert values["operator"]["scanJobsConcurrentLimit"] == 1
    assert values["operator"]["scanJobTimeout"] == "30m"
    assert values["trivyOperator"]["scanJobNodeSelector"] == {"workload": "application"}
    namespace = manifests(out)[("Namespace", "scanning")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == "v1.35"


def test_secrets_store_can_sync_secrets_and_poll_at_its_own_interval():
    from tonebridge.constructs.secrets_store import SecretsStoreCsi
    from tonebridge.props.secrets import SecretsSettings

    settings = SecretsSettings(csi_rotation_poll_interval="30s")
    out = synth_alone(
        lambda stack: SecretsStoreCsi(
            stack,
            "csi",
            settings,
            vault_address="https://vault.vault.svc:8200",
            ca_secret="vault-ca",  # noqa: S106 (a Secret's name, not a password)
            namespace="secrets",
            sync_secrets=True,
        ),
        providers=("helm",),
    )
    driver = helm_values(out, "secrets-store-csi-driver")
    assert driver["syncSecret"] == {"enabled": True}
    assert driver["rotationPollInterval"] == "30s" and driver["enableSecretRotation"] is True
    provider = helm_values(out, "vault-csi-provider")
    assert provider["global"]["externalVaultAddr"] == "https://vault.vault.svc:8200"
    assert provider["csi"]["volumes"] == [{"name": "vault-ca", "secret": {"secretName": "vault-ca"}}]
    assert {r["namespace"] for r in resources(out, "helm_release").values()} == {"secrets"}
    (provider_release,) = [r for r in resources(out, "helm_release").values() if r["name"] == "vault-csi-provider"]
    (driver_id,) = [lid for lid, r in resources(out, "helm_release").items() if r["name"] == "secrets-store-csi-driver"]
    assert provider_release["depends_on"] == [f"helm_release.{driver_id}"]


def test_karpenter_without_an_access_entry_in_its_own_namespace():
    from tonebridge.constructs.controller_policies import ClusterScope
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.constructs.karpenter import Karpenter, KarpenterProps
    from tonebridge.props.cluster import KarpenterSettings

    props = KarpenterProps(
        scope=ClusterScope(partition="aws", account_id="111122223333", region="us-west-2", cluster_name="tb-unit"),
        irsa=IrsaProvider(
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
            "oidc.eks.us-west-2.amazonaws.com/id/ABC",
        ),
        volumes_key_arn="arn:aws:kms:us-west-2:111122223333:key/volumes",
        settings=KarpenterSettings(namespace="karpenter", service_account="controller"),
        create_access_entry=False,
    )
    out = synth_alone(lambda stack: Karpenter(stack, "karpenter", props))
    assert "aws_eks_access_entry" not in out["resource"]  # the nodes join some other way (a managed entry)
    roles = {r["name"]: r for r in resources(out, "aws_iam_role").values()}
    assert set(roles) == {"tb-unit-karpenter-node", "tb-unit-karpenter"}
    trust = json.loads(roles["tb-unit-karpenter"]["assume_role_policy"])
    (statement,) = trust["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["oidc.eks.us-west-2.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:karpenter:controller"
    queue = only(out, "aws_sqs_queue")
    assert queue["name"] == "tb-unit-karpenter" and queue["sqs_managed_sse_enabled"] is True
    rules = sorted(r["name"] for r in resources(out, "aws_cloudwatch_event_rule").values())
    assert rules == [
        "tb-unit-karpenter-capacity-reservation",
        "tb-unit-karpenter-instance-state-change",
        "tb-unit-karpenter-rebalance",
        "tb-unit-karpenter-scheduled-change",
        "tb-unit-karpenter-spot-interruption",
    ]


def test_karpenter_pool_on_demand_arm_without_taints_consolidating_underused_nodes():
    from tonebridge.constructs.karpenter_pools import KarpenterController, KarpenterControllerProps
    from tonebridge.props.autoscaling import KarpenterControllerSettings, NodePoolSettings

    pool = NodePoolSettings(
        ami_alias="al2023@v20251120",
        name="general",
        capacity_types=["on-demand"],
        architectures=["arm64"],
        instance_types=["m7g.large", "m7g.xlarge"],
        cpu_limit=64,
        memory_limit="256Gi",
        consolidation_policy="WhenEmptyOrUnderutilized",
        consolidate_after="5m",
        taints=[],
        root_volume_gib=80,
    )
    props = KarpenterControllerProps(
        cluster_name="tb-unit",
        controller_role_arn=ROLE,
        interruption_queue="tb-unit-karpenter",
        instance_profile="tb-unit-karpenter-node",
        subnet_ids=["subnet-a", "subnet-b"],
        security_group_ids=["sg-nodes"],
        volumes_key_arn="arn:aws:kms:us-west-2:111122223333:key/volumes",
        settings=KarpenterControllerSettings(replicas=1, node_pool=pool),
        reserved_enis=1,
        tags={"team": "platform"},
    )
    out = synth_alone(lambda stack: KarpenterController(stack, "karpenter", props), providers=("kubernetes", "helm"))
    objects = {o["kind"]: o for o in helm_values(out, "karpenter-pools")["resources"]}
    node_pool = objects["NodePool"]
    assert node_pool["metadata"]["name"] == "general"
    spec = node_pool["spec"]
    requirements = {r["key"]: r["values"] for r in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"] == ["on-demand"]
    assert requirements["kubernetes.io/arch"] == ["arm64"]
    assert requirements["node.kubernetes.io/instance-type"] == ["m7g.large", "m7g.xlarge"]
    assert spec["template"]["spec"]["taints"] == []  # general-purpose: any pod may land here
    assert spec["limits"] == {"cpu": 64, "memory": "256Gi"}
    assert spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert spec["disruption"]["consolidateAfter"] == "5m"
    node_class = objects["EC2NodeClass"]["spec"]
    assert node_class["amiSelectorTerms"] == [{"alias": "al2023@v20251120"}]
    (volume,) = node_class["blockDeviceMappings"]
    assert volume["ebs"]["volumeSize"] == "80Gi" and volume["ebs"]["encrypted"] is True
    assert node_class["tags"]["team"] == "platform"
    values = helm_values(out, "karpenter")
    assert values["replicas"] == 1
    assert values["settings"]["interruptionQueue"] == "tb-unit-karpenter"
    assert values["settings"]["reservedENIs"] == "1"

"""TonebridgeCluster in synthesized production us-west-2 (spec §3.1, §5, §10, §12.1), and its props' early checks."""

from __future__ import annotations

import base64
import email
import json

import pytest

from tests.config_lines import loader_report
from tests.conftest import resources
from tonebridge.paths import PROJECT_ROOT

CLUSTER = "tonebridge-production"

#: Spec §3.1, typed in from the spec (not imported from the code under test).
SPEC_POOLS = {
    "system": (["t3.medium"], 2, 2, 5, {"workload": "system"}, [("CriticalAddonsOnly", "true", "NO_SCHEDULE")]),
    "application": (["c5.xlarge"], 3, 3, 20, {"workload": "application"}, []),
    "database": (["r5.2xlarge"], 3, 3, 6, {"workload": "database"}, [("database", "true", "NO_SCHEDULE")]),
}

#: Spec §12.1.
SPEC_SYSCTLS = {
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


@pytest.fixture(scope="module")
def west(stacks):
    return stacks["production-us-west-2"]


def _ref_id(ref: str) -> str:
    """``${aws_x.logical_id.attr}`` -> ``logical_id``."""
    return ref.removeprefix("${").split(".")[1]


def test_cluster_endpoint_encryption_logs_and_auth(west):
    (cluster,) = resources(west, "aws_eks_cluster").values()
    assert cluster["name"] == CLUSTER
    assert cluster["version"] == "1.35"
    vpc = cluster["vpc_config"]
    assert (vpc["endpoint_private_access"], vpc["endpoint_public_access"]) == (True, False)
    assert "public_access_cidrs" not in vpc
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    key = resources(west, "aws_kms_key")[_ref_id(cluster["encryption_config"]["provider"]["key_arn"])]
    assert key["enable_key_rotation"] is True
    assert sorted(cluster["enabled_cluster_log_types"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    (log_group,) = [g for g in resources(west, "aws_cloudwatch_log_group").values() if "/aws/eks/" in g["name"]]
    assert log_group["name"] == f"/aws/eks/{CLUSTER}/cluster"
    assert log_group["retention_in_days"] == 365 and log_group["kms_key_id"].startswith("${aws_kms_key.")
    assert cluster["access_config"]["authentication_mode"] == "API"
    assert cluster["bootstrap_self_managed_addons"] is False


def test_exactly_the_three_spec_node_groups(west):
    groups = {g["node_group_name"]: g for g in resources(west, "aws_eks_node_group").values()}
    # Plus §2.2's management pool for CI/CD, on the management subnets (tests/test_ci.py).
    assert set(groups) == set(SPEC_POOLS) | {"management"}
    private = sorted(s for s in west["resource"]["aws_subnet"] if "private-us-west-2" in s)
    for name, (types, low, desired, high, labels, taints) in SPEC_POOLS.items():
        group = groups[name]
        assert group["instance_types"] == types
        assert group["scaling_config"] == {"min_size": low, "desired_size": desired, "max_size": high}
        assert group["labels"] == labels
        assert [(t["key"], t["value"], t["effect"]) for t in group.get("taint", [])] == taints
        assert sorted(_ref_id(s) for s in group["subnet_ids"]) == private
        assert group["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert group["tags"][f"k8s.io/cluster-autoscaler/{CLUSTER}"] == "owned"


def _launch_template(stack, group):
    return resources(stack, "aws_launch_template")[_ref_id(group["launch_template"]["id"])]


def test_launch_templates_require_imdsv2_and_encrypt_gp3(west):
    for group in resources(west, "aws_eks_node_group").values():
        template = _launch_template(west, group)
        assert template["metadata_options"]["http_tokens"] == "required"
        assert template["metadata_options"]["http_put_response_hop_limit"] == 1
        (device,) = template["block_device_mappings"]
        assert device["ebs"]["volume_type"] == "gp3"
        assert device["ebs"]["encrypted"] == "true" and device["ebs"]["kms_key_id"].startswith("${aws_kms_key.")


def test_node_user_data_sets_every_kernel_parameter(west):
    for group in resources(west, "aws_eks_node_group").values():
        raw = base64.b64decode(_launch_template(west, group)["user_data"]).decode()
        message = email.message_from_string(raw)
        assert message.is_multipart()
        parts = {part.get_content_type(): part.get_payload() for part in message.get_payload()}
        script = parts["text/x-shellscript"]
        assert script.startswith("#!/bin/bash\n") and "sysctl --system" in script
        written = dict(
            line.split(" = ", 1) for line in script.split("<<'SYSCTL'\n")[1].split("SYSCTL\n")[0].splitlines()
        )
        assert written == SPEC_SYSCTLS
        assert "maxPods: 110" in parts["application/node.eks.aws"]


def _web_identity_roles(stack) -> dict[str, dict]:
    roles = {}
    for role in resources(stack, "aws_iam_role").values():
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        if statement["Action"] == "sts:AssumeRoleWithWebIdentity":
            roles[role["name"]] = statement
    return roles


def test_each_irsa_role_trusts_exactly_one_service_account(west):
    roles = _web_identity_roles(west)
    expected = {
        f"{CLUSTER}-vpc-cni": "system:serviceaccount:kube-system:aws-node",
        f"{CLUSTER}-ebs-csi": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{CLUSTER}-cluster-autoscaler": "system:serviceaccount:kube-system:cluster-autoscaler",
        f"{CLUSTER}-load-balancer-controller": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        f"{CLUSTER}-karpenter": "system:serviceaccount:kube-system:karpenter",
        f"{CLUSTER}-vault-unseal": "system:serviceaccount:vault:vault",
        f"{CLUSTER}-cnpg-staging-tonebridge": "system:serviceaccount:staging:tonebridge",  # CNPG backups (§4.1)
        # Production's logical backup to S3 (tests/test_logical_backup.py)
        f"{CLUSTER}-postgres-logical-backup": "system:serviceaccount:production:postgres-logical-backup",
        f"{CLUSTER}-ci-image-push": "system:serviceaccount:ci-builds:jenkins-builder",  # staging images (§6.2)
        f"{CLUSTER}-ci-release-push": "system:serviceaccount:ci-release:jenkins-releaser",  # production images
    }
    assert set(roles) == set(expected)
    for name, statement in roles.items():
        assert statement["Principal"]["Federated"].startswith("${aws_iam_openid_connect_provider.")
        assert set(statement["Condition"]) == {"StringEquals"}, name  # never StringLike
        conditions = statement["Condition"]["StringEquals"]
        subjects = [v for k, v in conditions.items() if k.endswith(":sub")]
        audiences = [v for k, v in conditions.items() if k.endswith(":aud")]
        assert subjects == [expected[name]], name
        assert audiences == ["sts.amazonaws.com"], name


def test_cluster_autoscaler_may_only_scale_this_clusters_groups(west):
    roles = {r["name"]: logical for logical, r in resources(west, "aws_iam_role").items()}
    (policy,) = [
        json.loads(p["policy"])
        for p in resources(west, "aws_iam_role_policy").values()
        if _ref_id(p["role"]) == roles[f"{CLUSTER}-cluster-autoscaler"]
    ]
    (scale,) = [s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"]]
    assert scale["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}


def test_managed_addons_with_custom_pod_networking(west):
    addons = {a["addon_name"]: a for a in resources(west, "aws_eks_addon").values()}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"}
    cni = json.loads(addons["vpc-cni"]["configuration_values"])
    assert cni["env"]["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"
    assert cni["env"]["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"
    assert cni["env"]["ENABLE_PREFIX_DELEGATION"] == "true"
    # The add-on creates one ENIConfig per zone, on that zone's pod subnet, before any node exists.
    eni = cni["eniConfig"]
    assert eni["create"] is True
    assert sorted(eni["subnets"]) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    for zone, subnet in eni["subnets"].items():
        logical = _ref_id(subnet["id"])
        assert west["resource"]["aws_subnet"][logical]["tags"]["Name"] == f"tonebridge-production-us-west-2-pods-{zone}"
        assert subnet["securityGroups"][0].startswith("${aws_security_group.cluster_node-sg")
    assert all(a.startswith("aws_eks_addon.") for a in _node_group_dependencies(west) if "addon-vpc-cni" in a)
    assert any("addon-vpc-cni" in a for a in _node_group_dependencies(west))
    assert addons["aws-ebs-csi-driver"]["service_account_role_arn"].startswith("${aws_iam_role.")
    for late in ("coredns", "aws-ebs-csi-driver"):
        assert all(d.startswith("aws_eks_node_group.") for d in addons[late]["depends_on"])


def _node_group_dependencies(stack) -> set[str]:
    return {d for g in resources(stack, "aws_eks_node_group").values() for d in g.get("depends_on", [])}


def test_karpenter_interruption_queue_and_rules(west):
    (queue,) = resources(west, "aws_sqs_queue").values()
    assert queue["sqs_managed_sse_enabled"] is True
    patterns = sorted(
        (p["source"][0], p["detail-type"][0])
        for p in (json.loads(r["event_pattern"]) for r in resources(west, "aws_cloudwatch_event_rule").values())
    )
    assert patterns == [
        ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.health", "AWS Health Event"),
    ]
    for target in resources(west, "aws_cloudwatch_event_target").values():
        assert target["arn"].startswith("${aws_sqs_queue.")
    (entry,) = [e for e in resources(west, "aws_eks_access_entry").values() if e.get("type") == "EC2_LINUX"]
    assert entry["cluster_name"].startswith("${aws_eks_cluster.")  # waits for the cluster


def test_registries_per_spec(stacks, west):
    repos = {r["name"]: r for r in resources(west, "aws_ecr_repository").values()}
    services = ["api-gateway", "llm-service", "auth-service", "analytics-service"]
    assert sorted(repos) == sorted(f"{p}/{s}" for p in ("tonebridge", "tonebridge-staging") for s in services)
    for repo in repos.values():
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"]["scan_on_push"] is True
        assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    assert len(resources(west, "aws_ecr_lifecycle_policy")) == 8
    (scanning,) = resources(west, "aws_ecr_registry_scanning_configuration").values()
    assert scanning["scan_type"] == "ENHANCED"
    (replication,) = resources(west, "aws_ecr_replication_configuration").values()
    (rule,) = replication["replication_configuration"]["rule"]
    assert rule["destination"][0]["region"] == "us-east-1"
    assert rule["repository_filter"] == [{"filter": "tonebridge/", "filter_type": "PREFIX_MATCH"}]
    east = stacks["production-us-east-1"]
    assert not resources(east, "aws_ecr_repository")
    (template,) = resources(east, "aws_ecr_repository_creation_template").values()
    assert (template["prefix"], template["applied_for"], template["image_tag_mutability"]) == (
        "tonebridge",
        ["REPLICATION"],
        "IMMUTABLE",
    )


def test_standby_cluster_is_smaller_and_separately_named(stacks):
    (east,) = resources(stacks["production-us-east-1"], "aws_eks_cluster").values()
    assert east["name"] == "tonebridge-production-us-east-1"
    groups = {g["node_group_name"]: g for g in resources(stacks["production-us-east-1"], "aws_eks_node_group").values()}
    assert groups["application"]["scaling_config"]["desired_size"] < SPEC_POOLS["application"][2]


# --- props are checked before anything is built --------------------------------------------------


ADDONS = {
    "vpc-cni": "v1.21.1-eksbuild.3",
    "kube-proxy": "v1.35.3-eksbuild.13",
    "coredns": "v1.13.2-eksbuild.1",
    "eks-pod-identity-agent": "v1.4.0-eksbuild.1",
    "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
}
SYSTEM = dict(instance_types=["t3.medium"], min_size=2, desired_size=2, max_size=5)


def _settings(**overrides):
    """ClusterSettings as code builds them (the same model the YAML is read into)."""
    from tonebridge.props.cluster import ClusterSettings

    base = dict(name="tb", version="1.35", node_groups={"system": SYSTEM}, addon_versions=ADDONS)
    return ClusterSettings.model_validate({**base, **overrides})


def _rejected(build) -> str:
    """The lines a ValidationError renders as, ``<field path>: <reason>``, the way the loader reports them."""
    from pydantic import ValidationError

    from tonebridge.config.errors import format_path
    from tonebridge.config.loader import _pydantic_problem

    with pytest.raises(ValidationError) as caught:
        build()
    return "\n".join(
        f"{format_path(problem.path)}: {problem.reason}" for problem in map(_pydantic_problem, caught.value.errors())
    )


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ((6, 6, 5), "min_size 6 is greater than max_size 5"),
        ((2, 7, 5), "desired_size 7 is outside [min_size 2, max_size 5]"),
        ((2, 1, 5), "desired_size 1 is outside [min_size 2, max_size 5]"),
    ],
)
def test_node_group_sizes_are_checked(sizes, message):
    """Declared and checked once, in NodeGroupSettings: the YAML and the construct share it."""
    from tonebridge.props.cluster import NodeGroupSettings

    low, desired, high = sizes
    group = {**SYSTEM, "min_size": low, "desired_size": desired, "max_size": high}
    assert f"node_groups.system: {message}" in _rejected(lambda: _settings(node_groups={"system": group}))
    assert message in _rejected(lambda: NodeGroupSettings.model_validate(group))


def test_unknown_taint_effect_is_rejected():
    from tonebridge.props.cluster import TaintSettings

    expected = "taint effect 'NoRun' is not one of NoSchedule, PreferNoSchedule, NoExecute"
    assert f"effect: {expected}" in _rejected(lambda: TaintSettings(key="database", value="true", effect="NoRun"))


def test_empty_subnet_list_is_rejected():
    from cdktf import TerraformStack, Testing

    from tonebridge.constructs.cluster import TonebridgeCluster

    stack = TerraformStack(Testing.app(), "test")
    with pytest.raises(ValueError, match="cluster tb: subnet_ids must not be empty"):
        TonebridgeCluster(stack, "cluster", _settings(), vpc_id="vpc-1", subnet_ids={"private": []})


@pytest.mark.parametrize("version", ["1.28.3", "v1.35", "1.9", "2", "latest"])
def test_version_must_be_1_nn(version):
    assert f"version: '{version}' is not an EKS version of the form 1.NN" in _rejected(
        lambda: _settings(version=version)
    )


def test_public_endpoint_never_open_to_the_world():
    assert "public_access_cidrs[0]: 0.0.0.0/0 would open the API endpoint to everyone" in _rejected(
        lambda: _settings(public_access_cidrs=["0.0.0.0/0"])
    )


def test_every_managed_addon_needs_a_version(monkeypatch):
    """Versions resolve from the version table's row, then the settings' own; a managed add-on without
    either is rejected, and without managed add-ons none is needed."""
    from tonebridge import versions

    class WithoutCoreDns:
        def addon_versions(self, kubernetes_version: str) -> dict[str, str]:
            return {}

    monkeypatch.setattr(versions, "table", lambda: WithoutCoreDns())
    partial = {k: v for k, v in ADDONS.items() if k != "coredns"}
    assert "addon_versions: no version for coredns on Kubernetes 1.35" in _rejected(
        lambda: _settings(addon_versions=partial)
    )
    assert _settings(addon_versions={}, managed_addons=False).addon_versions == {}


def test_a_pinned_ami_release_must_be_for_the_clusters_version():
    assert "ami_release: AMI release 1.34.1-20260903 is for Kubernetes 1.34" in _rejected(
        lambda: _settings(ami_release="1.34.1-20260903")
    )
    assert _settings(ami_release="1.35.0-20260903").pinned_ami_release == "1.35.0-20260903"
    assert _settings().pinned_ami_release is None  # track


def test_duplicate_node_group_names_are_rejected(tmp_path):
    """Node groups are a mapping keyed by name, so a name cannot be given twice: the YAML loader rejects a
    repeated key before the model sees it."""
    from tonebridge.config import ConfigError, load_environment

    text = (PROJECT_ROOT / "environments" / "production.yaml").read_text()
    marker = "    node_groups:\n"
    assert marker in text
    group = "      system:\n        instance_types: [t3.medium]\n" + "".join(
        f"        {size}: 1\n" for size in ("min_size", "desired_size", "max_size")
    )
    file = tmp_path / "production.yaml"
    file.write_text(text.replace(marker, marker + group + group, 1))
    second = text[: text.index(marker)].count("\n") + 2 + group.count("\n")  # 1-based line of the repeat
    with pytest.raises(ConfigError, match=rf"line {second}, column 7: duplicate key 'system'"):
        load_environment(file)


def test_settings_problems_are_lines_of_the_file(tmp_path):
    """What TonebridgeClusterProps once checked itself is the configuration model's own rule now: the lines
    tests/construct_guards.py pinned for it are what the loader reports."""

    cases = [
        (("version",), "1.28.3", "version: '1.28.3' is not an EKS version of the form 1.NN (for example 1.35)"),
        (("node_groups",), {}, "node_groups: Dictionary should have at least 1 item after validation, not 0"),
        (
            ("public_access_cidrs",),
            ["0.0.0.0/0"],
            "public_access_cidrs[0]: 0.0.0.0/0 would open the API endpoint to everyone",
        ),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, ("clusters", "us-west-2", *path), value)
        assert f"clusters.us-west-2.{line}" in report, report


def test_controller_policies_name_resources_for_every_change(west):
    """A wildcard resource is only ever paired with read actions; everything that changes names its ARNs."""
    irsa = {
        logical for logical, r in resources(west, "aws_iam_role").items() if "irsa" in logical or "karpenter" in logical
    }
    checked = 0
    for policy in resources(west, "aws_iam_role_policy").values():
        if _ref_id(policy["role"]) not in irsa:
            continue
        for statement in json.loads(policy["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                verbs = {a.split(":", 1)[1] for a in actions}
                assert all(v.startswith(("Describe", "Get", "List")) for v in verbs), statement["Sid"]
            checked += 1
    assert checked > 20


def test_nodes_reach_only_the_vpc_and_https(west):
    node_rules = [
        r
        for r in resources(west, "aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"].startswith("${aws_security_group.cluster_node-sg")
    ]
    everywhere = [r for r in node_rules if r.get("cidr_ipv4") == "0.0.0.0/0"]
    assert [(r["ip_protocol"], r["from_port"], r["to_port"]) for r in everywhere] == [("tcp", 443, 443)]
    assert sorted(r["cidr_ipv4"] for r in node_rules if r["ip_protocol"] == "-1") == ["10.0.0.0/16", "100.64.0.0/16"]


def test_no_restrictable_action_is_left_on_a_wildcard_resource():
    """The judgement checkov's CKV_AWS_355 makes on the plan, made here on the policy documents themselves."""
    from cloudsplaining.scan.policy_document import PolicyDocument

    from tonebridge.constructs import controller_policies as policies

    scope = policies.ClusterScope("aws", "123456789012", "us-west-2", CLUSTER)
    documents = {
        "cluster-autoscaler": policies.cluster_autoscaler(scope),
        "load-balancer-controller": policies.load_balancer_controller(scope, "vpc-0123"),
        "ebs-csi": policies.ebs_csi_key_use("arn:aws:kms:us-west-2:123456789012:key/k"),
        "karpenter": policies.karpenter_controller(
            scope,
            node_role_arn="arn:aws:iam::123456789012:role/node",
            instance_profile_arn="arn:aws:iam::123456789012:instance-profile/node",
            queue_arn="arn:aws:sqs:us-west-2:123456789012:queue",
            volumes_key_arn="arn:aws:kms:us-west-2:123456789012:key/k",
        ),
    }
    for name, document in documents.items():
        assert PolicyDocument(document).all_allowed_unrestricted_actions == [], name


def test_cluster_names_too_long_for_karpenter_rules_are_rejected():
    from tonebridge.constructs.controller_policies import ClusterScope
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.constructs.karpenter import KarpenterProps

    scope = ClusterScope("aws", "123456789012", "us-west-2", "tonebridge-production-us-east-1-standby")
    with pytest.raises(ValueError, match=r"Karpenter's rule names would be 71 > 64 characters"):
        KarpenterProps(scope=scope, irsa=IrsaProvider("arn", "issuer"), volumes_key_arn="key")


def test_checked_rule_names_are_the_rules_karpenter_creates():
    from tonebridge import eksrules
    from tonebridge.constructs.karpenter import INTERRUPTION_EVENTS

    assert set(INTERRUPTION_EVENTS) == set(eksrules.KARPENTER_RULE_EVENTS)

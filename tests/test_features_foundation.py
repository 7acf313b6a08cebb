"""The platform stack's foundation, autoscaling and mesh features alone (tonebridge/features), with inputs the
environment files never give them: a namespace without the read-only rule but with a limit range only and a
meshed service graph, a digest rule with its by-tag exceptions, every autoscaling component off, Karpenter on a
cluster with pod subnets, Istio off, Istio without a public edge; and the construct helpers they use
(ResourceLimitsProps.of, chart_release)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.construct_harness import helm_values, manifests, synth_alone

KEY = "arn:aws:kms:us-west-2:111122223333:key/volumes"


@pytest.fixture(scope="module")
def wiring(environments):
    """A ClusterWiring of production's primary cluster settings, with stand-ins for the infrastructure stack's
    cluster and VPC constructs (the attributes the features read)."""
    from tonebridge.features.foundation import ClusterWiring

    karpenter = SimpleNamespace(controller_role_arn="arn:aws:iam::1:role/k", queue_name="q", instance_profile_name="p")
    cluster = SimpleNamespace(
        name="tb-unit",
        endpoint="https://example.invalid",
        certificate_authority_data="Y2E=",
        karpenter=karpenter,
        node_security_group_id="sg-nodes",
        volumes_key_arn=KEY,
        kernel_parameters={"vm.max_map_count": "262144"},
        pod_subnets={"us-west-2a": "subnet-pods"},
        service_account_roles={
            "cluster-autoscaler": SimpleNamespace(arn="arn:aws:iam::1:role/ca"),
            "load-balancer-controller": SimpleNamespace(arn="arn:aws:iam::1:role/lbc"),
        },
    )
    vpc = SimpleNamespace(vpc_id="vpc-1", subnet_ids={"private": ["subnet-a", "subnet-b"]})
    settings = environments["production"].clusters["us-west-2"]
    return ClusterWiring("us-west-2", settings, cluster, vpc, 58, {"team": "platform"})


def test_a_foundation_without_admission_rules_keeps_limits_isolation_and_storage(wiring):
    from tonebridge.features.foundation import add_foundation
    from tonebridge.props.namespaces import (
        LimitRangeSettings,
        NamespaceSettings,
        NetworkIsolationSettings,
        ServiceTrafficSettings,
        StorageSettings,
    )

    team = NamespaceSettings(
        environment="staging",
        read_only_root_filesystem=False,
        labels={"istio-injection": "enabled"},
        limit_range=LimitRangeSettings(name="team-limits"),
        network_isolation=NetworkIsolationSettings(services={"web": ServiceTrafficSettings(port=8080)}),
    )
    assert team.meshed and team.namespace_labels() == {"istio-injection": "enabled", "environment": "staging"}
    found = {}

    def build(stack):
        found["base"] = add_foundation(stack, {"team": team}, StorageSettings(), wiring)

    out = synth_alone(build, providers=("kubernetes",))
    base, objects = found["base"], manifests(out)
    assert base.read_only_root is None and base.image_digest is None
    assert not [key for key in objects if key[0].startswith("ValidatingAdmissionPolicy")]
    assert objects[("Namespace", "team")]["metadata"]["labels"]["environment"] == "staging"
    assert ("LimitRange", "team-limits") in objects
    assert not [key for key in objects if key[0] == "ResourceQuota"]  # a limit range alone
    istiod = [
        rule
        for (kind, _), policy in objects.items()
        if kind == "NetworkPolicy"
        for rule in policy["spec"].get("egress", [])
        if any(port.get("port") == 15012 for port in rule.get("ports", []))
    ]
    assert istiod, "a meshed namespace reaches istiod"
    assert objects[("StorageClass", "fast-ssd")]["parameters"]["kmsKeyId"] == KEY
    assert len(base.namespace_objects(["team", "elsewhere"])) == 1
    assert len(base.storage_class_objects(["fast-ssd", "gp3", "io2"])) == 2


def test_the_digest_rule_admits_only_the_images_it_is_given_by_tag(wiring):
    from tonebridge.constructs.image_digest import ImageDigest
    from tonebridge.features.foundation import add_foundation
    from tonebridge.props.namespaces import NamespaceSettings, StorageSettings

    found = {}
    namespaces = {"app": NamespaceSettings(require_image_digest=True), "tools": NamespaceSettings()}

    def build(stack):
        found["base"] = add_foundation(
            stack, namespaces, StorageSettings(), wiring, digest_allowed_by_tag=["docker.io/x/y:1.0"]
        )

    out = synth_alone(build, providers=("kubernetes",))
    base, objects = found["base"], manifests(out)
    assert base.image_digest is not None and base.read_only_root is not None
    labels = {name: objects[("Namespace", name)]["metadata"]["labels"] for name in namespaces}
    assert labels["app"].items() >= ImageDigest.namespace_labels.items()
    assert not labels["tools"].items() >= ImageDigest.namespace_labels.items()
    (policy,) = [p for (kind, _), p in objects.items() if kind == "ValidatingAdmissionPolicy" and "digest" in str(p)]
    assert "docker.io/x/y:1.0" in str(policy["spec"])


def test_autoscaling_with_every_component_off_makes_nothing(wiring):
    from dataclasses import replace

    from tonebridge.features.autoscaling import add_autoscaling
    from tonebridge.features.foundation import Placement
    from tonebridge.props.autoscaling import AutoscalingSettings

    off = AutoscalingSettings.model_validate(
        {"cluster_autoscaler": {"enabled": False}, "metrics_server": {"enabled": False}}
    )
    no_karpenter = replace(wiring, cluster=SimpleNamespace(**{**vars(wiring.cluster), "karpenter": None}))
    found = {}

    def build(stack):
        found["made"] = add_autoscaling(stack, off, no_karpenter, system=Placement(), controllers=Placement())

    out = synth_alone(build, providers=("helm",))
    made = found["made"]
    assert (made.cluster_autoscaler, made.karpenter, made.metrics_server) == (None, None, None)
    assert "helm_release" not in out.get("resource", {})


def test_karpenter_on_a_cluster_with_pod_subnets_reserves_the_primary_interface(wiring):
    from tonebridge.features.autoscaling import add_autoscaling
    from tonebridge.features.foundation import Placement
    from tonebridge.props.autoscaling import AutoscalingSettings

    found = {}
    controllers = Placement({"pool": "apps"}, [{"key": "apps", "operator": "Exists", "effect": "NoSchedule"}])

    def build(stack):
        found["made"] = add_autoscaling(
            stack, AutoscalingSettings(), wiring, system=Placement(), controllers=controllers
        )

    out = synth_alone(build, providers=("helm",))
    karpenter = found["made"].karpenter
    assert karpenter.values["settings"]["reservedENIs"] == "1"
    assert karpenter.values["settings"]["interruptionQueue"] == "q"
    assert karpenter.values["nodeSelector"] == {"kubernetes.io/os": "linux", "pool": "apps"}
    assert karpenter.values["tolerations"] == controllers.tolerations
    values = helm_values(out, "cluster-autoscaler")
    assert values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::1:role/ca"
    assert "nodeSelector" not in values or values["nodeSelector"] == {}


def test_the_mesh_feature_makes_nothing_without_istio_and_no_edge_without_an_alb(wiring):
    from tonebridge.features.foundation import Foundation, Placement
    from tonebridge.features.mesh import add_mesh
    from tonebridge.props.istio import IstioSettings

    base = Foundation(namespaces={}, storage_classes=SimpleNamespace(classes={}))
    found = {}

    def build(stack):
        options = {"placement": Placement(), "strict_mtls_namespaces": [], "mtls_port_exceptions": [], "edge": None}
        found["off"] = add_mesh(stack, IstioSettings(enabled=False), base, wiring, **options)
        found["on"] = add_mesh(stack, IstioSettings(), base, wiring, **options)

    out = synth_alone(build, providers=("kubernetes", "helm"))
    assert found["off"].istio is None and found["off"].load_balancer_controller is None
    assert found["on"].istio is not None and found["on"].load_balancer_controller is None
    names = {release["name"] for release in out["resource"]["helm_release"].values()}
    assert "aws-load-balancer-controller" not in names and "istiod" in names
    assert "istio-strict-mtls" not in names  # no STRICT namespace, no PeerAuthentication release


def test_resource_limits_props_of_settings_with_one_of_quota_and_limit_range():
    from tonebridge.constructs.resource_limits import ResourceLimitsProps
    from tonebridge.props.namespaces import LimitRangeSettings, ResourceQuotaSettings

    quota_only = ResourceLimitsProps.of("batch", ResourceQuotaSettings(name="batch", persistentvolumeclaims=3), None)
    assert quota_only.quota_name == "batch" and quota_only.container_limits == {}
    assert quota_only.quota_hard == {
        "requests.cpu": "100",
        "requests.memory": "200Gi",
        "limits.cpu": "200",
        "limits.memory": "400Gi",
        "persistentvolumeclaims": "3",
    }
    limits_only = ResourceLimitsProps.of("batch", None, LimitRangeSettings())
    assert limits_only.quota_hard == {} and limits_only.limit_range_name == "resource-limits"
    assert limits_only.container_limits["defaultRequest"] == {"cpu": "200m", "memory": "256Mi"}
    with pytest.raises(ValueError, match="quota_hard or container_limits"):
        ResourceLimitsProps.of("batch", None, None)


def test_chart_release_passes_its_options_through():
    from tonebridge.charts import KARPENTER_CRD
    from tonebridge.constructs.kube import chart_release

    found = {}

    def build(stack):
        found["release"] = chart_release(stack, "crds", ("crds", KARPENTER_CRD, "kube-system"), wait=False)

    out = synth_alone(build, providers=("helm",))
    (release,) = out["resource"]["helm_release"].values()
    assert release["name"] == "crds" and release["namespace"] == "kube-system" and release["wait"] is False
    assert found["release"].props.values == {}


def test_strict_mtls_namespaces_and_their_port_exceptions():
    from tonebridge.features.mesh import mtls_port_exceptions, strict_mtls_namespaces
    from tonebridge.props.istio import IstioSettings
    from tonebridge.props.namespaces import NamespaceSettings

    namespaces = {"web": NamespaceSettings(labels={"istio-injection": "enabled"}), "batch": NamespaceSettings()}
    assert strict_mtls_namespaces(IstioSettings(), namespaces) == ["web"]
    assert strict_mtls_namespaces(IstioSettings(strict_mtls_namespaces=["batch"]), namespaces) == ["batch"]
    clusters = [SimpleNamespace(name="db", namespace="web"), SimpleNamespace(name="other", namespace="batch")]
    (cnpg,) = mtls_port_exceptions(["web"], clusters, None)  # CI off: the database's exception only
    assert (cnpg.namespace, cnpg.name, cnpg.match_labels) == ("web", "cnpg-db", {"cnpg.io/cluster": "db"})
    assert cnpg.ports == (5432, 8000, 9187)
    targets = [
        SimpleNamespace(namespace="web", service="api", port=8080),
        SimpleNamespace(namespace="batch", service="x", port=1),
    ]
    ci = SimpleNamespace(agents_namespace="ci-agents", test_targets=targets)
    (tests,) = mtls_port_exceptions(["web"], [], ci)
    assert (tests.name, tests.ports, tests.match_labels) == ("ci-tests-api", (8080,), {"app": "api"})
    assert "ci-agents" in tests.reason

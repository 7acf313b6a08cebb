"""Kubernetes building blocks alone, with values the environment files never use: a baseline namespace with its
reason, storage classes with their own names/IOPS/reclaim policy, resource limits with only one of quota and limit
range, a chart release that does not wait and skips its CRDs."""

from __future__ import annotations

import json

import pytest

from tests.construct_harness import manifests, only, synth_alone


def test_a_baseline_namespace_carries_its_reason_and_labels():
    from tonebridge.constructs.namespace import REASON_ANNOTATION, Namespace, NamespaceProps

    props = NamespaceProps(
        name="node-agents",
        kubernetes_version="1.34",
        pod_security="baseline",
        reason="hostPath log collection (spec 7.1)",
        labels={"istio-injection": "disabled"},
    )
    out = synth_alone(lambda stack: Namespace(stack, "ns", props), providers=("kubernetes",))
    namespace = manifests(out)[("Namespace", "node-agents")]
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"  # still warned about
    assert labels["istio-injection"] == "disabled"
    assert namespace["metadata"]["annotations"] == {REASON_ANNOTATION: "hostPath log collection (spec 7.1)"}


def test_a_relaxed_namespace_without_a_reason_is_refused():
    from tonebridge.constructs.namespace import NamespaceProps

    with pytest.raises(ValueError, match="reason"):
        NamespaceProps(name="node-agents", kubernetes_version="1.34", pod_security="privileged")


def test_storage_classes_with_their_own_names_iops_and_reclaim_policy():
    from tonebridge.constructs.storage_classes import StorageClasses, StorageClassesProps
    from tonebridge.props.namespaces import FastSsdSettings

    props = StorageClassesProps(
        kms_key_arn="arn:aws:kms:us-west-2:111122223333:key/volumes",
        # gp3: 500 IOPS per GiB
        fast=FastSsdSettings(iops=6000, smallest_volume_gib=20, throughput=250, reclaim_policy="Delete"),
        fast_name="db-ssd",
        default_name="standard",
    )
    out = synth_alone(lambda stack: StorageClasses(stack, "storage", props), providers=("kubernetes",))
    found = manifests(out)
    fast, default = found[("StorageClass", "db-ssd")], found[("StorageClass", "standard")]
    assert fast["parameters"]["iops"] == "6000" and fast["parameters"]["throughput"] == "250"
    assert fast["reclaimPolicy"] == "Delete"
    assert fast["parameters"]["kmsKeyId"] == props.kms_key_arn and fast["parameters"]["encrypted"] == "true"
    assert "iops" not in default["parameters"]
    annotation = "storageclass.kubernetes.io/is-default-class"
    assert default["metadata"]["annotations"][annotation] == "true"
    assert "annotations" not in fast["metadata"]


def test_resource_limits_with_only_a_limit_range():
    from tonebridge.constructs.resource_limits import ResourceLimits, ResourceLimitsProps

    props = ResourceLimitsProps(
        namespace="batch",
        container_limits={"max": {"cpu": "4", "memory": "8Gi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}},
        limit_range_name="batch-limits",
    )
    out = synth_alone(lambda stack: ResourceLimits(stack, "limits", props), providers=("kubernetes",))
    found = manifests(out)
    assert set(found) == {("LimitRange", "batch-limits")}  # no quota: none asked for
    (limits,) = found[("LimitRange", "batch-limits")]["spec"]["limits"]
    assert limits["type"] == "Container"
    assert limits["max"] == {"cpu": "4", "memory": "8Gi"}
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_resource_limits_with_only_a_quota():
    from tonebridge.constructs.resource_limits import ResourceLimits, ResourceLimitsProps

    props = ResourceLimitsProps(namespace="batch", quota_hard={"requests.cpu": "8", "pods": "20"}, quota_name="batch")
    out = synth_alone(lambda stack: ResourceLimits(stack, "limits", props), providers=("kubernetes",))
    found = manifests(out)
    assert set(found) == {("ResourceQuota", "batch")}
    assert found[("ResourceQuota", "batch")]["spec"] == {"hard": {"requests.cpu": "8", "pods": "20"}}


def test_a_chart_release_that_does_not_wait_and_skips_its_crds():
    from tonebridge.charts import METRICS_SERVER
    from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps

    props = ChartReleaseProps(
        release_name="metrics",
        chart=METRICS_SERVER,
        namespace="monitoring",
        values={"replicas": 1},
        timeout_seconds=120,
        wait=False,
        skip_crds=True,
    )
    out = synth_alone(lambda stack: ChartRelease(stack, "chart", props), providers=("helm",))
    release = only(out, "helm_release")
    assert (release["name"], release["namespace"]) == ("metrics", "monitoring")
    assert release["wait"] is False and release["skip_crds"] is True and release["timeout"] == 120
    assert (release["chart"], release["version"]) == (METRICS_SERVER.chart, METRICS_SERVER.version)
    assert release["values"] == ['{"replicas": 1}']


def test_image_digest_policy_admitting_named_tags_under_its_own_name():
    from tonebridge.constructs.image_digest import NAMESPACE_LABEL, ImageDigest, ImageDigestProps

    allowed = ("quay.io/opstree/redis:v7.0.15", "registry.k8s.io/pause:3.10")
    props = ImageDigestProps(name="pin-images", allowed_by_tag=allowed)
    out = synth_alone(lambda stack: ImageDigest(stack, "digest", props), providers=("kubernetes",))
    found = manifests(out)
    (validation,) = found[("ValidatingAdmissionPolicy", "pin-images")]["spec"]["validations"]
    assert "c.image in ['quay.io/opstree/redis:v7.0.15', 'registry.k8s.io/pause:3.10']" in validation["expression"]
    assert validation["message"].endswith("by tag only: quay.io/opstree/redis:v7.0.15, registry.k8s.io/pause:3.10")
    binding = found[("ValidatingAdmissionPolicyBinding", "pin-images")]["spec"]
    assert binding["policyName"] == "pin-images" and binding["validationActions"] == ["Deny"]
    assert binding["matchResources"]["namespaceSelector"]["matchLabels"] == {NAMESPACE_LABEL: "required"}


def test_image_digest_refuses_a_floating_tag():
    from tonebridge.constructs.image_digest import ImageDigestProps

    with pytest.raises(ValueError, match="one exact registry/repository:tag"):
        ImageDigestProps(allowed_by_tag=("quay.io/opstree/redis:latest",))


def test_read_only_root_policy_under_its_own_name():
    from tonebridge.constructs.read_only_root import EXPRESSION, NAMESPACE_LABEL, ReadOnlyRoot, ReadOnlyRootProps

    out = synth_alone(
        lambda stack: ReadOnlyRoot(stack, "ro", ReadOnlyRootProps(name="ro-root")), providers=("kubernetes",)
    )
    found = manifests(out)
    assert set(found) == {("ValidatingAdmissionPolicy", "ro-root"), ("ValidatingAdmissionPolicyBinding", "ro-root")}
    (validation,) = found[("ValidatingAdmissionPolicy", "ro-root")]["spec"]["validations"]
    assert validation["expression"] == EXPRESSION
    binding = found[("ValidatingAdmissionPolicyBinding", "ro-root")]["spec"]
    assert binding["policyName"] == "ro-root"
    assert binding["matchResources"]["namespaceSelector"]["matchLabels"] == {NAMESPACE_LABEL: "required"}


def test_replica_repository_template_with_its_own_prefix_and_lifecycle():
    from tonebridge.constructs.registries import ReplicaRepositoryTemplate
    from tonebridge.props.registries import RegistriesSettings

    settings = RegistriesSettings(
        services=["api-gateway"],
        production_prefix="tonebridge-staging",
        staging_prefix="tonebridge-dev",
        keep_releases=10,
        untagged_expiry_days=2,
    )
    out = synth_alone(
        lambda stack: ReplicaRepositoryTemplate(stack, "template", settings, name="tb-unit"), region="us-east-1"
    )
    template = only(out, "aws_ecr_repository_creation_template")
    assert template["prefix"] == "tonebridge-staging"
    assert template["image_tag_mutability"] == "IMMUTABLE"
    lifecycle = json.loads(template["lifecycle_policy"])
    counts = sorted((r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in lifecycle["rules"])
    assert counts == [("tagged", 10), ("untagged", 2)]
    role = only(out, "aws_iam_role")
    assert role["name"] == "tb-unit-ecr-replica-creation"
    (create, _) = json.loads(only(out, "aws_iam_role_policy")["policy"])["Statement"]
    assert create["Resource"].endswith(":repository/tonebridge-staging/*")

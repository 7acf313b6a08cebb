"""Charts rendered the way Helm installs them (tools.fit.render) and the rules applied to what comes out.

Unit tests render real charts from the offline chart repository (``TONEBRIDGE_CHART_REPOSITORY``) with
small inline values; one test renders a synthesized platform stack.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.fit import apirules, schemas
from tools.fit.model import ClusterView
from tools.fit.render import render_stack, resolve_references
from tools.kube_objects import objects_of

ENV, REGION, KUBERNETES = "test", "us-west-2", "1.35"


@pytest.fixture(scope="module")
def repository() -> Path:
    folder = os.environ.get("TONEBRIDGE_CHART_REPOSITORY")
    if not folder:
        pytest.fail("TONEBRIDGE_CHART_REPOSITORY must name the offline Helm chart repository (../shared/charts)")
    return Path(folder)


def release(name: str, namespace: str, chart: str, version: str, values: dict[str, Any]) -> dict[str, Any]:
    """A remote helm_release as cdktf synthesizes it."""
    return {
        "name": name,
        "namespace": namespace,
        "repository": "https://charts.example.com",
        "chart": chart,
        "version": version,
        "values": [json.dumps(values)],
    }


def ours(name: str, namespace: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A release of our own local chart (charts/tonebridge-resources): its objects are in its values."""
    return {
        "name": name,
        "namespace": namespace,
        "chart": f"assets/{name}/chart",
        "values": [json.dumps({"resources": objects})],
    }


def render(repository: Path, *releases: dict[str, Any], unread: bool = False):
    stack = {"resource": {"helm_release": {r["name"]: r for r in releases}}}
    result = render_stack(
        stack, repository=repository, env=ENV, region=REGION, kubernetes_version=KUBERNETES, unread=unread
    )
    # What the fit check adds over the whole cluster (tools.fit.view, tools.fit.check).
    ours = [resolve_references(o, REGION) for o in objects_of(stack)]
    view = ClusterView(ENV, REGION, KUBERNETES, objects=[*ours, *result.objects])
    result.problems += [*schemas.check(view), *apirules.check(view)]
    return result


def lines(result, rule: str) -> list[str]:
    return sorted({p.line() for p in result.problems if p.rule == rule})


def test_a_pdb_with_both_fields_is_refused(repository):
    # The chart's default minAvailable "0" counts as set: the API server refuses the pair.
    values = {"controller": {"replicas": 2, "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}}}
    result = render(repository, release("vso", "vso-system", "vault-secrets-operator", "1.0.1", values))
    assert lines(result, "api-server") == [
        "test/us-west-2: vso-system/poddisruptionbudget/vso-vault-secrets-operator: api-server: minAvailable (0) and "
        "maxUnavailable (1) are both set; the API server accepts only one: set the other to null"
    ]


def test_a_value_no_template_reads_is_reported(repository):
    values = {"global": {"istioNamespace": "istio-system"}, "seccompProfile": {"type": "RuntimeDefault"}}
    result = render(repository, release("istio-cni", "istio-cni", "cni", "1.28.0", values), unread=True)
    assert lines(result, "unread-value") == [
        "test/us-west-2: istio-cni/helmrelease/istio-cni: unread-value: "
        "global.istioNamespace is read by no template of cni 1.28.0"
    ]


def test_values_the_chart_schema_refuses(repository):
    result = render(repository, release("gw", "istio-system", "gateway", "1.28.0", {"replicaCount": "two"}))
    assert lines(result, "chart-schema") == [
        "test/us-west-2: istio-system/helmrelease/gw: chart-schema: replicaCount: got string, want null or integer "
        "(values.schema.json of gateway 1.28.0)"
    ]
    assert result.releases == []


def test_an_unknown_field_in_a_custom_resource_against_the_chart_crd(repository):
    cluster = {
        "apiVersion": "redis.redis.opstreelabs.in/v1beta2",
        "kind": "RedisCluster",
        "metadata": {"name": "cache", "namespace": "data"},
        "spec": {"clusterSize": 3, "kubernetesConfig": {"image": "quay.io/opstree/redis:v7.0.15"}, "bogus": 1},
    }
    result = render(
        repository,
        release("redis-operator", "redis-operator", "redis-operator", "0.26.1", {}),
        ours("redis-data", "data", [cluster]),
    )
    assert lines(result, "object-schema") == [
        'test/us-west-2: data/rediscluster/cache: object-schema: unknown field "spec.bogus"'
    ]
    # The chart's CRDs (crds/) are among the objects, cluster-scoped.
    crds = [o for o in result.objects if o["kind"] == "CustomResourceDefinition"]
    assert {c["spec"]["names"]["kind"] for c in crds} >= {"RedisCluster"}
    assert all("namespace" not in c["metadata"] for c in crds)


def test_a_version_the_repository_does_not_hold(repository):
    result = render(repository, release("karpenter", "kube-system", "karpenter", "1.15.0", {}))
    assert lines(result, "chart-render") == [
        "test/us-west-2: kube-system/helmrelease/karpenter: chart-render: "
        "karpenter 1.15.0 is not in the chart repository (it holds 1.14.1)"
    ]


def test_rendered_objects_get_the_release_namespace_and_values_are_merged(repository):
    result = render(repository, release("metrics-server", "kube-system", "metrics-server", "3.13.1", {"replicas": 2}))
    (deployment,) = [o for o in result.objects if o["kind"] == "Deployment"]
    assert deployment["metadata"]["namespace"] == "kube-system"
    assert deployment["spec"]["replicas"] == 2
    assert next(o for o in result.objects if o["kind"] == "ClusterRole")["metadata"].get("namespace") is None
    merged = result.chart_values["metrics-server"]
    assert merged["replicas"] == 2 and "image" in merged  # ours over the chart's defaults


def test_terraform_references_become_well_formed_placeholders():
    prefix = "data.terraform_remote_state.x.outputs.cross-stack-output-"
    values = {
        "role": f"${{{prefix}aws_iam_rolecluster_irsa_role_C6F84D2Aarn}}",
        "subnet": f"${{{prefix}aws_subnetnetwork_private-us-west-2a_722AF3DBid}}",
        "queue": f"${{{prefix}aws_sqs_queuecluster_karpenter_interruptions_2975E728name}}",
        "registry": f"${{{prefix}aws_ecr_repositoryregistries_api_80854771registry_id}}.dkr.ecr",
        "literal": ["$${NODE_NAME}", "%%{ if x }"],
    }
    assert resolve_references(values, "us-west-2") == {
        "role": "arn:aws:iam::000000000000:role/unresolved",
        "subnet": "subnet-00000000000000000",
        "queue": "unresolved",
        "registry": "000000000000.dkr.ecr",
        "literal": ["${NODE_NAME}", "%{ if x }"],
    }


def pod(containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": containers, **spec}}


def deployment(template: dict[str, Any], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "n"},
        "spec": {"selector": selector or {"matchLabels": {"app": "a"}}, "template": template},
    }


def whys(*objects: dict[str, Any]) -> list[str]:
    return [p.why for p in apirules.api_problems(objects, env=ENV, region=REGION)]


def test_api_rules_accept_a_valid_workload():
    volume = [{"name": "data", "emptyDir": {}}]
    container = {"name": "c", "ports": [{"name": "http", "containerPort": 80}], "volumeMounts": [{"name": "data"}]}
    assert whys(deployment(pod([container], volumes=volume))) == []


def test_api_rules_refuse_what_the_api_server_refuses():
    assert whys(deployment(pod([{"name": "c"}]), {"matchLabels": {"app": "b"}})) == [
        "spec.selector {app=b} does not match the pod template labels {app=a}"
    ]
    assert whys(deployment(pod([{"name": "c"}], initContainers=[{"name": "c"}]))) == [
        "spec.template.spec.initContainers: container name 'c' is already used in spec.template.spec.containers"
    ]
    ports = [{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}]
    assert whys(deployment(pod([{"name": "c", "ports": ports}]))) == [
        "spec.template.spec.containers[c].ports: port name 'http' is used twice"
    ]
    assert whys(deployment(pod([{"name": "c", "volumeMounts": [{"name": "gone"}]}]))) == [
        "spec.template.spec.containers[c].volumeMounts: 'gone' names no volume of the pod"
    ]


def test_api_rules_leave_warnings_alone():
    # Duplicate env names and containerPort/protocol pairs are warnings (pkg/api/pod/warnings.go), not errors.
    env = [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]
    ports = [{"containerPort": 80}, {"containerPort": 80}]
    assert whys(deployment(pod([{"name": "c", "env": env, "ports": ports}]))) == []


def test_a_statefulset_mounts_its_claim_templates():
    statefulset = deployment(pod([{"name": "c", "volumeMounts": [{"name": "data"}]}]))
    statefulset["kind"] = "StatefulSet"
    statefulset["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}}]
    assert whys(statefulset) == []


def test_strict_schemas_refuse_unknown_fields_of_core_objects():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "n"},
        "spec": {"portz": []},
    }
    problems = schemas.object_problems([service], kubernetes_version=KUBERNETES, env=ENV, region=REGION)
    assert [p.why for p in problems] == ['unknown field "spec.portz"']


@pytest.mark.integration
def test_a_platform_stack_renders_its_charts(repository, stacks, environments):
    name, region = "production-us-west-2-platform", "us-west-2"
    version = environments["production"].clusters[region].version
    result = render_stack(
        stacks[name], repository=repository, env="production", region=region, kubernetes_version=version, unread=False
    )
    found = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in result.objects}
    assert {
        ("StatefulSet", "vault", "vault"),
        ("Deployment", "istio-system", "istiod"),
        ("DaemonSet", "istio-cni", "istio-cni-node"),
        ("Deployment", "kube-system", "karpenter"),
        ("StatefulSet", "ci", "jenkins"),
        ("Deployment", "cert-manager", "cert-manager"),
    } <= found
    assert {"kube-prometheus-stack", "vault", "istiod", "karpenter"} <= set(result.chart_values)
    assert not [p for p in result.problems if p.rule in ("chart-render", "chart-schema")]


def _rendered_release(repository, stacks, environments, release_name: str):
    """One release of production's platform stack, rendered as Helm installs it, with the stack's own objects."""
    name, region = "production-us-west-2-platform", "us-west-2"
    stack = stacks[name]
    only = {k: r for k, r in stack["resource"]["helm_release"].items() if r["name"] == release_name}
    version = environments["production"].clusters[region].version
    result = render_stack(
        {"resource": {"helm_release": only}},
        repository=repository,
        env="production",
        region=region,
        kubernetes_version=version,
        unread=False,
    )
    return result, [resolve_references(o, region) for o in objects_of(stack)]


@pytest.mark.integration  # renders a chart with Helm's engine
def test_rendered_jenkins_gives_the_main_clouds_account_no_rights_in_the_release_namespace(
    repository, stacks, environments
):
    """As the cluster receives it: the controller's account (the main cloud's) is bound in ci-builds and
    (for the JCasC reload sidecar) ci only; ci-release binds the launcher alone; the rendered JCasC gives
    the release cloud the launcher's credential and the main cloud none."""
    result, ours = _rendered_release(repository, stacks, environments, "jenkins")
    bindings = [o for o in [*result.objects, *ours] if o["kind"] in ("RoleBinding", "ClusterRoleBinding")]

    def bound(account: str) -> set[tuple[str, str | None]]:
        return {
            (b["kind"], b["metadata"].get("namespace"))
            for b in bindings
            for s in b.get("subjects", [])
            if s["kind"] == "ServiceAccount" and s["name"] == account and s.get("namespace") == "ci"
        }

    assert bound("jenkins") == {("RoleBinding", "ci-builds"), ("RoleBinding", "ci")}
    assert bound("jenkins-release-agent-launcher") == {("RoleBinding", "ci-release")}
    (watch,) = [b for b in bindings if b["metadata"].get("namespace") == "ci" and b["kind"] == "RoleBinding"]
    (role,) = [o for o in result.objects if o["kind"] == "Role" and o["metadata"]["name"] == watch["roleRef"]["name"]]
    assert {r for rule in role["rules"] for r in rule["resources"]} == {"configmaps"}  # never Secrets or pods
    casc = "\n".join(
        v for o in result.objects if o["kind"] == "ConfigMap" for v in o.get("data", {}).values() if "clouds:" in v
    )
    clouds = {c["kubernetes"]["name"]: c["kubernetes"] for c in yaml.safe_load(casc)["jenkins"]["clouds"]}
    assert set(clouds) == {"kubernetes", "kubernetes-release"}
    assert clouds["kubernetes"]["credentialsId"] in ("", None) and clouds["kubernetes"]["namespace"] == "ci-builds"
    release = clouds["kubernetes-release"]
    assert release["credentialsId"] == "kubernetes-release-launcher" and release["namespace"] == "ci-release"
    assert release["usageRestricted"] is True
    (statefulset,) = [o for o in result.objects if o["kind"] == "StatefulSet"]
    volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
    assert volumes["release-launcher"]["secret"]["secretName"] == "jenkins-release-agent-launcher-token"


@pytest.mark.integration  # renders a chart with Helm's engine
def test_rendered_argocd_verifies_signatures_with_the_configured_keys(repository, stacks, environments):
    """The keyring ConfigMap the repo server mounts holds the configured keys under their IDs, and no
    component runs with GnuPG off."""
    from tonebridge.openpgp import read_public_key

    result, _ = _rendered_release(repository, stacks, environments, "argocd")
    (keyring,) = [
        o for o in result.objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "argocd-gpg-keys-cm"
    ]
    configured = [k.key_id for k in environments["production"].platform["us-west-2"].argocd.signature_keys]
    assert sorted(keyring["data"]) == sorted(configured)
    assert all(read_public_key(text).key_id == key_id for key_id, text in keyring["data"].items())
    workloads = [o for o in result.objects if o["kind"] in ("Deployment", "StatefulSet")]
    (repo_server,) = [w for w in workloads if w["metadata"]["name"] == "argocd-repo-server"]
    mounts = {v["configMap"]["name"] for v in repo_server["spec"]["template"]["spec"]["volumes"] if "configMap" in v}
    assert "argocd-gpg-keys-cm" in mounts
    for workload in workloads:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            if workload["metadata"]["name"].startswith("argocd-") and "redis" not in workload["metadata"]["name"]:
                assert env.get("ARGOCD_GPG_ENABLED") == "true", (workload["metadata"]["name"], container["name"])


def test_the_unread_analysis_is_kept_on_disk_and_a_changed_value_misses(repository, tmp_path, monkeypatch):
    from tools.fit import render as fit_render

    monkeypatch.setenv(fit_render.UNREAD_CACHE_VARIABLE, str(tmp_path))
    monkeypatch.setattr(fit_render, "_UNREAD", {})
    analysed = []
    probe = fit_render._Probe
    monkeypatch.setattr(fit_render, "_Probe", lambda context, values: analysed.append(values) or probe(context, values))
    values = {"global": {"istioNamespace": "istio-system"}, "seccompProfile": {"type": "RuntimeDefault"}}

    def unread(values):
        result = render(repository, release("istio-cni", "istio-cni", "cni", "1.28.0", values), unread=True)
        return lines(result, "unread-value")

    first = unread(values)
    assert first and len(analysed) == 1 and len(list(tmp_path.glob("*.json"))) == 1
    monkeypatch.setattr(fit_render, "_UNREAD", {})  # a new process: only the folder remembers
    assert unread(values) == first
    assert len(analysed) == 1  # read back, not analysed again
    changed = {**values, "seccompProfile": {"type": "Localhost"}}
    unread(changed)
    assert len(analysed) == 2 and len(list(tmp_path.glob("*.json"))) == 2  # a changed value is a miss


def test_the_unread_cache_key_changes_with_everything_the_analysis_depends_on(tmp_path):
    from tools.fit.render import _Context, unread_cache_key

    chart, other = tmp_path / "a.tgz", tmp_path / "b.tgz"
    chart.write_bytes(b"chart")
    other.write_bytes(b"chart, one byte more")
    base = _Context(chart, "rel", "ns", "v1.35.0", ("monitoring.coreos.com/v1",))
    values = {"a": {"b": 1}}
    variants = [
        (base, values),
        (base, {"a": {"b": 2}}),
        (base, {"a": {"b": 1}, "c": None}),
        (_Context(other, "rel", "ns", "v1.35.0", base.api_versions), values),
        (_Context(chart, "rel2", "ns", "v1.35.0", base.api_versions), values),
        (_Context(chart, "rel", "ns2", "v1.35.0", base.api_versions), values),
        (_Context(chart, "rel", "ns", "v1.34.0", base.api_versions), values),
        (_Context(chart, "rel", "ns", "v1.35.0", ()), values),
    ]
    keys = [unread_cache_key(context, v) for context, v in variants]
    assert len(set(keys)) == len(keys)
    assert unread_cache_key(base, {"a": {"b": 1}}) == keys[0]  # same inputs, same key (key order irrelevant)

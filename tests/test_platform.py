"""Platform stacks: provider wiring from the cluster's outputs, and the building blocks every
in-cluster component uses (kube objects, pinned releases, custom resources, schema validation)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources
from tests.test_snapshots import STACKS

PLATFORM_STACKS = [name for name in STACKS if name.endswith("-platform")]


@pytest.mark.parametrize("name", PLATFORM_STACKS)
def test_providers_authenticate_with_get_token_from_the_clusters_outputs(stacks, manifest, name):
    stack = stacks[name]
    infra = name.removesuffix("-platform")
    assert manifest[name]["dependencies"] == [infra]
    assert set(stack["terraform"]["required_providers"]) == {"kubernetes", "helm"}
    remote = stack["data"]["terraform_remote_state"]
    (reference,) = remote.values()
    assert reference["config"]["key"].endswith(f"/{infra}.tfstate")
    kubernetes = stack["provider"]["kubernetes"][0]
    helm = stack["provider"]["helm"][0]["kubernetes"]
    for config, exec_ in ((kubernetes, kubernetes["exec"][0]), (helm, helm["exec"])):
        assert "token" not in config and "config_path" not in config
        assert config["host"].startswith("${data.terraform_remote_state.")
        assert config["cluster_ca_certificate"].startswith("${base64decode(data.terraform_remote_state.")
        assert exec_["command"] == "aws"
        assert exec_["api_version"] == "client.authentication.k8s.io/v1beta1"
        assert exec_["args"][:3] == ["eks", "get-token", "--cluster-name"]
        assert exec_["args"][4:6] == ["--region", infra.split("-", 1)[1]]


@pytest.mark.parametrize("name", PLATFORM_STACKS)
def test_every_release_pins_its_chart(stacks, name):
    for release_id, release in resources(stacks[name], "helm_release").items():
        assert release["version"], release_id
        assert release["atomic"] is True and release["create_namespace"] is False, release_id
        local = release.get("repository") is None
        assert local == release["chart"].startswith("assets/"), release_id


@pytest.mark.parametrize("name", PLATFORM_STACKS)
def test_core_objects_pass_strict_schema_validation(stacks, environments, name):
    from tools.kube_objects import objects_of, validation_problems

    env, region = name.split("-", 1)[0], name.split("-", 1)[1].removesuffix("-platform")
    version = environments[env].clusters[region].version
    assert validation_problems(objects_of(stacks[name]), version) == []


# --- building blocks ---------------------------------------------------------------------------


def test_strict_validation_rejects_unknown_fields_and_unknown_kinds():
    from tools.kube_objects import validation_problems

    good = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production"}}
    typo = {**good, "spec": {"finalisers": ["kubernetes"]}}
    wrong_type = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": []}}
    unknown = {"apiVersion": "v1", "kind": "PodSecurityPolicy", "metadata": {"name": "old"}}
    custom = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "db"}}
    problems = validation_problems([good, typo, wrong_type, unknown, custom], "1.35")
    assert len(problems) == 3
    assert "finalisers" in problems[0]
    assert problems[1].startswith("ResourceQuota q (v1): spec.hard")
    assert "no schema" in problems[2]


def test_values_escape_terraform_templates_but_keep_references():
    from cdktf import App, TerraformStack, TerraformVariable

    from tonebridge.constructs.kube import values_document

    stack = TerraformStack(App(), "values")
    role = TerraformVariable(stack, "arn", type="string").string_value
    document = json.loads(values_document({"legend": "{{pod}} ${instance} %{if}", "role": role}))
    assert document["legend"] == "{{pod}} $${instance} %%{if}"
    assert document["role"] == role


def test_release_and_object_inputs_are_checked_early():
    from tonebridge.charts import HelmChart
    from tonebridge.constructs.kube import ChartReleaseProps
    from tonebridge.kubeapi import object_problem

    chart = HelmChart("https://example.org/charts", "thing", "1.2.3")
    with pytest.raises(ValueError, match="1-53 characters"):
        ChartReleaseProps(release_name="x" * 54, chart=chart, namespace="ns")
    with pytest.raises(ValueError, match="exact version"):
        HelmChart("https://example.org/charts", "thing", "^1.2")
    with pytest.raises(ValueError, match="https:// or oci://"):
        HelmChart("http://example.org/charts", "thing", "1.2.3")
    assert object_problem({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}) == "Namespace needs metadata.name"


def test_custom_resources_travel_with_the_stack_as_a_local_chart():
    from cdktf import App, TerraformStack, Testing
    from cdktf_cdktf_provider_helm.provider import HelmProvider

    from tonebridge.constructs.kube import CustomResources

    app = App()
    stack = TerraformStack(app, "cr")
    HelmProvider(stack, "helm")
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "spot"}, "spec": {}}
    CustomResources(stack, "pools", release_name="node-pools", namespace="kube-system", objects=[pool])
    synthesized = json.loads(Testing.synth(stack))
    (release,) = synthesized["resource"]["helm_release"].values()
    assert "repository" not in release and release["chart"].startswith("assets/")
    assert json.loads(release["values"][0]) == {"resources": [pool]}
    with pytest.raises(ValueError, match="no objects"):
        CustomResources(stack, "none", release_name="none", namespace="kube-system", objects=[])

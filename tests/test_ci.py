"""Jenkins and the application pipeline's identities (spec §6.2) in synthesized production, and the
early checks of the props. Expected values are typed in from the issue and the spec, not imported."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import resources
from tonebridge.paths import PROJECT_ROOT

PLATFORM = "production-us-west-2-platform"
INFRA = "production-us-west-2"
STANDBY = "production-us-east-1-platform"
#: Spec §5.1: the eight repositories the push role may name, and nothing else.
REPOSITORIES = {
    f"{prefix}/{service}"
    for prefix in ("tonebridge", "tonebridge-staging")
    for service in ("api-gateway", "llm-service", "auth-service", "analytics-service")
}
MANAGEMENT_TOLERATION = {"key": "management", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def _objects(stack, kind, name=None, namespace=None):
    from tonebridge.ops.kube_objects import objects_of

    return [
        o
        for o in objects_of(stack)
        if o["kind"] == kind
        and (name is None or o["metadata"]["name"] == name)
        and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]


@pytest.fixture(scope="module")
def platform(stacks):
    return stacks[PLATFORM]


@pytest.fixture(scope="module")
def release(platform):
    (found,) = [r for r in resources(platform, "helm_release").values() if r["name"] == "jenkins"]
    return found


@pytest.fixture(scope="module")
def values(release):
    return json.loads(release["values"][0])


def _pods(values) -> dict[str, dict]:
    """Pod template name -> its pod spec, read back from the JCasC the chart receives."""
    pods = {}
    for document in values["agent"]["podTemplates"].values():
        (template,) = yaml.safe_load(document)
        pods[template["name"]] = {**template, "pod": json.loads(template["yaml"])}
    return pods


# --- the release --------------------------------------------------------------------------------


def test_jenkins_release_is_pinned(release, values):
    assert release["repository"] == "https://charts.jenkins.io"
    assert release["chart"] == "jenkins"
    assert re.fullmatch(r"\d+\.\d+\.\d+", release["version"])
    assert release["namespace"] == "ci"
    controller = values["controller"]
    assert re.fullmatch(r"\d+\.\d+\.\d+-jdk\d+", controller["image"]["tag"])
    plugins = dict(p.split(":", 1) for p in controller["installPlugins"])
    assert {"kubernetes", "workflow-aggregator", "configuration-as-code", "credentials-binding"} <= set(plugins)
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z._-]*", v) and v != "latest" for v in plugins.values())
    assert controller["installLatestPlugins"] is False and controller["installLatestSpecifiedPlugins"] is False


def test_controller_is_restricted_private_and_on_the_management_pool(values):
    controller = values["controller"]
    assert controller["serviceType"] == "ClusterIP" and controller["agentListenerServiceType"] == "ClusterIP"
    assert controller["ingress"]["enabled"] is False
    assert controller["numExecutors"] == 0
    context = controller["containerSecurityContext"]
    assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"] and not context["allowPrivilegeEscalation"]
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert controller["podSecurityContextOverride"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert controller["nodeSelector"] == {"workload": "management"}
    assert controller["tolerations"] == [MANAGEMENT_TOLERATION]


def test_home_on_fast_ssd(values):
    persistence = values["persistence"]
    assert persistence["enabled"] and persistence["storageClass"] == "fast-ssd" and persistence["size"] == "50Gi"


def test_admin_and_webhook_come_from_vault_through_the_csi_driver(platform, values):
    controller = values["controller"]
    assert controller["admin"]["createSecret"] is False
    (volume,) = values["persistence"]["volumes"]
    assert volume["csi"]["driver"] == "secrets-store.csi.k8s.io"
    (spc,) = _objects(platform, "SecretProviderClass", volume["csi"]["volumeAttributes"]["secretProviderClass"])
    assert spc["metadata"]["namespace"] == "ci"
    params = spc["spec"]["parameters"]
    assert params["roleName"] == "jenkins" and params["vaultAddress"].startswith("https://")
    objects = yaml.safe_load(params["objects"])
    assert {(o["objectName"], o["secretPath"], o["secretKey"]) for o in objects} >= {
        ("admin-username", "secret/data/jenkins/admin", "username"),
        ("admin-password", "secret/data/jenkins/admin", "password"),
        ("notification-webhook", "secret/data/jenkins/notifications", "webhook-url"),
    }
    mount = values["persistence"]["mounts"][0]["mountPath"]
    realm = yaml.safe_load(controller["JCasC"]["securityRealm"])["local"]
    # Terraform renders $${ as ${: JCasC reads the files the CSI driver mounted.
    assert realm["users"][0]["password"] == f"$${{readFile:{mount}/admin-password}}"
    assert realm["allowsSignup"] is False
    credentials = controller["JCasC"]["configScripts"]["credentials"]
    assert f"$${{readFile:{mount}/notification-webhook}}" in credentials
    assert not any(k in json.dumps(values) for k in ("adminPassword", '"password": "'))


def test_vault_role_is_bound_to_the_controller_account_only(platform):
    (config_map,) = _objects(platform, "ConfigMap", "vault-bootstrap")
    script = config_map["data"]["bootstrap.sh"]
    (line,) = [line for line in script.splitlines() if "auth/kubernetes/role/jenkins " in line]
    assert "bound_service_account_names=jenkins " in line and "bound_service_account_namespaces=ci " in line
    policy = config_map["data"]["jenkins-read.hcl"]
    assert set(re.findall(r'path "([^"]+)"', policy)) == {
        "secret/data/jenkins/admin",
        "secret/data/jenkins/notifications",
        "secret/data/jenkins/manifests-repo",
    }
    assert re.findall(r"capabilities = \[([^\]]*)\]", policy) == ['"read"'] * 3


# --- namespaces and pod security ----------------------------------------------------------------


def test_ci_namespace_is_restricted_and_agents_have_a_stated_reason(platform):
    (ci,) = _objects(platform, "Namespace", "ci")
    labels = ci["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    (agents,) = _objects(platform, "Namespace", "ci-builds")
    labels = agents["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/audit"] == labels["pod-security.kubernetes.io/warn"] == "restricted"
    reason = agents["metadata"]["annotations"]["tonebridge.io/pod-security-reason"]
    assert "Kaniko" in reason and "runAsUser 0" in reason


def test_agent_pod_templates_have_no_privileged_container(values):
    pods = _pods(values)
    assert set(pods) == {"tonebridge-build", "tonebridge-deploy", "tonebridge-test"}
    for name, template in pods.items():
        spec = template["pod"]["spec"]
        assert template["namespace"] == "ci-builds"
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), name
        assert all(v.keys() <= {"name", "emptyDir"} for v in spec["volumes"]), name  # no host paths
        assert spec["nodeSelector"] == {"workload": "management"} and spec["tolerations"] == [MANAGEMENT_TOLERATION]
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["privileged"] is False and context["allowPrivilegeEscalation"] is False, container
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert not re.search(r"(^|/)docker:", container["image"]) and not container["image"].endswith(":latest")
            assert "limits" in container["resources"]
            if container["name"] != "kaniko":
                assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"], container["name"]
                assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]


def test_build_pod_builds_rootless_and_scans_high_and_critical(values):
    build = _pods(values)["tonebridge-build"]
    spec = build["pod"]["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    assert set(containers) == {"jnlp", "kaniko", "trivy"}
    kaniko = containers["kaniko"]
    assert "kaniko-project/executor" in kaniko["image"] or "kaniko" in kaniko["image"]
    assert set(kaniko["securityContext"]["capabilities"]["add"]) <= {
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "SETGID",
        "SETUID",
    }  # all within Pod Security baseline
    env = {e["name"]: e["value"] for e in containers["trivy"]["env"]}
    assert env["TRIVY_SEVERITY"] == "HIGH,CRITICAL" and env["TRIVY_EXIT_CODE"] == "1"
    assert build["serviceAccount"] == spec["serviceAccountName"] == "jenkins-builder"
    assert spec["automountServiceAccountToken"] is False


def test_deploy_pod_has_kubectl_as_the_deployer(values):
    deploy = _pods(values)["tonebridge-deploy"]
    spec = deploy["pod"]["spec"]
    assert {c["name"] for c in spec["containers"]} == {"jnlp", "kubectl"}
    assert spec["serviceAccountName"] == "jenkins-deployer"
    test = _pods(values)["tonebridge-test"]["pod"]["spec"]
    assert test["serviceAccountName"] == "default" and test["automountServiceAccountToken"] is False


# --- identities ---------------------------------------------------------------------------------


def test_push_role_names_exactly_the_eight_repositories(stacks):
    infra = stacks[INFRA]
    repositories = {
        f"${{aws_ecr_repository.{key}.arn}}": repo["name"]
        for key, repo in resources(infra, "aws_ecr_repository").items()
    }
    (role,) = [r for r in resources(infra, "aws_iam_role").values() if r["name"].endswith("-ci-image-push")]
    trust = json.loads(role["assume_role_policy"])["Statement"]
    (condition,) = [s["Condition"]["StringEquals"] for s in trust]
    assert "system:serviceaccount:ci-builds:jenkins-builder" in condition.values()
    assert "sts.amazonaws.com" in condition.values()
    (policy,) = [
        json.loads(p["policy"])
        for k, p in resources(infra, "aws_iam_role_policy").items()
        if k.startswith("ci-image-push_")
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"RegistryLogin", "PushToPlatformRepositories"}
    assert by_sid["RegistryLogin"]["Action"] == "ecr:GetAuthorizationToken"
    push = by_sid["PushToPlatformRepositories"]
    assert {repositories[arn] for arn in push["Resource"]} == REPOSITORIES
    assert len(push["Resource"]) == 8
    assert {"ecr:PutImage", "ecr:CompleteLayerUpload"} <= set(push["Action"])
    assert not any(a.startswith(("ecr:Delete", "ecr:BatchDelete", "ecr:Set", "ecr:Create")) for a in push["Action"])
    assert all(s["Effect"] == "Allow" and "*" not in json.dumps(s["Action"]) for s in policy["Statement"])
    assert "ci_image_push_role_arn" in infra["output"]


def test_builder_account_carries_the_push_role(platform):
    (account,) = _objects(platform, "ServiceAccount", "jenkins-builder", "ci-builds")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("${data.terraform_remote_state.")
    assert account["automountServiceAccountToken"] is False


def test_deployer_may_only_update_deployments_in_staging_and_production(platform):
    roles = _objects(platform, "Role", "ci-deployer")
    assert {r["metadata"]["namespace"] for r in roles} == {"staging", "production"}
    for role in roles:
        assert role["rules"] == [
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "patch"]}
        ]
    bindings = _objects(platform, "RoleBinding", "ci-deployer")
    assert {b["metadata"]["namespace"] for b in bindings} == {"staging", "production"}
    for binding in bindings:
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "jenkins-deployer", "namespace": "ci-builds"}]
        assert binding["roleRef"]["kind"] == "Role"
    cluster_wide = _objects(platform, "ClusterRoleBinding")  # other components' (Filebeat's) are not CI's
    assert not [b for b in cluster_wide for s in b.get("subjects", []) if s.get("namespace") in ("ci", "ci-builds")]


# --- network policies, placement, standby ---------------------------------------------------------


def test_ci_namespaces_deny_by_default_and_allow_only_what_jenkins_needs(platform):
    for namespace in ("ci", "ci-builds"):
        names = {p["metadata"]["name"] for p in _objects(platform, "NetworkPolicy", namespace=namespace)}
        assert {"default-deny", "allow-dns"} <= names
    (controller,) = _objects(platform, "NetworkPolicy", "jenkins-controller", "ci")
    (rule,) = controller["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ci-builds"}}}]
    assert {p["port"] for p in rule["ports"]} == {8080, 50000}
    (agents,) = _objects(platform, "NetworkPolicy", "jenkins-agents", "ci-builds")
    ports = [sorted(p["port"] for p in r["ports"]) for r in agents["spec"]["egress"]]
    assert ports == [[8080, 50000], [8080], [443]]
    (tests,) = _objects(platform, "NetworkPolicy", "allow-ci-integration-tests", "staging")
    assert tests["spec"]["podSelector"] == {"matchLabels": {"app": "api-gateway"}}


def test_management_pool_is_on_the_management_subnets(stacks):
    infra = stacks[INFRA]
    groups = {g["node_group_name"]: g for g in resources(infra, "aws_eks_node_group").values()}
    management = groups["management"]
    assert all("network_management-" in s for s in management["subnet_ids"])
    assert all("network_private-" in s for s in groups["application"]["subnet_ids"])
    assert management["labels"] == {"workload": "management"}
    assert management["taint"] == [{"key": "management", "value": "true", "effect": "NO_SCHEDULE"}]


def test_standby_runs_no_jenkins(stacks):
    assert not [r for r in resources(stacks[STANDBY], "helm_release").values() if r["name"] == "jenkins"]


def test_application_jenkinsfile_uses_the_platform_agents():
    text = (PROJECT_ROOT / "pipelines" / "application" / "Jenkinsfile").read_text()
    for stage in ("Build", "Security Scan", "Deploy to Staging", "Integration Tests", "Deploy to Production"):
        assert f"stage('{stage}')" in text
    assert "inheritFrom 'tonebridge-build'" in text and "inheritFrom 'tonebridge-deploy'" in text
    assert "--severity HIGH,CRITICAL --exit-code 1" in text
    assert "privileged: true" not in text and "docker:dind" not in text
    assert "when { branch 'main' }" in text and "input message:" in text
    # The repository's own pipeline is still there, for the infrastructure.
    assert "stage('Synth')" in (PROJECT_ROOT / "Jenkinsfile").read_text()


# --- props checked early ------------------------------------------------------------------------


def _props(**overrides):
    from tonebridge.constructs.app_secrets import SecretObject
    from tonebridge.constructs.jenkins import AgentImages, JenkinsProps, VaultFiles

    objects = [
        SecretObject(name, "secret/data/jenkins/x", "k")
        for name in ("admin-username", "admin-password", "notification-webhook", "manifests-repo-token")
    ]
    base = {
        "kubernetes_version": "1.35",
        "controller_image_tag": "2.555.3-jdk21",
        "plugins": {"kubernetes": "4423.vb_59f230b_ce53"},
        "agents": AgentImages("r.io/a:1", "r.io/k:1", "r.io/c:1", "r.io/t:1"),
        "builder_role_arn": "arn:aws:iam::111122223333:role/x",
        "deploy_namespaces": ["staging"],
        "vault": VaultFiles("https://vault.vault.svc:8200", "/ca.crt", "jenkins", objects),
        "registry": "111122223333.dkr.ecr.us-west-2.amazonaws.com",
        "config_reload_image": "docker.io/kiwigrid/k8s-sidecar:2.5.0",
        "node_selector": {"workload": "management"},
    }
    return JenkinsProps(**{**base, **overrides})


def test_jenkins_props_are_checked_early():
    from tonebridge.constructs.app_secrets import SecretObject
    from tonebridge.constructs.ci_rbac import DeployAccessProps
    from tonebridge.constructs.ci_registry import ImagePushRoleProps
    from tonebridge.constructs.jenkins import AgentImages, VaultFiles

    _props()
    with pytest.raises(ValueError, match="namespace of their own"):
        _props(agents_namespace="ci")
    with pytest.raises(ValueError, match="exact version"):
        _props(plugins={"git": "latest"})
    with pytest.raises(ValueError, match="management pool"):
        _props(node_selector={})
    with pytest.raises(ValueError, match="distinct service accounts"):
        _props(deployer_service_account="jenkins")
    with pytest.raises(ValueError, match="exact tag"):
        AgentImages("r.io/a:1", "r.io/k:latest", "r.io/c:1", "r.io/t:1")
    with pytest.raises(ValueError, match="objects missing"):
        VaultFiles("https://v:8200", "/ca", "jenkins", [SecretObject("admin-username", "secret/data/a", "u")])
    with pytest.raises(ValueError, match="must not live in a namespace it deploys to"):
        DeployAccessProps(service_account="d", namespace="staging", target_namespaces=["staging"])
    with pytest.raises(ValueError, match="at least one repository"):
        ImagePushRoleProps("r", "arn", "issuer", "ci-builds", "jenkins-builder", [])


def test_management_placement_needs_the_pool():
    from tonebridge.constructs.pools import MANAGEMENT_POOL, pool_placement

    assert pool_placement(MANAGEMENT_POOL, [{"workload": "system"}]) is None
    selector, tolerations = pool_placement(MANAGEMENT_POOL, [{"workload": "management", "x": "y"}])
    assert selector == {"workload": "management"} and tolerations == [MANAGEMENT_TOLERATION]


def test_agent_pods_pass_the_kubernetes_schema_strictly(values):
    """The pod templates travel as strings inside the chart values, out of the stack-wide schema check."""
    from tonebridge.ops.kube_objects import validation_problems

    pods = [{**t["pod"], "metadata": {"name": name}} for name, t in _pods(values).items()]
    assert len(pods) == 3
    assert validation_problems(pods, "1.35") == []

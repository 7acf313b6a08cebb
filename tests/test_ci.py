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
    from tools.kube_objects import objects_of

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
    (volume,) = [v for v in values["persistence"]["volumes"] if "csi" in v]  # the other: the launcher token
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
    assert set(containers) == {"jnlp", "kaniko", "trivy", "registry-login", "crane"}
    kaniko = containers["kaniko"]
    # Kaniko cannot read the web identity token: only registry-login gets it, and only crane shares its
    # memory volume (the registry password); Kaniko mounts neither.
    skipped = set(build["pod"]["metadata"]["annotations"]["eks.amazonaws.com/skip-containers"].split(","))
    assert set(containers) - skipped == {"registry-login"}
    assert [m["name"] for m in kaniko.get("volumeMounts", [])] == []
    sharing = {c["name"] for c in spec["containers"] for m in c.get("volumeMounts", []) if m["name"] == "registry-auth"}
    assert sharing == {"registry-login", "crane"}
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


@pytest.mark.parametrize(
    ("suffix", "subject", "prefix", "output"),
    [
        (
            "-ci-image-push",
            "system:serviceaccount:ci-builds:jenkins-builder",
            "tonebridge-staging",
            "ci_image_push_role_arn",
        ),
        (
            "-ci-release-push",
            "system:serviceaccount:ci-release:jenkins-releaser",
            "tonebridge",
            "ci_release_push_role_arn",
        ),
    ],
)
def test_push_roles_split_staging_from_production(stacks, suffix, subject, prefix, output):
    """The builder (any branch) pushes the four staging repositories only; the releaser (the production
    folder's main-only job, after approval) the four production repositories only."""
    infra = stacks[INFRA]
    repositories = {
        f"${{aws_ecr_repository.{key}.arn}}": repo["name"]
        for key, repo in resources(infra, "aws_ecr_repository").items()
    }
    (key, role) = next((k, r) for k, r in resources(infra, "aws_iam_role").items() if r["name"].endswith(suffix))
    trust = json.loads(role["assume_role_policy"])["Statement"]
    (condition,) = [s["Condition"]["StringEquals"] for s in trust]
    assert subject in condition.values() and "sts.amazonaws.com" in condition.values()
    (policy,) = [json.loads(p["policy"]) for p in resources(infra, "aws_iam_role_policy").values() if key in p["role"]]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"RegistryLogin", "PushToPlatformRepositories"}
    assert by_sid["RegistryLogin"]["Action"] == "ecr:GetAuthorizationToken"
    push = by_sid["PushToPlatformRepositories"]
    assert {repositories[arn] for arn in push["Resource"]} == {r for r in REPOSITORIES if r.split("/")[0] == prefix}
    assert len(push["Resource"]) == 4
    assert {"ecr:PutImage", "ecr:CompleteLayerUpload"} <= set(push["Action"])
    assert not any(a.startswith(("ecr:Delete", "ecr:BatchDelete", "ecr:Set", "ecr:Create")) for a in push["Action"])
    assert all(s["Effect"] == "Allow" and "*" not in json.dumps(s["Action"]) for s in policy["Statement"])
    assert output in infra["output"]


def test_builder_account_carries_the_push_role(platform):
    (account,) = _objects(platform, "ServiceAccount", "jenkins-builder", "ci-builds")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("${data.terraform_remote_state.")
    assert account["automountServiceAccountToken"] is False


def test_deployer_updates_staging_and_only_reads_production(platform):
    roles = {r["metadata"]["namespace"]: r for r in _objects(platform, "Role", "ci-deployer")}
    assert set(roles) == {"staging", "production"}
    assert roles["staging"]["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "patch"]}
    ]
    # production: Argo CD applies the manifests; the pipeline may only watch the rollout
    assert roles["production"]["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}
    ]
    bindings = {b["metadata"]["namespace"]: b for b in _objects(platform, "RoleBinding", "ci-deployer")}
    deployer = {"kind": "ServiceAccount", "name": "jenkins-deployer", "namespace": "ci-builds"}
    assert bindings["staging"]["subjects"] == [deployer]
    releaser = {"kind": "ServiceAccount", "name": "jenkins-releaser", "namespace": "ci-release"}
    assert bindings["production"]["subjects"] == [deployer, releaser]
    assert all(b["roleRef"]["kind"] == "Role" for b in bindings.values())
    cluster_wide = _objects(platform, "ClusterRoleBinding")  # other components' (Filebeat's) are not CI's
    assert not [b for b in cluster_wide for s in b.get("subjects", []) if s.get("namespace") in ("ci", "ci-builds")]


# --- network policies, placement, standby ---------------------------------------------------------


def test_ci_namespaces_deny_by_default_and_allow_only_what_jenkins_needs(platform):
    for namespace in ("ci", "ci-builds", "ci-release"):
        names = {p["metadata"]["name"] for p in _objects(platform, "NetworkPolicy", namespace=namespace)}
        assert {"default-deny", "allow-dns"} <= names
    (controller,) = _objects(platform, "NetworkPolicy", "jenkins-controller", "ci")
    (rule,) = controller["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ci-builds"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ci-release"}}},
    ]
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
    for stage in ("Build", "Security Scan", "Push", "Deploy to Staging", "Integration Tests", "Deploy to Production"):
        assert f"stage('{stage}')" in text
    assert "inheritFrom 'tonebridge-build'" in text and "inheritFrom 'tonebridge-deploy'" in text
    # the scan obeys ci.agents.severities (the trivy container's TRIVY_SEVERITY / TRIVY_EXIT_CODE): no flag overrides it
    assert "trivy image --input image.tar" in text and "--severity" not in text and "--exit-code" not in text
    assert "privileged: true" not in text and "docker:dind" not in text
    # production is not reachable from a service's own pipeline: it starts the platform's release job
    assert "when { branch 'main' }" in text and "build job: '/production/release'" in text
    assert "manifests-repo-token" not in text and "tonebridge/${" not in text
    assert "--no-push" in text
    # The repository's own pipeline is still there, for the infrastructure.
    assert "stage('Synth')" in (PROJECT_ROOT / "Jenkinsfile").read_text()


# --- props checked early ------------------------------------------------------------------------


def _props(**overrides):
    from tonebridge.constructs.jenkins import JenkinsProps, VaultAccess
    from tonebridge.props.ci import CiSettings

    base = {
        "settings": CiSettings(enabled=True, deploy_namespaces=["staging"]),
        "kubernetes_version": "1.35",
        "builder_role_arn": "arn:aws:iam::111122223333:role/x",
        "release_role_arn": "arn:aws:iam::111122223333:role/r",
        "services": ["api-gateway"],
        "vault": VaultAccess("https://vault.vault.svc:8200", "/ca.crt"),
        "registry": "111122223333.dkr.ecr.us-west-2.amazonaws.com",
        "node_selector": {"workload": "management"},
    }
    return JenkinsProps(**{**base, **overrides})


def test_jenkins_props_are_checked_early():
    """The settings check themselves (a model built in code too); the construct checks only its wiring."""
    from tonebridge.constructs.ci_rbac import DeployAccessProps
    from tonebridge.constructs.ci_registry import ImagePushRoleProps
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.constructs.jenkins import vault_objects
    from tonebridge.props.ci import CiAgentSettings, CiControllerSettings, CiReleaseSettings, CiSettings

    _props()
    with pytest.raises(ValueError, match="must differ from namespace"):
        CiSettings(agents_namespace="ci")
    with pytest.raises(ValueError, match="release agents need a namespace of their own"):
        CiSettings(release=CiReleaseSettings(namespace="ci-builds"))
    with pytest.raises(ValueError, match="should match pattern"):
        CiControllerSettings(plugins={"git": "latest"})
    with pytest.raises(ValueError, match="management pool"):
        _props(node_selector={})
    with pytest.raises(ValueError, match="distinct accounts"):
        CiSettings(deployer_service_account="jenkins")
    with pytest.raises(ValueError, match="exact tag"):
        CiAgentSettings(kaniko_image="r.io/k:latest")
    with pytest.raises(ValueError, match="at least 1 item"):
        CiReleaseSettings(approvers=[])
    with pytest.raises(ValueError, match="must not contain quotes"):
        CiReleaseSettings(source_url="https://github.com/x'/{service}.git")
    # The controller's Vault files are built from the settings: every file JCasC reads is there.
    names = {o.object_name for o in vault_objects(CiSettings())}
    assert names == {
        "admin-username",
        "admin-password",
        "notification-webhook",
        "manifests-repo-token",
        "manifests-signing-key",
    }
    with pytest.raises(ValueError, match="must not live in a namespace it deploys to"):
        DeployAccessProps(service_account="d", namespace="staging", target_namespaces=["staging"])
    with pytest.raises(ValueError, match="at least one repository"):
        ImagePushRoleProps("r", IrsaProvider("arn", "issuer"), "ci-builds", "jenkins-builder", [])


#: The loader's exact line for each value the CI settings refuse by their field types (the construct
#: checked these too until its props became the settings; tests/construct_guards.py pins the others).
CI_SETTING_LINES = [
    (("agents", "severities"), [], "agents.severities: List should have at least 1 item after validation, not 0"),
    (
        ("test_targets",),
        [{"namespace": "staging", "service": "api-gateway", "port": 0}],
        "test_targets[0].port: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        ("namespace",),
        "CI",
        "namespace: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'CI')",
    ),
    (
        ("deployer_service_account",),
        "jenkins",
        "builder_service_account: controller, builder and deployer need distinct accounts",
    ),
    (
        ("controller", "plugins"),
        {"git": "latest"},
        "controller.plugins.git: String should match pattern '^[0-9][0-9A-Za-z._-]*$' (got 'latest')",
    ),
    (("agents", "max_agents"), 99, "agents.max_agents: Input should be less than or equal to 50 (got 99)"),
    (
        ("release", "folder"),
        "Prod",
        "release.folder: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got 'Prod')",
    ),
    (("release", "approvers"), [], "release.approvers: List should have at least 1 item after validation, not 0"),
    (("release", "branch"), 'ma"in', "release.branch: String should match pattern '^[A-Za-z0-9._/-]+$' (got 'ma\"in')"),
    (
        ("release", "source_url"),
        "https://github.com/x.git",
        "release.source_url: String should match pattern '^https://[^\\s{}]+\\{service\\}[^\\s{}]*$' "
        "(got 'https://github.com/x.git')",
    ),
]


@pytest.mark.parametrize(("path", "value", "line"), CI_SETTING_LINES, ids=[".".join(c[0]) for c in CI_SETTING_LINES])
def test_ci_setting_problems_are_lines_of_the_file(tmp_path, path, value, line):
    from tests.config_lines import loader_report

    report = loader_report(tmp_path, ("platform", "us-west-2", "ci", *path), value)
    assert f"production.yaml: platform.us-west-2.ci.{line}" in report, report


def test_release_job_choices_are_the_registries_services(tmp_path):
    from tests.config_lines import loader_report

    report = loader_report(tmp_path, ("registries", "services"), [])
    assert "production.yaml: registries.services: List should have at least 1 item after validation, not 0" in report


def test_management_placement_needs_the_pool():
    from tonebridge.props.pools import MANAGEMENT_POOL, pool_placement

    assert pool_placement(MANAGEMENT_POOL, [{"workload": "system"}]) is None
    selector, tolerations = pool_placement(MANAGEMENT_POOL, [{"workload": "management", "x": "y"}])
    assert selector == {"workload": "management"} and tolerations == [MANAGEMENT_TOLERATION]


def test_agent_pods_pass_the_kubernetes_schema_strictly(values):
    """The pod templates travel as strings inside the chart values, out of the stack-wide schema check."""
    from tools.kube_objects import validation_problems

    pods = [{**t["pod"], "metadata": {"name": name}} for name, t in _pods(values).items()]
    assert len(pods) == 3
    assert validation_problems(pods, "1.35") == []


# --- the one approved path to production ------------------------------------------------------------


def _release_template(values) -> dict:
    (cloud,) = values["additionalClouds"].values()
    documents = [yaml.safe_load(d) for d in cloud["agent"]["podTemplates"].values()]
    (template,) = [t[0] for t in documents if t]  # the main cloud's templates are blanked (comments)
    return {**template, "pod": json.loads(template["yaml"])}


def test_release_cloud_is_usage_restricted_and_the_only_one_with_the_release_agent(values):
    assert set(values["additionalClouds"]) == {"kubernetes-release"}
    agent = values["additionalClouds"]["kubernetes-release"]["agent"]
    assert agent["usageRestricted"] is True and agent["namespace"] == "ci-release"
    assert values["agent"].get("usageRestricted", False) is False  # staging stays self-service
    template = _release_template(values)
    assert template["name"] == template["label"] == "tonebridge-release"
    assert template["namespace"] == "ci-release" and template["serviceAccount"] == "jenkins-releaser"
    assert "tonebridge-release" not in _pods(values)  # the main cloud cannot start it
    spec = template["pod"]["spec"]
    assert spec["serviceAccountName"] == "jenkins-releaser" and spec["automountServiceAccountToken"] is False
    containers = {c["name"]: c for c in spec["containers"]}
    skipped = set(template["pod"]["metadata"]["annotations"]["eks.amazonaws.com/skip-containers"].split(","))
    assert set(containers) - skipped == {"registry-login"}  # the production push credential, nowhere else
    token = {c["name"] for c in spec["containers"] for m in c.get("volumeMounts", []) if m["name"] == "kube-api-access"}
    assert token == {"kubectl"}


def test_release_pod_passes_the_kubernetes_schema(values):
    from tools.kube_objects import validation_problems

    pod = {**_release_template(values)["pod"]}
    pod["metadata"] = {**pod["metadata"], "name": "tonebridge-release"}
    assert validation_problems([pod], "1.35") == []


def test_releaser_account_carries_the_production_push_role(platform):
    (account,) = _objects(platform, "ServiceAccount", "jenkins-releaser", "ci-release")
    role = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert "ci-release-push_role" in role
    assert account["automountServiceAccountToken"] is False
    (builder,) = _objects(platform, "ServiceAccount", "jenkins-builder", "ci-builds")
    assert "ci-image-push_role" in builder["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    (namespace,) = _objects(platform, "Namespace", "ci-release")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    (role_obj,) = _objects(platform, "Role", "jenkins-schedule-release-agents", "ci-release")
    assert {v for r in role_obj["rules"] for v in r["verbs"]} <= {"get", "list", "watch", "create", "delete", "patch"}


def _bindings_of(platform, account: str, namespace: str) -> list[dict]:
    return [
        b
        for b in _objects(platform, "RoleBinding") + _objects(platform, "ClusterRoleBinding")
        if any(
            s["kind"] == "ServiceAccount" and s["name"] == account and s.get("namespace") == namespace
            for s in b["subjects"]
        )
    ]


def test_release_cloud_launches_with_its_own_account_and_the_main_clouds_has_no_rights_there(platform, values):
    """The main cloud (any job) runs as the controller's account, which has no binding in ci-release:
    a pod template naming namespace ci-release through it is refused by the API server. The release
    cloud authenticates with the launcher account's token, whose only binding is in ci-release."""
    # the main cloud is the chart's: its scheduling RoleBinding goes to agent.namespace (ci-builds) only
    assert values["agent"]["namespace"] == "ci-builds" and values["serviceAccount"]["name"] == "jenkins"
    assert values.get("credentialsId") is None  # the main cloud: the controller's own in-cluster account
    in_release = [b for b in _objects(platform, "RoleBinding") if b["metadata"]["namespace"] == "ci-release"]
    assert in_release, "the release cloud needs its scheduling binding"
    subjects = {(s["kind"], s["name"], s.get("namespace")) for b in in_release for s in b["subjects"]}
    assert subjects == {("ServiceAccount", "jenkins-release-agent-launcher", "ci")}
    assert _bindings_of(platform, "jenkins", "ci") == []  # the controller: nothing besides the chart's ci-builds role
    launcher_bindings = _bindings_of(platform, "jenkins-release-agent-launcher", "ci")
    assert {b["metadata"]["namespace"] for b in launcher_bindings} == {"ci-release"}
    assert [b["kind"] for b in launcher_bindings] == ["RoleBinding"]  # no cluster-wide rights
    (role,) = _objects(platform, "Role", "jenkins-schedule-release-agents", "ci-release")
    assert {res for r in role["rules"] for res in r["resources"]} <= {"pods", "pods/exec", "pods/log", "events"}
    # the account: no pod runs as it (no automounted token); its token Secret, mounted by the controller only
    (account,) = _objects(platform, "ServiceAccount", "jenkins-release-agent-launcher", "ci")
    assert account["automountServiceAccountToken"] is False
    (token,) = _objects(platform, "Secret", "jenkins-release-agent-launcher-token", "ci")
    assert token["type"] == "kubernetes.io/service-account-token"
    assert token["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "jenkins-release-agent-launcher"}
    assert "data" not in token and "stringData" not in token  # the token controller fills it, never code
    (volume,) = [v for v in values["persistence"]["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == "jenkins-release-agent-launcher-token"
    assert volume["secret"]["items"] == [{"key": "token", "path": "token"}] and volume["secret"]["defaultMode"] == 0o440
    for template in _pods(values).values():  # no agent pod of the main cloud mounts or names it
        assert "jenkins-release-agent-launcher" not in json.dumps(template)


def test_release_credential_is_system_scoped_and_only_the_release_cloud_names_it(values):
    system = yaml.safe_load(values["controller"]["JCasC"]["configScripts"]["credentials"])
    (domain,) = system["credentials"]["system"]["domainCredentials"]
    by_id = {c["string"]["id"]: c["string"] for c in domain["credentials"]}
    launcher = by_id["kubernetes-release-launcher"]
    assert launcher["scope"] == "SYSTEM"  # folder and job credential lookups never see SYSTEM credentials
    # Terraform renders $${ as ${: JCasC reads the token file the controller mounts.
    assert launcher["secret"] == "$${readFile:/run/secrets/jenkins-release-launcher/token}"  # noqa: S105 - a file reference
    mounts = {m["name"]: m for m in values["persistence"]["mounts"]}
    assert mounts["release-launcher"] == {
        "name": "release-launcher",
        "mountPath": "/run/secrets/jenkins-release-launcher",
        "readOnly": True,
    }
    assert all(c["scope"] == "GLOBAL" for i, c in by_id.items() if i != "kubernetes-release-launcher")
    clouds = {name: cloud.get("credentialsId") for name, cloud in values["additionalClouds"].items()}
    assert clouds == {"kubernetes-release": "kubernetes-release-launcher"}
    rest = {k: v for k, v in values.items() if k != "additionalClouds"}
    assert "kubernetes-release-launcher" not in json.dumps(rest["controller"]["JCasC"]["configScripts"]["release-jobs"])
    assert rest.get("credentialsId") is None  # the main cloud does not use it
    # nothing but the credentials document names it (no job, folder or pod template)
    text = json.dumps(rest)
    assert text.count("kubernetes-release-launcher") == 1


def test_authorization_is_a_matrix_with_no_blanket_rights(values):
    strategy = yaml.safe_load(values["controller"]["JCasC"]["authorizationStrategy"])
    assert set(strategy) == {"projectMatrix"}
    entries = strategy["projectMatrix"]["entries"]
    (admin,) = [e["user"] for e in entries if "user" in e]
    assert admin["permissions"] == ["Overall/Administer"] and "admin-username" in admin["name"]
    (everyone,) = [e["group"] for e in entries if "group" in e]
    assert everyone["name"] == "authenticated" and "Overall/Administer" not in everyone["permissions"]
    assert "Credentials/View" not in everyone["permissions"]


def _jobs(values) -> str:
    (job,) = yaml.safe_load(values["controller"]["JCasC"]["configScripts"]["release-jobs"])["jobs"]
    return job["script"]


def test_only_the_release_folder_may_use_the_release_cloud_and_holds_the_manifests_credential(values):
    """A job outside the production folder (any branch of any service) cannot get the production
    credential: the cloud that carries it is permitted in that folder alone, and the manifests token
    and signing key are that folder's credentials, not global ones."""
    script = _jobs(values)
    assert script.count("permittedClouds(") == 1
    assert "folder('production') {" in script and "permittedClouds(['kubernetes-release'])" in script
    assert "inheritanceStrategy { nonInheriting() }" in script  # developers' rights stop at the folder
    assert (
        "group { name('tonebridge-release-approvers'); "
        "permissions(['Job/Build', 'Job/Cancel', 'Job/Read', 'Job/Discover']) }" in script
    )
    assert "Job/Configure" not in script and "Run/Replay" not in script
    assert "id('manifests-repo-token')" in script and "id('manifests-signing-key')" in script
    system = values["controller"]["JCasC"]["configScripts"]["credentials"]
    assert "manifests-repo-token" not in system and "manifests-signing-key" not in system
    # the main cloud's pod templates carry no production credential
    for template in _pods(values).values():
        assert template["serviceAccount"] != "jenkins-releaser"


def test_release_job_builds_main_only_and_waits_for_the_named_approvers(values):
    script = _jobs(values)
    assert "pipelineJob('production/release')" in script and "sandbox(true)" in script
    assert "branches: [[name: 'refs/heads/main']]" in script
    assert "git merge-base --is-ancestor" in script  # a given commit must already be on main
    assert "submitter: 'tonebridge-release-approvers'" in script
    assert "agent { label 'tonebridge-release' }" in script
    # JCasC resolves ${...}: the pipeline's own are escaped; only the Vault reads stay JCasC's
    unescaped = re.findall(r"(?<!\^)\$\{([^}]*)\}", script.replace("$${", "${"))
    assert unescaped and all(u.startswith(("readFile:", "readFileBase64:")) for u in unescaped)


def test_release_job_script_reads_back_as_the_platform_pipeline(values):
    """JCasC turns ``^${`` into ``${`` and Job DSL's Groovy string undoes the backslash and quote escapes:
    what runs is exactly pipelines/release/Jenkinsfile with the release path's values."""
    script = _jobs(values).replace("$${", "${")  # Terraform's own escape in the synthesized JSON
    body = script.split("script('''", 1)[1].rsplit("''')", 1)[0]
    groovy = re.sub(r"\\(.)", lambda m: m.group(1), body.replace("^${", "${"), flags=re.DOTALL)
    text = (PROJECT_ROOT / "pipelines" / "release" / "Jenkinsfile").read_text()
    services = "'api-gateway', 'llm-service', 'auth-service', 'analytics-service'"
    for placeholder, value in {
        "@SERVICES@": services,
        "@BRANCH@": "main",
        "@SOURCE_URL@": "https://github.com/tonebridge/{service}.git",
        "@APPROVERS@": "tonebridge-release-approvers",
        "@MANIFESTS_REPO@": "github.com/tonebridge/k8s-manifests.git",
        "@PRODUCTION_NAMESPACE@": "production",
    }.items():
        text = text.replace(placeholder, value)
    assert groovy == text


def _release_groovy(values) -> str:
    """The release pipeline as Jenkins runs it (JCasC and Job DSL escapes undone, as in the round trip above)."""
    script = _jobs(values).replace("$${", "${")
    body = script.split("script('''", 1)[1].rsplit("''')", 1)[0]
    return re.sub(r"\\(.)", lambda m: m.group(1), body.replace("^${", "${"), flags=re.DOTALL)


def test_release_job_writes_the_pushed_digest_never_a_tag(values):
    """Production's manifests name the image by the digest the registry serves for the pushed tag, checked
    against the scanned tarball; the tag never reaches the manifests (production's namespace admits only
    digests: tonebridge/constructs/image_digest.py)."""
    groovy = _release_groovy(values)
    push = groovy.split("stage('Push')", 1)[1].split("stage('Deploy to Production')", 1)[0]
    deploy = groovy.split("stage('Deploy to Production')", 1)[1]
    assert push.index('crane push image.tar "${IMAGE}"') < push.index("crane digest --tarball image.tar > image.digest")
    assert '[ "$(crane digest "${IMAGE}")" = "$(cat image.digest)" ]' in push
    assert "grep -Eqx 'sha256:[0-9a-f]{64}' image.digest" in push
    assert """env.RELEASED = "${env.REPOSITORY}@${readFile('image.digest').trim()}\"""" in push
    assert re.findall(r"kustomize edit set image (\S+)", groovy) == ['"${SERVICE}=${RELEASED}"\'']
    assert "${IMAGE}" not in deploy and "${TAG}," in deploy  # the tag only in the commit message, for people
    assert deploy.count('[ "${current}" = "${RELEASED}" ]') == 2


def test_production_repositories_keep_their_tags_immutable(stacks):
    """A digest names one image; immutable tags keep the tag the release job pushed pointing at it too."""
    seen = 0
    for name, stack in stacks.items():
        for repo in resources(stack, "aws_ecr_repository").values():
            assert repo["image_tag_mutability"] == "IMMUTABLE", (name, repo["name"])
            seen += name.startswith("production-") and repo["name"].startswith("tonebridge/")
    assert seen >= 4  # the four services' production repositories (tonebridge/<service>) at least


# --- the feature and the construct alone, with settings the environment files do not use -----------------


def _fake_registries():
    """What add_ci_push_roles reads of ContainerRegistries: repository ARNs by name, the registry id."""
    from types import SimpleNamespace

    arn = "arn:aws:ecr:us-west-2:111122223333:repository/"
    names = ["ship/web", "ship/audio", "try/web", "try/audio", "shipyard/web"]
    return SimpleNamespace(
        repository_arns={name: arn + name for name in names},
        repositories={name: SimpleNamespace(registry_id="111122223333") for name in names},
    )


def test_push_roles_follow_the_settings_accounts_and_the_registries_prefixes():
    from types import SimpleNamespace

    from tests.construct_harness import synth_alone
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.features.ci import add_ci_push_roles
    from tonebridge.props.ci import CiReleaseSettings, CiSettings

    settings = CiSettings(
        enabled=True,
        agents_namespace="builds",
        builder_service_account="kaniko",
        release=CiReleaseSettings(namespace="rel", service_account="shipper"),
    )
    names = SimpleNamespace(production_prefix="ship", staging_prefix="try", services=["web", "audio"])
    cluster = SimpleNamespace(
        irsa=IrsaProvider(
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
            "oidc.eks.us-west-2.amazonaws.com/id/ABC",
        )
    )
    found = {}

    def build(stack):
        found["roles"] = add_ci_push_roles(stack, settings, _fake_registries(), names, cluster, "tb-unit", "us-west-2")
        assert add_ci_push_roles(stack, CiSettings(), _fake_registries(), names, cluster, "x", "us-west-2") is None
        assert add_ci_push_roles(stack, settings, None, names, cluster, "x", "us-west-2") is None

    out = synth_alone(build, key_access=False)
    roles = found["roles"]
    assert roles.registry == "111122223333.dkr.ecr.us-west-2.amazonaws.com"
    assert roles.services == ("web", "audio")
    by_name = {r["name"]: r for r in resources(out, "aws_iam_role").values()}
    assert set(by_name) == {"tb-unit-ci-image-push", "tb-unit-ci-release-push"}
    subjects = {
        name: json.loads(role["assume_role_policy"])["Statement"][0]["Condition"]["StringEquals"][
            "oidc.eks.us-west-2.amazonaws.com/id/ABC:sub"
        ]
        for name, role in by_name.items()
    }
    assert subjects == {
        "tb-unit-ci-image-push": "system:serviceaccount:builds:kaniko",
        "tb-unit-ci-release-push": "system:serviceaccount:rel:shipper",
    }
    pushed = {
        json.dumps(p["policy"]): [s for s in json.loads(p["policy"])["Statement"] if s["Sid"] != "RegistryLogin"]
        for p in resources(out, "aws_iam_role_policy").values()
    }
    targets = sorted(tuple(sorted(s["Resource"])) for (s,) in pushed.values())
    arn = "arn:aws:ecr:us-west-2:111122223333:repository/"
    # "shipyard/" is not under the "ship/" prefix: neither role may push there.
    assert targets == [(arn + "ship/audio", arn + "ship/web"), (arn + "try/audio", arn + "try/web")]


def test_jenkins_alone_with_its_own_names_one_deploy_namespace_and_a_custom_test_target():
    from tests.construct_harness import helm_values, manifests, synth_alone
    from tonebridge.constructs.jenkins import Jenkins
    from tonebridge.props.ci import CiAgentSettings, CiReleaseSettings, CiSettings, CiTestTarget

    settings = CiSettings(
        enabled=True,
        namespace="ctl",
        agents_namespace="builds",
        deploy_namespaces=["staging"],
        test_targets=[CiTestTarget(namespace="staging", service="web", port=9000)],
        agents=CiAgentSettings(max_agents=3, severities=["CRITICAL"]),
        release=CiReleaseSettings(namespace="rel", folder="ship", approvers=["leads", "sre"], max_agents=1),
    )
    out = synth_alone(
        lambda stack: Jenkins(stack, "jenkins", _props(settings=settings)), providers=("kubernetes", "helm")
    )
    found = manifests(out)
    levels = {
        name: found[("Namespace", name)]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for name in ("ctl", "builds", "rel")
    }
    assert levels == {"ctl": "restricted", "builds": "baseline", "rel": "baseline"}
    # One deploy namespace, not production: the deployer may patch there and nowhere read-only.
    (role,) = [o for (kind, _), o in found.items() if kind == "Role" and o["metadata"]["name"] == "ci-deployer"]
    assert role["metadata"]["namespace"] == "staging" and "patch" in role["rules"][0]["verbs"]
    (target,) = [
        o for (kind, name), o in found.items() if (kind, name) == ("NetworkPolicy", "allow-ci-integration-tests")
    ]
    assert target["metadata"]["namespace"] == "staging"
    assert target["spec"]["podSelector"] == {"matchLabels": {"app": "web"}}
    assert target["spec"]["ingress"][0]["ports"][0]["port"] == 9000
    values = helm_values(out, "jenkins")
    assert values["agent"]["namespace"] == "builds" and values["agent"]["containerCap"] == 3
    (cloud,) = values["additionalClouds"].values()
    assert cloud["agent"]["namespace"] == "rel" and cloud["agent"]["containerCap"] == 1
    build = json.loads(yaml.safe_load(values["agent"]["podTemplates"]["tonebridge-build"])[0]["yaml"])
    (trivy,) = [c for c in build["spec"]["containers"] if c["name"] == "trivy"]
    assert {"name": "TRIVY_SEVERITY", "value": "CRITICAL"} in trivy["env"]
    jobs = values["controller"]["JCasC"]["configScripts"]["release-jobs"]
    assert "folder('ship')" in jobs and "pipelineJob('ship/release')" in jobs
    assert "group { name('leads')" in jobs and "group { name('sre')" in jobs


def test_ci_feature_is_off_without_settings_and_refuses_to_run_without_its_wiring():
    from tests.construct_harness import bare_stack
    from tonebridge.features.ci import add_ci, ci_vault_role
    from tonebridge.props.ci import CiSettings

    stack = bare_stack(("kubernetes", "helm"))
    off = CiSettings()
    assert add_ci(stack, off, None, None, None, None, [], "1.35") is None
    assert ci_vault_role(off) is None
    with pytest.raises(ValueError, match="image-push roles"):
        add_ci(stack, CiSettings(enabled=True), None, None, None, None, [], "1.35")
    role = ci_vault_role(CiSettings(enabled=True, namespace="ctl", service_account="ctl-sa"))
    assert (role.role, role.service_account, role.namespace) == ("jenkins", "ctl-sa", "ctl")
    assert role.paths == (
        "secret/data/jenkins/admin",
        "secret/data/jenkins/manifests-repo",
        "secret/data/jenkins/notifications",
    )


def test_the_infrastructure_pipeline_names_the_deploy_principal_ci_must_act_as(environments):
    """The state bucket, its lock table and every key deny principals they do not name: the role the operator
    pipeline tells CI to assume must be a deploy principal of every environment it deploys, and no other
    IAM role may be presented as CI's."""
    import re

    text = (PROJECT_ROOT / "Jenkinsfile").read_text()
    named = set(re.findall(r"\brole/[\w+=.@-]*\w", text))
    assert named, "the Jenkinsfile must say which deploy principal CI acts as"
    for env in (e for e in environments.values() if e.name != "local"):
        assert named <= set(env.security.deploy_principals), (env.name, named)
    assert "is an IAM role" not in text  # a Jenkins credential's name is not a role of the account


def test_every_non_root_container_of_an_agent_pod_runs_as_the_agent_user(values):
    """The agent (jnlp) creates the workspace and the step control files as its own user (0755/0644); a step
    in another container writes there (reports, the digest file, kustomization.yaml, its pid and log), so
    every non-root container runs as the same uid and gid (Kaniko alone is root, with DAC_OVERRIDE)."""
    templates = [*_pods(values).values(), _release_template(values)]
    for template in templates:
        spec = template["pod"]["spec"]
        (jnlp,) = [c for c in spec["containers"] if c["name"] == "jnlp"]
        user = (jnlp["securityContext"]["runAsUser"], jnlp["securityContext"]["runAsGroup"])
        assert spec["securityContext"]["fsGroup"] == user[1]
        for container in spec["containers"]:
            context = container["securityContext"]
            if context.get("runAsUser") != 0:
                assert (context["runAsUser"], context["runAsGroup"]) == user, (template["name"], container["name"])


def test_the_release_commit_is_signed_in_a_container_that_has_gpg(values):
    """`gpg` and the signed `git commit` run in the signer container (Argo CD's image installs git, gpg and
    gpg-agent); the inbound agent's image (jenkins/inbound-agent, Debian slim) has git but no gpg."""
    text = (PROJECT_ROOT / "pipelines" / "release" / "Jenkinsfile").read_text()
    signing = text[text.index("container('signer')") :]
    assert signing.index("gpg --batch --import") < signing.index("} }")  # inside the signer container block
    assert text.count("gpg ") == signing[: signing.index("} }")].count("gpg ")  # no gpg call anywhere else
    containers = {c["name"]: c for c in _release_template(values)["pod"]["spec"]["containers"]}
    assert containers["signer"]["image"].startswith("quay.io/argoproj/argocd:")
    assert containers["signer"]["env"] == [{"name": "HOME", "value": "/tmp"}]  # gpg's home on the emptyDir

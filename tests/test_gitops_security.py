"""Argo CD signs people in through OIDC, keeps its local admin off after the bootstrap, and lets Git
create only workload kinds, from signed commits (issue 19), read on the synthesized production JSON."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import resources

PLATFORM = "production-us-west-2-platform"


def _release_values(stack: dict, name: str) -> dict:
    (release,) = [r for r in resources(stack, "helm_release").values() if r["name"] == name]
    return json.loads(release["values"][0])


@pytest.fixture(scope="module")
def argocd(stacks):
    return _release_values(stacks[PLATFORM], "argocd")


def test_sso_from_configuration_and_no_local_admin(argocd):
    cm = argocd["configs"]["cm"]
    assert cm["admin.enabled"] is False and cm["users.anonymous.enabled"] is False
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc["issuer"] == "https://sso.tonebridge.io" and oidc["clientID"] == "argocd-production"
    assert oidc["clientSecret"] == "$argocd-oidc:client-secret"  # a reference, never the secret itself
    assert argocd["dex"]["enabled"] is False
    rbac = argocd["configs"]["rbac"]
    assert rbac["policy.default"] == ""  # no role for anyone the IdP's groups do not name
    assert rbac["policy.csv"].splitlines() == [
        "g, tonebridge-platform-admins, role:admin",
        "g, tonebridge-engineers, role:readonly",
    ]


def test_oidc_client_secret_comes_from_vault_through_the_operator(stacks):
    platform = stacks[PLATFORM]
    objects = _release_values(platform, "argocd-sso")["resources"]
    (static,) = [o for o in objects if o["kind"] == "VaultStaticSecret"]
    assert static["spec"]["path"] == "argocd/oidc" and static["spec"]["mount"] == "secret"
    assert static["spec"]["destination"]["name"] == "argocd-oidc"
    assert static["spec"]["destination"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    (auth,) = [o for o in objects if o["kind"] == "VaultAuth"]
    assert auth["spec"]["kubernetes"]["role"] == "argocd" and auth["metadata"]["namespace"] == "argocd"
    (config_map,) = [
        o
        for r in resources(platform, "kubernetes_manifest").values()
        for o in [r["manifest"]]
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "vault-bootstrap"
    ]
    script = config_map["data"]["bootstrap.sh"]
    (line,) = [line for line in script.splitlines() if "auth/kubernetes/role/argocd " in line]
    assert "bound_service_account_names=argocd-vault " in line and "bound_service_account_namespaces=argocd " in line


def test_app_project_lets_git_create_workload_kinds_only(stacks):
    objects = _release_values(stacks[PLATFORM], "argocd-applications")["resources"]
    (project,) = [o for o in objects if o["kind"] == "AppProject"]
    spec = project["spec"]
    allowed = {k["kind"] for k in spec["namespaceResourceWhitelist"]}
    assert allowed == {
        "Deployment",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "VirtualService",
        "DestinationRule",
    }
    assert not allowed & {"Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert spec["clusterResourceWhitelist"] == []


def test_signature_keys_and_admin_switch_reach_the_project():
    from tonebridge.constructs.argocd import ArgoApplicationSpec, ArgoCdProps, ArgoSso, app_project

    app = ArgoApplicationSpec(
        "app", "https://github.com/tonebridge/k8s-manifests", "main", "environments/p", "production"
    )
    sso = ArgoSso(issuer="https://sso.example", client_id="argocd")
    props = ArgoCdProps(kubernetes_version="1.35", applications=[app], sso=sso, signature_keys=["0123456789ABCDEF"])
    assert app_project(props)["spec"]["signatureKeys"] == [{"keyID": "0123456789ABCDEF"}]
    assert props.local_admin is False  # off by default once SSO is configured
    assert ArgoCdProps(kubernetes_version="1.35", applications=[app], sso=sso, admin_enabled=True).local_admin
    with pytest.raises(ValueError, match="needs sso"):
        ArgoCdProps(kubernetes_version="1.35", applications=[app], admin_enabled=False)
    with pytest.raises(ValueError, match="no RBAC objects"):
        ArgoCdProps(kubernetes_version="1.35", applications=[app], synced_kinds=[{"group": "", "kind": "Secret"}])


def test_configuration_refuses_rbac_and_secrets_from_git():
    from pydantic import ValidationError

    from tonebridge.config.platform_mesh import ArgoCdConfig

    with pytest.raises(ValidationError, match="may not come from Git"):
        ArgoCdConfig(synced_kinds=[{"group": "rbac.authorization.k8s.io", "kind": "RoleBinding"}])
    with pytest.raises(ValidationError):
        ArgoCdConfig(signature_keys=["not-a-key"])


# --- platform namespaces: default deny, the declared flows and nothing else -------------------------


@pytest.mark.parametrize("namespace", ["argocd", "vault", "logging"])
def test_platform_namespaces_deny_by_default_and_admit_their_declared_flows(stacks, namespace):
    from tonebridge.flows import flows_of

    platform = stacks[PLATFORM]
    policies = {
        o["metadata"]["name"]: o
        for r in resources(platform, "kubernetes_manifest").values()
        for o in [r["manifest"]]
        if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace
    }
    deny = policies.pop("default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert "allow-dns" in policies
    declared = [f for f in flows_of(platform) if namespace in (f.source.namespace, f.destination.namespace)]
    inbound = {(f.destination.name, f.port) for f in declared if f.destination.namespace == namespace}
    # every ingress rule admits a declared flow's port, and every declared inbound flow has its policy
    admitted = {
        (name, p["port"])
        for name, policy in policies.items()
        for rule in policy["spec"].get("ingress", [])
        for p in rule["ports"]
    }
    assert {port for _, port in admitted} == {port for _, port in inbound}
    assert all(name.startswith(("in-", "out-", "allow-dns")) for name in policies)


def test_flow_policies_admit_exactly_the_flows():
    from tonebridge.constructs.flow_policies import flow_policies
    from tonebridge.flows import Endpoint, Flow

    server = Endpoint("s", namespace="a", pod_labels={"app": "s"})
    client = Endpoint("c", namespace="b", pod_labels={"app": "c"})
    (ingress,) = flow_policies("a", [Flow(client, server, 8200, "api")])
    assert ingress["spec"]["podSelector"] == {"matchLabels": {"app": "s"}}
    assert ingress["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = ingress["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8200}]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}},
            "podSelector": {"matchLabels": {"app": "c"}},
        }
    ]
    assert flow_policies("c", [Flow(client, server, 8200, "api")]) == []  # neither end there: nothing

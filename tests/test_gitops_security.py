"""Argo CD signs people in through OIDC, keeps its local admin off after the bootstrap, and lets Git
create only workload kinds, from signed commits (issue 19), read on the synthesized production JSON."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from tests.config_lines import loader_report
from tests.conftest import resources
from tonebridge.config.loader import load_environment
from tonebridge.config.models import EnvironmentConfig
from tonebridge.openpgp import OpenPgpError, read_public_key
from tonebridge.paths import PROJECT_ROOT

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


RELEASE_KEY = PROJECT_ROOT / "keys" / "release-signing" / "9A93E1709435349D.asc"


def test_production_syncs_only_commits_signed_by_the_configured_keys(stacks, argocd):
    """AppProject signatureKeys = the configured IDs; the keyring (argocd-gpg-keys-cm) holds exactly
    their public keys, each under its ID; GnuPG is switched on in every component."""
    config = load_environment(PROJECT_ROOT / "environments" / "production.yaml").platform["us-west-2"].argocd
    configured = [key.key_id for key in config.signature_keys]
    assert configured == ["9A93E1709435349D"]
    objects = _release_values(stacks[PLATFORM], "argocd-applications")["resources"]
    (project,) = [o for o in objects if o["kind"] == "AppProject"]
    assert [k["keyID"] for k in project["spec"]["signatureKeys"]] == configured
    keyring = argocd["configs"]["gpg"]["keys"]
    assert sorted(keyring) == sorted(configured)
    for key_id, armored in keyring.items():
        assert read_public_key(armored).key_id == key_id  # the ID is the key's own, not a label
        assert "PRIVATE" not in armored
    assert keyring["9A93E1709435349D"] == RELEASE_KEY.read_text()
    assert {"name": "ARGOCD_GPG_ENABLED", "value": "true"} in argocd["global"]["env"]
    for component in ("server", "repoServer", "controller", "applicationSet"):  # nothing turns it off again
        assert all(e["name"] != "ARGOCD_GPG_ENABLED" for e in argocd[component].get("env", []))


def test_the_committed_release_key_is_public_and_its_id_is_derived_from_it():
    text = RELEASE_KEY.read_text()
    key = read_public_key(text)
    assert key.key_id == RELEASE_KEY.stem and key.fingerprint.endswith(key.key_id) and key.subkey_ids == ()
    with pytest.raises(OpenPgpError, match="PRIVATE"):
        read_public_key(text.replace("PUBLIC KEY BLOCK", "PRIVATE KEY BLOCK"))
    lines = text.splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("mD"))
    lines[body] = lines[body][:10] + ("A" if lines[body][10] != "A" else "B") + lines[body][11:]
    with pytest.raises(OpenPgpError, match="checksum"):
        read_public_key("\n".join(lines))
    with pytest.raises(OpenPgpError, match="not an armored public key"):
        read_public_key("ssh-ed25519 AAAA...")
    # every key file in the repository is a public key whose file name is its ID
    for path in (PROJECT_ROOT / "keys").rglob("*"):
        if path.is_file():
            assert path.suffix == ".asc" and read_public_key(path.read_text()).key_id == path.stem, path


def test_signature_keys_and_admin_switch_reach_the_project():
    from pydantic import ValidationError

    from tonebridge.constructs.argocd import ArgoSignatureKey, app_project, gpg_keys, local_admin
    from tonebridge.props.argocd import ArgoApplicationSettings, ArgoCdSettings, ArgoSsoSettings

    app = ArgoApplicationSettings(
        name="app",
        repo_url="https://github.com/tonebridge/k8s-manifests",
        path="environments/p",
        namespace="production",
    )
    sso = ArgoSsoSettings(issuer="https://sso.example", client_id="argocd")
    settings = ArgoCdSettings(application=app, sso=sso)
    key = ArgoSignatureKey("9A93E1709435349D", RELEASE_KEY.read_text())
    assert app_project(settings, [app], [key])["spec"]["signatureKeys"] == [{"keyID": "9A93E1709435349D"}]
    assert gpg_keys([key]) == {"9A93E1709435349D": RELEASE_KEY.read_text()}
    # Keys wherever production is synced: a configuration rule (config/signature_rules.py), checked once on
    # load (test_production_without_signature_keys_is_refused_and_staging_is_not).
    with pytest.raises(ValueError, match="holds 9A93E1709435349D"):
        ArgoSignatureKey("0123456789ABCDEF", RELEASE_KEY.read_text())
    # not production (staging stays self-service): no keys, no signatureKeys, an empty keyring
    assert "signatureKeys" not in app_project(settings, [app])["spec"] and gpg_keys([]) == {}
    assert local_admin(settings) is False  # off by default once SSO is configured
    assert local_admin(ArgoCdSettings(sso=sso.model_copy(update={"admin_enabled": True})))
    # admin_enabled is a field of sso: without sso nobody could switch the local admin off (the bootstrap).
    assert local_admin(ArgoCdSettings()) is True
    with pytest.raises(ValidationError, match="may not come from Git"):
        ArgoCdSettings(synced_kinds=[{"group": "", "kind": "Secret"}])


def _problems(mutate) -> list[str]:
    from tonebridge.config.errors import format_path
    from tonebridge.config.semantics import check_environment

    doc = copy.deepcopy(yaml.safe_load((PROJECT_ROOT / "environments" / "production.yaml").read_text()))
    mutate(doc["platform"]["us-west-2"])
    cfg = EnvironmentConfig.model_validate(doc)
    return [f"{format_path(p.path)}: {p.reason}" for p in check_environment(cfg, "production")]


def test_production_without_signature_keys_is_refused_and_staging_is_not():
    at = "platform.us-west-2.argocd.signature_keys"
    refused = _problems(lambda p: p["argocd"].__setitem__("signature_keys", []))
    assert [line for line in refused if line.startswith(at)] == [
        f"{at}: Argo CD syncs the production namespace 'production': name the release signing key "
        "(key_id, public_key file); unsigned commits must never be synced"
    ]

    def to_staging(platform: dict) -> None:  # an Argo CD that syncs the staging namespace needs no keys
        platform["argocd"]["signature_keys"] = []
        platform["argocd"]["application"] = {"name": "tonebridge-staging", "namespace": "staging"}

    assert not [line for line in _problems(to_staging) if line.startswith(at)]

    def wrong_id(platform: dict) -> None:
        platform["argocd"]["signature_keys"][0]["key_id"] = "0123456789ABCDEF"

    assert [line for line in _problems(wrong_id) if line.startswith(at)] == [
        f"{at}[0].key_id: 0123456789ABCDEF is not a key in keys/release-signing/9A93E1709435349D.asc "
        "(it holds 9A93E1709435349D)"
    ]

    def outside(platform: dict) -> None:
        platform["argocd"]["signature_keys"][0]["public_key"] = "../outside.asc"

    assert [line for line in _problems(outside) if line.startswith(at)] == [
        f"{at}[0].public_key: ../outside.asc is outside the repository"
    ]


#: What the Argo CD construct's props once checked themselves and the configuration checks once now
#: (props/argocd.py field rules, config/guard_rules.py, config/signature_rules.py): the lines
#: tests/construct_guards.py pinned for those checks, as the loader reports them.
ARGO_LINES = [
    (
        ("application", "namespace"),
        "Production",
        "application.namespace: 'Production' is not a DNS label (lowercase letters, digits and '-', at most 63)",
    ),
    (
        ("application", "repo_url"),
        "http://github.com/tonebridge/k8s-manifests",
        "application.repo_url: String should match pattern '^https://' (got 'http://github.com/tonebridge/k8s-manifests')",
    ),
    (
        ("application", "path"),
        "../environments",
        "application.path: '../environments' must be relative inside the repository",
    ),
    (
        ("application", "backoff_duration"),
        "5 seconds",
        "application.backoff_duration: String should match pattern '^\\d+[smh]$' (got '5 seconds')",
    ),
    (
        ("application", "backoff_factor"),
        0,
        "application.backoff_factor: Input should be greater than or equal to 1 (got 0)",
    ),
    (("application", "sync_options"), ["Validate"], "application.sync_options[0]: 'Validate' is not Key=value"),
    (
        ("synced_kinds",),
        [{"group": "", "kind": "Secret"}],
        "synced_kinds[0]: Secret may not come from Git (RBAC, secrets, identities, platform policy)",
    ),
    (
        ("project",),
        "Tone_Bridge",
        "project: 'Tone_Bridge' is not a DNS label (lowercase letters, digits and '-', at most 63)",
    ),
    (("project",), "default", "project: 'default' allows any repository and destination; name a project"),
    (("server_replicas",), 0, "server_replicas: Input should be greater than or equal to 1 (got 0)"),
    (
        ("signature_keys",),
        [],
        "signature_keys: Argo CD syncs the production namespace 'production': name the release signing key "
        "(key_id, public_key file); unsigned commits must never be synced",
    ),
    (
        ("sso", "issuer"),
        "http://sso.tonebridge.io",
        "sso.issuer: String should match pattern '^https://[A-Za-z0-9.-]+(:\\d+)?(/[A-Za-z0-9._~/-]*)?$' "
        "(got 'http://sso.tonebridge.io')",
    ),
    (
        ("sso", "admin_groups"),
        ["a,b"],
        "sso.admin_groups[0]: String should match pattern '^[^,\\\"'\\n]+$' (got 'a,b')",
    ),
]


@pytest.mark.parametrize(("path", "value", "line"), ARGO_LINES, ids=[".".join(c[0]) for c in ARGO_LINES])
def test_argocd_settings_problems_are_lines_of_the_file(tmp_path, path, value, line):
    report = loader_report(tmp_path, ("platform", "us-west-2", "argocd", *path), value)
    assert f"platform.us-west-2.argocd.{line}" in report, report


def test_configuration_refuses_rbac_and_secrets_from_git():
    from pydantic import ValidationError

    from tonebridge.config.platform_mesh import ArgoCdConfig

    with pytest.raises(ValidationError, match="may not come from Git"):
        ArgoCdConfig(synced_kinds=[{"group": "rbac.authorization.k8s.io", "kind": "RoleBinding"}])
    with pytest.raises(ValidationError):
        ArgoCdConfig(signature_keys=["9A93E1709435349D"])  # an ID alone: the public key file is required
    with pytest.raises(ValidationError):
        ArgoCdConfig(signature_keys=[{"key_id": "9a93e1709435349d", "public_key": "k.asc", "holder": "x"}])


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

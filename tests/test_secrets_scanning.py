"""Spec §8.2 (Vault, the CSI path, the operator) and §5.2 (Trivy) in the synthesized production
us-west-2 stacks, and the early checks of the constructs' props."""

from __future__ import annotations

import json

import pytest

from tests.config_lines import loader_report
from tests.conftest import resources

PLATFORM = "production-us-west-2-platform"
INFRA = "production-us-west-2"

SPEC_OBJECTS = (
    '- objectName: "database-password"\n'
    '  secretPath: "secret/data/database"\n'
    '  secretKey: "password"\n'
    '- objectName: "jwt-secret"\n'
    '  secretPath: "secret/data/jwt"\n'
    '  secretKey: "secret"\n'
    '- objectName: "openai-api-key"\n'
    '  secretPath: "secret/data/openai"\n'
    '  secretKey: "api-key"\n'
)


def _objects(stacks, kind, name=None):
    from tools.kube_objects import objects_of

    found = [o for o in objects_of(stacks[PLATFORM]) if o["kind"] == kind]
    return [o for o in found if name is None or o["metadata"]["name"] == name]


def _release(stacks, name):
    (release,) = [r for r in resources(stacks[PLATFORM], "helm_release").values() if r["name"] == name]
    return release, json.loads(release["values"][0])


def test_secret_provider_class_is_the_specs(stacks):
    (spc,) = _objects(stacks, "SecretProviderClass", "vault-secrets")
    assert spc["apiVersion"] == "secrets-store.csi.x-k8s.io/v1"
    assert spc["metadata"]["namespace"] == "production"
    assert spc["spec"]["provider"] == "vault"
    params = spc["spec"]["parameters"]
    assert params["roleName"] == "tonebridge"
    assert params["objects"] == SPEC_OBJECTS
    assert params["vaultAddress"] == "https://vault.vault.svc:8200"  # spec: http://vault:8200 (docs/spec-map.md)
    assert params["vaultCACertPath"] == "/vault/tls/ca.crt"


def test_vault_auth_is_the_specs_over_a_tls_connection(stacks):
    (auth,) = _objects(stacks, "VaultAuth", "tonebridge-auth")
    assert auth["apiVersion"] == "secrets.hashicorp.com/v1beta1"
    spec = auth["spec"]
    assert (spec["method"], spec["mount"]) == ("kubernetes", "kubernetes")
    assert spec["kubernetes"]["role"] == "tonebridge"
    assert spec["kubernetes"]["serviceAccount"] == "tonebridge-sa"
    (connection,) = _objects(stacks, "VaultConnection", spec["vaultConnectionRef"])
    assert connection["spec"]["address"].startswith("https://")
    assert connection["spec"]["caCertSecretRef"] == "vault-ca" and connection["spec"]["skipTLSVerify"] is False


def test_service_account_does_not_automount_its_token(stacks):
    (sa,) = _objects(stacks, "ServiceAccount", "tonebridge-sa")
    assert sa["metadata"]["namespace"] == "production"
    assert sa["automountServiceAccountToken"] is False


def test_vault_is_ha_raft_tls_and_auto_unsealed(stacks):
    release, values = _release(stacks, "vault")
    assert release["namespace"] == "vault" and release["chart"] == "vault"
    assert release["repository"] == "https://helm.releases.hashicorp.com"
    assert values["global"]["tlsDisable"] is False
    assert values["injector"]["enabled"] is False and values["ui"]["enabled"] is False
    server = values["server"]
    ha = server["ha"]
    assert ha["enabled"] is True and ha["replicas"] == 3 and ha["raft"]["enabled"] is True
    assert ha["disruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    config = ha["raft"]["config"]
    assert "tls_disable = false" in config and "disable_mlock = true" in config
    assert 'seal "awskms"' in config and 'region = "us-west-2"' in config
    assert 'kms_key_id = "${data.terraform_remote_state.' in config
    assert config.count("retry_join") == 3 and "https://vault-2.vault-internal:8200" in config
    assert server["dataStorage"]["storageClass"] == "fast-ssd" and server["dataStorage"]["size"] == "10Gi"
    assert server["ingress"]["enabled"] is False
    term = server["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "topology.kubernetes.io/zone"
    role = server["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role.startswith("${data.terraform_remote_state.")
    container = server["statefulSet"]["securityContext"]["container"]
    assert container["capabilities"] == {"drop": ["ALL"]} and container["readOnlyRootFilesystem"] is True
    assert server["statefulSet"]["securityContext"]["pod"]["runAsNonRoot"] is True


def test_vault_certificate_comes_from_the_private_ca(stacks):
    (cert,) = _objects(stacks, "Certificate", "vault-server-tls")
    assert cert["apiVersion"] == "cert-manager.io/v1"
    assert {"vault.vault.svc", "*.vault-internal"} <= set(cert["spec"]["dnsNames"])
    assert cert["spec"]["issuerRef"] == {
        "name": "tonebridge-internal-ca",
        "kind": "ClusterIssuer",
        "group": "cert-manager.io",
    }
    (ca,) = _objects(stacks, "ClusterIssuer", "tonebridge-internal-ca")
    assert ca["spec"] == {"ca": {"secretName": "tonebridge-internal-ca"}}
    bundles = {c["metadata"]["namespace"] for c in _objects(stacks, "Certificate", "vault-ca")}
    # monitoring: Grafana's and Alertmanager's secrets; redis: its password; argocd: its OIDC client
    # secret (VSO's VaultConnections there)
    assert bundles == {"kube-system", "production", "monitoring", "redis", "argocd"}
    release, values = _release(stacks, "cert-manager")
    assert values["crds"]["enabled"] is True and release["version"] == "v1.21.1"


def test_csi_driver_and_vault_provider_in_kube_system(stacks):
    driver, values = _release(stacks, "secrets-store-csi-driver")
    assert driver["namespace"] == "kube-system"
    assert values["enableSecretRotation"] is True and values["syncSecret"]["enabled"] is False
    provider, values = _release(stacks, "vault-csi-provider")
    assert provider["namespace"] == "kube-system" and provider["chart"] == "vault"
    assert values["server"]["enabled"] is False and values["injector"]["enabled"] is False
    assert values["csi"]["enabled"] is True


def test_vault_secrets_operator_is_restricted_and_ha(stacks):
    release, values = _release(stacks, "vault-secrets-operator")
    assert release["namespace"] == "vault-secrets-operator-system"
    assert values["controller"]["replicas"] == 2
    assert values["controller"]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # minAvailable "" keeps the chart's default "0" out of the budget (both fields: refused by the API server)
    assert values["controller"]["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1, "minAvailable": ""}
    assert values["controller"]["podSecurityContext"]["runAsNonRoot"] is True


def test_trivy_reports_high_and_critical(stacks):
    release, values = _release(stacks, "trivy-operator")
    assert release["namespace"] == "trivy-system"
    assert values["trivy"]["severity"] == "HIGH,CRITICAL"
    assert values["operator"]["vulnerabilityScannerEnabled"] is True
    assert values["trivy"]["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    job = values["trivyOperator"]
    assert job["scanJobPodTemplatePodSecurityContext"]["runAsNonRoot"] is True
    assert job["scanJobPodTemplateContainerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["securityContext"]["readOnlyRootFilesystem"] is True


def test_new_namespaces_are_restricted(stacks):
    namespaces = {o["metadata"]["name"]: o for o in _objects(stacks, "Namespace")}
    for name in ("vault", "cert-manager", "vault-secrets-operator-system", "trivy-system"):
        assert namespaces[name]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_bootstrap_ships_a_read_only_policy_for_the_three_paths(stacks):
    (config_map,) = _objects(stacks, "ConfigMap", "vault-bootstrap")
    policy = config_map["data"]["tonebridge-read.hcl"]
    for path in ("secret/data/database", "secret/data/jwt", "secret/data/openai"):
        assert f'path "{path}" {{\n  capabilities = ["read"]\n}}' in policy
    assert policy.count("capabilities") == 3
    script = config_map["data"]["bootstrap.sh"]
    assert "bound_service_account_names=tonebridge-sa bound_service_account_namespaces=production" in script
    assert "-version=2 kv" in script and "${" not in script


def test_unseal_key_and_role_in_the_infrastructure_stack(stacks):
    infra = stacks[INFRA]
    keys = [k for k in resources(infra, "aws_kms_key").values() if "Vault auto-unseal" in k["description"]]
    assert len(keys) == 1 and keys[0]["enable_key_rotation"] is True
    role = resources(infra, "aws_iam_role")
    (unseal,) = [r for r in role.values() if r["name"] == "tonebridge-production-vault-unseal"]
    trust = json.loads(unseal["assume_role_policy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:vault:vault" in condition.values()
    (policy,) = [p for p in resources(infra, "aws_iam_role_policy").values() if "VaultAutoUnseal" in p["policy"]]
    statement = json.loads(policy["policy"])["Statement"]
    assert statement == [
        {
            "Sid": "VaultAutoUnseal",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
            "Resource": statement[0]["Resource"],
        }
    ]
    assert statement[0]["Resource"].startswith("${aws_kms_key.")
    assert {"vault_unseal_key_arn", "vault_unseal_role_arn"} <= set(infra["output"])


def test_no_literal_secret_in_the_platform_stack(stacks):
    text = json.dumps(stacks[PLATFORM])
    assert "devRootToken" not in text and "VAULT_TOKEN=" not in text


# --- props ---------------------------------------------------------------------------------------


def test_vault_settings_problems_are_lines_of_the_file(tmp_path):
    """What VaultProps once checked itself is VaultServerSettings' own rule now: the lines
    tests/construct_guards.py pinned for it are what the loader reports."""

    cases = [
        ("replicas", 2, "replicas: raft needs an odd number of voters, not 2"),
        ("data_storage", "10 GB", "data_storage: String should match pattern '^\\d+(Mi|Gi|Ti)$' (got '10 GB')"),
        (
            "storage_class",
            "",
            "storage_class: String should match pattern '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' (got '')",
        ),
    ]
    for field, value, line in cases:
        report = loader_report(tmp_path, ("platform", "us-west-2", "secrets", "vault", field), value)
        assert f"platform.us-west-2.secrets.vault.{line}" in report, report


def test_scanning_settings_problems_are_lines_of_the_file(tmp_path):
    """What TrivyOperatorProps once checked itself is ScanningSettings' own rule now (props/scanning.py,
    the YAML's model and the construct's input): the lines tests/construct_guards.py pinned for it are
    what the loader reports."""
    cases = [
        ("severities", [], "severities: List should have at least 1 item after validation, not 0"),
        (
            "scan_job_timeout",
            "10 minutes",
            "scan_job_timeout: String should match pattern '^\\d+[smh]$' (got '10 minutes')",
        ),
        ("concurrent_scan_jobs", 50, "concurrent_scan_jobs: Input should be less than or equal to 20 (got 50)"),
    ]
    for field, value, line in cases:
        report = loader_report(tmp_path, ("platform", "us-west-2", "scanning", field), value)
        assert f"platform.us-west-2.scanning.{line}" in report, report


def test_secrets_settings_problems_are_lines_of_the_file(tmp_path):
    """What SecretsStoreCsiProps and ApplicationSecretsProps once checked themselves is SecretsSettings'
    own rule now (props/secrets.py, the YAML's model and the constructs' input): the lines
    tests/construct_guards.py pinned for them are what the loader reports."""
    cases = [
        (
            ("csi_rotation_poll_interval",),
            "2 minutes",
            "csi_rotation_poll_interval: String should match pattern '^\\d+[smh]$' (got '2 minutes')",
        ),
        (
            ("application", "objects"),
            [],
            "application.objects: List should have at least 1 item after validation, not 0",
        ),
    ]
    for path, value, line in cases:
        report = loader_report(tmp_path, ("platform", "us-west-2", "secrets", *path), value)
        assert f"platform.us-west-2.secrets.{line}" in report, report


def test_vault_props_reject_even_quorums_and_missing_tls():
    from tonebridge.constructs.vault import VaultProps
    from tonebridge.props.secrets import ApplicationSecretsSettings
    from tonebridge.props.vault import VaultRole, VaultServerSettings

    app = ApplicationSecretsSettings(
        namespace="n",
        service_account="s",
        role="r",
        auth_mount="k",
        audience="a",
        objects=[{"object_name": "a", "secret_path": "secret/data/a", "secret_key": "k"}],
    )
    # The application's role is derived from its settings, with the paths of its objects.
    assert app.vault_role() == VaultRole("r", "s", "n", ("secret/data/a",), "the application's secrets")
    base = dict(
        kubernetes_version="1.35",
        region="us-west-2",
        unseal_key_arn="arn",
        unseal_role_arn="arn",
        ca_issuer="ca",
        settings=VaultServerSettings(storage_class="fast-ssd"),
        application=app,
    )
    VaultProps(**base)
    # Quorum, sizes and the StorageClass are the settings' rules (the YAML's model and the construct's input).
    with pytest.raises(ValueError, match="odd"):
        VaultServerSettings(replicas=2)
    with pytest.raises(ValueError, match="ca_issuer"):
        VaultProps(**{**base, "ca_issuer": ""})
    with pytest.raises(ValueError, match="data_storage"):
        VaultServerSettings(data_storage="10GB")
    # The application's settings are a typed value: leaving them out cannot get past the constructor.
    with pytest.raises(TypeError, match="application"):
        VaultProps(**{k: v for k, v in base.items() if k != "application"})
    extra = {"role": "redis", "service_account": "redis-vault", "namespace": "n", "paths": ["secret/data/redis"]}
    VaultRole(**extra, subject="the Redis password")
    with pytest.raises(ValueError, match="at least one path"):
        VaultRole(**{**extra, "paths": []}, subject="the Redis password")
    with pytest.raises(TypeError, match="service_account"):
        VaultRole(**{k: v for k, v in extra.items() if k != "service_account"}, subject="the Redis password")
    # Distinct roles: checked where roles are granted (tests/test_vault_role.py grants one twice).


def test_bootstrap_script_writes_extra_roles_after_the_applications():
    from tonebridge.constructs.vault import bootstrap_script
    from tonebridge.props.vault import VaultRole, read_policy

    common = {"audience": "vault", "auth_mount": "kubernetes"}
    app = VaultRole("tonebridge", "tonebridge-sa", "production", ("secret/data/jwt",), "the application's secrets")
    alone = bootstrap_script([app], **common).splitlines()
    extra = VaultRole("redis", "redis-vault", "production", ("secret/data/redis",), "the Redis password")
    both = bootstrap_script([app, extra], **common).splitlines()
    added = [line for line in both if line not in alone]
    assert added == [
        "vault policy write redis-read /vault/userconfig/vault-bootstrap/redis-read.hcl",
        "vault write auth/kubernetes/role/redis bound_service_account_names=redis-vault "
        "bound_service_account_namespaces=production audience=vault token_policies=redis-read "
        "token_ttl=1h token_max_ttl=4h",
    ]
    assert [line for line in both if line in alone] == alone  # the application's lines, unchanged and in order
    assert read_policy(["secret/data/redis"], "the Redis password").startswith(
        "# Read-only access to the Redis password"
    )


def test_application_secrets_require_https_and_distinct_objects():
    from cdktf import App
    from pydantic import ValidationError

    from tonebridge.constructs.app_secrets import ApplicationSecrets
    from tonebridge.props.secrets import ApplicationSecretsSettings

    obj = {"object_name": "a", "secret_path": "secret/data/a", "secret_key": "k"}
    settings = ApplicationSecretsSettings(namespace="production", service_account="sa", role="r", objects=[obj])
    wiring = dict(ca_cert_path="/ca", ca_secret="vault-ca")  # noqa: S106 - a secret's name
    with pytest.raises(ValueError, match="https"):
        ApplicationSecrets(App(), "secrets", settings, vault_address="http://vault:8200", **wiring)
    # Distinct object names are the settings' rule (each object is a file name): checked once, on load.
    with pytest.raises(ValidationError, match="distinct"):
        ApplicationSecretsSettings(objects=[obj, obj])


def test_other_props_are_checked_early():
    from cdktf import App

    from tonebridge.constructs.cert_manager import CertManagerProps
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.constructs.secrets_store import SecretsStoreCsi
    from tonebridge.constructs.vault_aws import VaultUnsealProps
    from tonebridge.props.scanning import ScanningSettings
    from tonebridge.props.secrets import SecretsSettings

    with pytest.raises(ValueError, match="severities"):
        ScanningSettings(severities=["SEVERE"])
    with pytest.raises(ValueError, match="https"):
        SecretsStoreCsi(App(), "csi", SecretsSettings(), vault_address="http://vault:8200", ca_secret="vault-ca")  # noqa: S106
    with pytest.raises(ValueError, match="ca_duration"):
        CertManagerProps(kubernetes_version="1.35", ca_duration="10y")
    with pytest.raises(ValueError, match="replicas"):
        SecretsSettings(operator_replicas=0)
    with pytest.raises(ValueError, match="name"):
        VaultUnsealProps(name="x" * 40, irsa=IrsaProvider("arn", "issuer"))


def test_config_defaults_are_the_specs():
    from tonebridge.config.platform_secrets import ScanningConfig, SecretsConfig

    assert ScanningConfig().severities == ["HIGH", "CRITICAL"]
    app = SecretsConfig().application
    assert (app.role, app.service_account) == ("tonebridge", "tonebridge-sa")
    assert [o.object_name for o in app.objects] == ["database-password", "jwt-secret", "openai-api-key"]

"""Access constructs alone, with names and shapes the environment files do not use: CI deploy access to three
namespaces, one read-only with an extra reader; the gateway's target group bindings on port 8080; Vault's unseal
key and role for a service account of another namespace."""

from __future__ import annotations

import json

from tests.conftest import resources
from tests.construct_harness import helm_values, manifests, only, synth_alone


def test_deploy_access_writes_two_namespaces_and_only_reads_the_third_with_an_extra_reader():
    from tonebridge.constructs.ci_rbac import DeployAccess, DeployAccessProps

    props = DeployAccessProps(
        service_account="builder",
        namespace="ci",
        target_namespaces=["dev", "qa", "prod"],
        role_name="release",
        read_only_namespaces=["prod"],
        readers=[("argocd", "argocd-application-controller")],
    )
    out = synth_alone(lambda stack: DeployAccess(stack, "deploy", props), providers=("kubernetes",))
    found = manifests(out)
    objects = [r["manifest"] for r in resources(out, "kubernetes_manifest").values()]
    by_namespace = {(o["kind"], o["metadata"]["namespace"]): o for o in objects if o["kind"] in ("Role", "RoleBinding")}
    assert len(by_namespace) == 6
    assert {ns for _, ns in by_namespace} == {"dev", "qa", "prod"}
    assert by_namespace[("Role", "dev")]["rules"][0]["verbs"] == ["get", "list", "watch", "patch"]
    assert by_namespace[("Role", "prod")]["rules"][0]["verbs"] == ["get", "list", "watch"]
    assert by_namespace[("Role", "prod")]["metadata"]["name"] == "release"
    assert by_namespace[("RoleBinding", "prod")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
        {"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "argocd"},
    ]
    assert by_namespace[("RoleBinding", "qa")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"}
    ]
    account = found[("ServiceAccount", "builder")]
    assert account["metadata"]["namespace"] == "ci" and account["automountServiceAccountToken"] is True


def test_edge_binding_on_a_non_default_port():
    from tonebridge.constructs.edge_binding import EdgeBinding, EdgeBindingProps

    props = EdgeBindingProps(
        namespace="edge",
        service="gateway",
        gateway_target_group_arn="arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/gw/1",
        status_target_group_arn="arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/st/2",
        hosts=["api.example.org"],
        selector={"istio": "gateway"},
        service_port=8080,
    )
    out = synth_alone(lambda stack: EdgeBinding(stack, "binding", props), providers=("kubernetes", "helm"))
    release = only(out, "helm_release")
    assert (release["name"], release["namespace"]) == ("edge-target-groups", "edge")
    objects = {(o["kind"], o["metadata"]["name"]): o for o in helm_values(out, "edge-target-groups")["resources"]}
    bindings = {name: o["spec"] for (kind, name), o in objects.items() if kind == "TargetGroupBinding"}
    assert bindings["edge-gateway"]["serviceRef"] == {"name": "gateway", "port": 8080}
    # The gateway pods listen where the traffic target group sends: the Gateway's one server is on 8080.
    gateway = objects["Gateway", "edge"]
    assert gateway["metadata"]["namespace"] == "edge"
    assert gateway["spec"] == {
        "selector": {"istio": "gateway"},
        "servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["api.example.org"]}],
    }
    assert bindings["edge-gateway"]["targetGroupARN"].endswith("targetgroup/gw/1")
    assert bindings["edge-status"]["serviceRef"] == {"name": "gateway", "port": 15021}


def test_vault_unseal_for_a_service_account_of_another_namespace():
    from tonebridge.constructs.irsa import IrsaProvider
    from tonebridge.constructs.vault_aws import VaultUnseal, VaultUnsealProps

    props = VaultUnsealProps(
        name="tb-unit",
        irsa=IrsaProvider(
            "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
            "oidc.eks.us-west-2.amazonaws.com/id/ABC",
        ),
        namespace="secrets",
        service_account="vault-server",
    )
    out = synth_alone(lambda stack: VaultUnseal(stack, "unseal", props))
    assert only(out, "aws_kms_alias")["name"] == "alias/tb-unit-vault-unseal"
    role = only(out, "aws_iam_role")
    assert role["name"] == "tb-unit-vault-unseal"
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["oidc.eks.us-west-2.amazonaws.com/id/ABC:sub"] == (
        "system:serviceaccount:secrets:vault-server"
    )
    (policy,) = resources(out, "aws_iam_role_policy").values()
    actions = {a for s in json.loads(policy["policy"])["Statement"] for a in s["Action"]}
    assert {"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"} <= actions


#: (file name, KV v2 path, key): where each mounted file comes from (paths and key names, no secret values).
FILES = [("db-password", "secret/data/media/db", "password"), ("api-token", "secret/data/media/api", "token")]


def test_application_secrets_with_their_own_auth_mount_audience_and_names():
    import yaml

    from tonebridge.constructs.app_secrets import ApplicationSecrets
    from tonebridge.props.secrets import ApplicationSecretsSettings

    settings = ApplicationSecretsSettings(
        namespace="media",
        service_account="audio",
        role="media-app",
        objects=[{"object_name": name, "secret_path": path, "secret_key": key} for name, path, key in FILES],
        auth_mount="kubernetes-east",
        audience="vault-east",
    )
    out = synth_alone(
        lambda stack: ApplicationSecrets(
            stack,
            "secrets",
            settings,
            vault_address="https://vault.secrets.svc:8200",
            ca_cert_path="/vault/tls/ca.crt",
            ca_secret="media-vault-ca",  # noqa: S106 - a secret's name
            provider_class="media-secrets",
            vault_auth="media-auth",
            vault_connection="media-vault",
        ),
        providers=("kubernetes", "helm"),
    )
    account = manifests(out)[("ServiceAccount", "audio")]
    assert account["metadata"]["namespace"] == "media" and account["automountServiceAccountToken"] is False
    objects = {o["kind"]: o for o in helm_values(out, "media-vault-secrets")["resources"]}
    provider = objects["SecretProviderClass"]
    assert provider["metadata"]["name"] == "media-secrets"
    parameters = provider["spec"]["parameters"]
    assert parameters["vaultKubernetesMountPath"] == "kubernetes-east" and parameters["audience"] == "vault-east"
    assert parameters["roleName"] == "media-app" and parameters["vaultCACertPath"] == "/vault/tls/ca.crt"
    listed = yaml.safe_load(parameters["objects"])
    assert [o["objectName"] for o in listed] == ["db-password", "api-token"]
    assert objects["VaultConnection"]["spec"]["caCertSecretRef"] == "media-vault-ca"
    auth = objects["VaultAuth"]
    assert auth["metadata"]["name"] == "media-auth"
    assert auth["spec"]["vaultConnectionRef"] == "media-vault" and auth["spec"]["mount"] == "kubernetes-east"
    assert auth["spec"]["kubernetes"] == {"role": "media-app", "serviceAccount": "audio", "audiences": ["vault-east"]}

"""The secrets, GitOps and scanning features (tonebridge/features/secrets.py, gitops.py, scanning.py) on their
own, in a bare stack, for the branches the environment files do not take: Argo CD on the system pool without
single sign-on, each feature switched off, the secrets path without an unseal key, a region's secrets path with
settings and consumers of its own, and the VSO login every consumer namespace gets from :class:`Secrets`."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tests.conftest import resources
from tests.construct_harness import bare_stack, helm_values
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.vault import VaultRole

SYSTEM = ({"workload": "system"}, [{"key": "system", "operator": "Exists", "effect": "NoSchedule"}])
CONTROLLERS = ({"workload": "application"}, [])
RELEASE_KEY_ID = "9A93E1709435349D"


class _Foundation:
    """A stack that created no namespace and no StorageClass of its own (they exist already)."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def namespace_objects(self, names):
        self.asked.append(list(names))
        return []

    def storage_class_objects(self, names):
        self.asked.append(list(names))
        return []


def _synth(stack) -> dict:
    from cdktf import Testing

    return json.loads(Testing.synth(stack))


def test_argocd_on_the_system_pool_without_sso_asks_nothing_of_vault():
    from tonebridge.features.gitops import add_argocd_sso, add_gitops
    from tonebridge.props.argocd import ArgoCdSettings

    stack = bare_stack(("kubernetes", "helm"))
    settings = ArgoCdSettings(node_pool="system")
    foundation = _Foundation()
    gitops = add_gitops(
        stack, settings, kubernetes_version="1.35", system=SYSTEM, controllers=CONTROLLERS, foundation=foundation
    )
    assert gitops.argocd is not None and gitops.vault_role is None
    assert gitops.vault_consumers == []
    assert foundation.asked == [[settings.application.namespace]]  # it waits for the namespace it deploys to
    assert add_argocd_sso(stack, settings, gitops, secrets=None) is None
    values = helm_values(_synth(stack), "argocd")
    assert values["global"]["nodeSelector"] == SYSTEM[0] and values["global"]["tolerations"] == SYSTEM[1]
    assert values["configs"]["cm"]["admin.enabled"] is True  # no SSO: the bootstrap's local admin stays
    assert "oidc.config" not in values["configs"]["cm"] and values["configs"]["gpg"]["keys"] == {}


def test_sso_asks_vault_for_one_role_reading_the_oidc_secret_only():
    from tonebridge.features.gitops import signature_keys, sso_vault_role
    from tonebridge.props.argocd import ArgoCdSettings, ArgoSsoSettings

    sso = ArgoSsoSettings(issuer="https://sso.example", client_id="argocd", mount="kv", path="gitops/oidc")
    settings = ArgoCdSettings(
        namespace="gitops",
        sso=sso,
        signature_keys=[
            {"key_id": RELEASE_KEY_ID, "public_key": f"keys/release-signing/{RELEASE_KEY_ID}.asc", "holder": "release"}
        ],
    )
    assert sso_vault_role(settings) == VaultRole(
        "argocd", "argocd-vault", "gitops", ("kv/data/gitops/oidc",), "Argo CD's OIDC client secret"
    )
    assert sso_vault_role(settings.model_copy(update={"enabled": False})) is None
    (key,) = signature_keys(settings)
    assert key.key_id == RELEASE_KEY_ID
    assert key.public_key == (PROJECT_ROOT / "keys" / "release-signing" / f"{RELEASE_KEY_ID}.asc").read_text()


def test_argocd_with_sso_is_a_vault_consumer_once_its_chart_made_its_namespace():
    from tonebridge.features.gitops import add_gitops
    from tonebridge.features.secrets import VaultConsumer
    from tonebridge.props.argocd import ArgoCdSettings, ArgoSsoSettings

    settings = ArgoCdSettings(namespace="gitops", sso=ArgoSsoSettings(issuer="https://sso.example", client_id="cd"))
    gitops = add_gitops(
        bare_stack(("kubernetes", "helm")),
        settings,
        kubernetes_version="1.35",
        system=SYSTEM,
        controllers=CONTROLLERS,
        foundation=_Foundation(),
    )
    assert gitops.vault_role is not None and gitops.vault_role.namespace == "gitops"
    assert gitops.vault_consumers == [VaultConsumer("gitops", (gitops.argocd.namespace.manifest,))]


def test_features_switched_off_build_nothing():
    from tonebridge.features.gitops import add_gitops
    from tonebridge.features.scanning import add_scanning
    from tonebridge.features.secrets import add_secrets
    from tonebridge.props.argocd import ArgoCdSettings
    from tonebridge.props.scanning import ScanningSettings
    from tonebridge.props.secrets import SecretsSettings

    stack = bare_stack(("kubernetes", "helm"))
    unseal = SimpleNamespace(key_arn="arn:aws:kms:us-west-2:1:key/k", role_arn="arn:aws:iam::1:role/r")
    wiring = dict(kubernetes_version="1.35", region="us-west-2", controllers=CONTROLLERS, foundation=_Foundation())
    gitops = add_gitops(
        stack,
        ArgoCdSettings(enabled=False),
        kubernetes_version="1.35",
        system=SYSTEM,
        controllers=CONTROLLERS,
        foundation=_Foundation(),
    )
    assert gitops.argocd is None and gitops.vault_role is None and gitops.vault_consumers == []
    assert add_secrets(stack, SecretsSettings(), None, **wiring) is None
    assert add_secrets(stack, SecretsSettings(enabled=False), unseal, **wiring) is None
    scanning = ScanningSettings(enabled=False)
    assert add_scanning(stack, scanning, kubernetes_version="1.35", controllers=CONTROLLERS) is None
    assert "resource" not in _synth(stack)


def test_a_secrets_path_of_its_own_settings_trusts_its_consumers_and_grants_their_roles():
    from tonebridge.features.secrets import VaultConsumer, add_secrets
    from tonebridge.props.secrets import SecretsSettings

    stack = bare_stack(("kubernetes", "helm"))
    settings = SecretsSettings.model_validate(
        {
            "operator_replicas": 1,
            "csi_rotation_poll_interval": "30s",
            "vault": {"replicas": 1, "storage_class": "gp3"},
            "application": {
                "namespace": "media",
                "service_account": "audio",
                "role": "media-app",
                "objects": [{"object_name": "db", "secret_path": "secret/data/media/db", "secret_key": "pw"}],
            },
        }
    )
    unseal = SimpleNamespace(key_arn="arn:aws:kms:us-west-2:1:key/k", role_arn="arn:aws:iam::1:role/r")
    foundation = _Foundation()
    grafana = VaultRole("monitoring", "monitoring-vault", "monitoring", ("secret/data/grafana",), "Grafana's login")
    secrets = add_secrets(
        stack,
        settings,
        unseal,
        kubernetes_version="1.35",
        region="us-west-2",
        controllers=CONTROLLERS,
        foundation=foundation,
        consumers=[VaultConsumer("monitoring")],
        roles=[None, grafana],
    )
    assert secrets is not None and secrets.application is settings.application
    # Vault waits for the namespaces its CA bundles go to and for the StorageClass of its volumes.
    assert ["media", "monitoring"] in foundation.asked and ["gp3"] in foundation.asked
    assert list(secrets.vault.policies) == ["media-app-read", "monitoring-read"]  # the application's role first
    out = _synth(stack)
    certificates = [o for o in helm_values(out, "vault-certificates")["resources"] if o["kind"] == "Certificate"]
    assert {c["metadata"]["namespace"] for c in certificates} >= {"kube-system", "media", "monitoring"}
    assert helm_values(out, "secrets-store-csi-driver")["rotationPollInterval"] == "30s"
    assert helm_values(out, "vault-secrets-operator")["controller"]["replicas"] == 1
    (provider,) = [
        o for o in helm_values(out, "media-vault-secrets")["resources"] if o["kind"] == "SecretProviderClass"
    ]
    assert provider["spec"]["parameters"]["roleName"] == "media-app"
    assert {r["namespace"] for r in resources(out, "helm_release").values()} >= {"kube-system", "media"}


def test_every_consumer_namespace_logs_in_with_the_application_auth_mount_and_audience():
    from tonebridge.constructs.vault_login import login_objects
    from tonebridge.features.secrets import Secrets
    from tonebridge.props.secrets import ApplicationSecretsSettings

    vault = SimpleNamespace(address="https://vault.vault.svc:8200", ca_bundle_secret="vault-ca")  # noqa: S106
    app = ApplicationSecretsSettings(auth_mount="kubernetes-east", audience="vault-east")
    secrets = Secrets(vault=vault, operator=None, csi=None, application=app)
    role = VaultRole("argocd", "argocd-vault", "argocd", ("secret/data/argocd/oidc",), "Argo CD's OIDC client secret")
    login = secrets.login(role, name="argocd-vault")
    connection, auth = login_objects(login)
    assert connection["metadata"] == {"name": "argocd-vault", "namespace": "argocd"}
    assert connection["spec"] == {"address": vault.address, "caCertSecretRef": "vault-ca", "skipTLSVerify": False}
    assert auth["metadata"]["name"] == "argocd-vault-auth" and auth["spec"]["mount"] == "kubernetes-east"
    assert auth["spec"]["kubernetes"] == {
        "role": "argocd",
        "serviceAccount": "argocd-vault",
        "audiences": ["vault-east"],
    }

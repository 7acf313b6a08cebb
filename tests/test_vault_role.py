"""Vault roles as a typed value (``tonebridge/props/vault.py``), granted through ``Vault.grant``, and the
platform stack composed of steps that hand each other typed results (``tonebridge/features``)."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from tests.source_trees import nodes
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.vault import VaultRole

STACKS = PROJECT_ROOT / "tonebridge" / "stacks"
PLATFORM = "production-us-west-2-platform"


def _role(name: str, *paths: str) -> VaultRole:
    return VaultRole(name, f"{name}-sa", "ns", paths, f"the secrets of {name}")


def test_a_vault_role_is_frozen_and_renders_its_read_only_policy():
    role = VaultRole("monitoring", "monitoring-vault", "monitoring", ["secret/data/a", "secret/data/a"], "a subject")
    assert role.paths == ("secret/data/a", "secret/data/a")  # a list becomes a tuple: the value cannot change
    with pytest.raises(dataclasses.FrozenInstanceError):
        role.role = "other"  # type: ignore[misc]
    assert role.policy_name == "monitoring-read"
    assert role.policy() == (
        "# Read-only access to a subject (spec §8.2). Managed by tonebridge.\n"
        'path "secret/data/a" {\n  capabilities = ["read"]\n}\n'
    )
    with pytest.raises(ValueError, match="monitoring needs at least one path"):
        VaultRole("monitoring", "monitoring-vault", "monitoring", (), "a subject")


def _bare_vault():
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_helm.provider import HelmProvider
    from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

    from tonebridge.constructs.vault import Vault, VaultProps
    from tonebridge.props.secrets import ApplicationSecretsSettings

    stack = TerraformStack(App(), "vault")
    KubernetesProvider(stack, "kubernetes")
    HelmProvider(stack, "helm")
    props = VaultProps(
        kubernetes_version="1.35",
        region="us-west-2",
        unseal_key_arn="arn:aws:kms:us-west-2:111122223333:key/unseal",
        unseal_role_arn="arn:aws:iam::111122223333:role/unseal",
        ca_issuer="private-ca",
        application=ApplicationSecretsSettings(
            namespace="ns",
            service_account="app-sa",
            role="app",
            objects=[{"object_name": "app", "secret_path": "secret/data/app", "secret_key": "k"}],
        ),
    )
    return stack, Vault(stack, "vault", props)


def _bootstrap(stack) -> dict:
    from cdktf import Testing

    synthesized = json.loads(Testing.synth(stack))
    (config_map,) = [
        m["manifest"]
        for m in synthesized["resource"]["kubernetes_manifest"].values()
        if m["manifest"]["kind"] == "ConfigMap" and m["manifest"]["metadata"]["name"] == "vault-bootstrap"
    ]
    return config_map["data"]


def test_roles_granted_after_vault_is_built_land_in_the_bootstrap_in_grant_order():
    from constructs import Construct

    stack, vault = _bare_vault()
    vault.grant(_role("monitoring", "secret/data/grafana", "secret/data/webhook"))
    Construct(stack, "a-later-feature")  # the stack goes on; a feature built afterwards still grants
    vault.grant(_role("jenkins", "secret/data/jenkins"))
    with pytest.raises(ValueError, match="jenkins is granted twice"):
        vault.grant(_role("jenkins", "secret/data/other"))
    with pytest.raises(ValueError, match="app is granted twice"):
        vault.grant(_role("app", "secret/data/other"))  # the application's role is taken too
    data = _bootstrap(stack)
    # (Synthesis sorts keys: the order of the roles shows in the script.)
    assert set(data) == {"app-read.hcl", "monitoring-read.hcl", "jenkins-read.hcl", "bootstrap.sh"}
    assert data["monitoring-read.hcl"] == _role("monitoring", "secret/data/grafana", "secret/data/webhook").policy()
    assert "secret/data/other" not in json.dumps(data)  # the refused grants left nothing behind
    role_lines = [line.split()[2] for line in data["bootstrap.sh"].splitlines() if line.startswith("vault write auth")]
    assert role_lines == [
        "auth/kubernetes/config",
        "auth/kubernetes/role/app",
        "auth/kubernetes/role/monitoring",
        "auth/kubernetes/role/jenkins",
    ]
    assert list(vault.policies) == ["app-read", "monitoring-read", "jenkins-read"]


def test_production_bootstrap_holds_every_features_role(stacks, environments):
    from tonebridge.features.ci import ci_vault_role
    from tonebridge.features.data import redis_vault_role
    from tonebridge.features.gitops import sso_vault_role
    from tonebridge.stacks.data_recovery import logical_backup_vault_role
    from tonebridge.stacks.platform_observability import observability_vault_role

    env = environments["production"]
    platform = env.platform["us-west-2"]
    granted = [
        redis_vault_role(platform.redis),
        observability_vault_role(platform),
        ci_vault_role(platform.ci),
        logical_backup_vault_role(env, "us-west-2"),
        sso_vault_role(platform.argocd),
    ]
    assert all(granted), "production enables Redis, observability, CI, the logical backup and Argo CD's SSO"
    (config_map,) = [
        m["manifest"]
        for m in stacks[PLATFORM]["resource"]["kubernetes_manifest"].values()
        if m["manifest"]["metadata"]["name"] == "vault-bootstrap"
    ]
    data = config_map["data"]
    app = platform.secrets.application
    assert set(data) == {f"{app.role}-read.hcl", *(f"{r.policy_name}.hcl" for r in granted), "bootstrap.sh"}
    # The script configures the application's role first, then the granted ones in the stack's order.
    roles = [line.split()[2] for line in data["bootstrap.sh"].splitlines() if "/role/" in line]
    assert roles == [f"auth/{app.auth_mount}/role/{r}" for r in (app.role, *(g.role for g in granted))]
    for role in granted:
        assert data[f"{role.policy_name}.hcl"] == role.policy()
        assert (
            f"auth/{app.auth_mount}/role/{role.role} bound_service_account_names={role.service_account} "
            f"bound_service_account_namespaces={role.namespace} audience={app.audience} "
            f"token_policies={role.policy_name} "
        ) in data["bootstrap.sh"]


def test_the_stacks_build_no_vault_role_as_a_dict():
    """Roles are VaultRole values: a dict literal with a "role" key in tonebridge/stacks/ is the old way back."""
    found = []
    for path in sorted(STACKS.glob("*.py")):
        for node in nodes(path):
            if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "role" for k in node.keys):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


#: What every step of the platform stack may read from the stack: set once in __init__, never by a step.
CONSTANTS = {
    "config",
    "infra",
    "kubernetes_version",
    "system_node_selector",
    "system_tolerations",
    "controller_node_selector",
    "controller_tolerations",
}


def _shared_attributes(files: list[Path]) -> dict[str, set[str]]:
    """Attributes of the stack (``self.x`` in the methods, ``stack.x`` in the add_* helpers) written in one
    function and read in another: each is an ordering by side effect unless it is a constant."""
    written: dict[str, set[str]] = {}
    read: dict[str, set[str]] = {}
    for path in files:
        for fn in nodes(path):
            if not isinstance(fn, ast.FunctionDef):
                continue
            names = [a.arg for a in fn.args.args]
            me = "self" if "self" in names else "stack" if "stack" in names else None
            if me is None:
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me:
                    target = written if isinstance(node.ctx, ast.Store) else read
                    target.setdefault(node.attr, set()).add(f"{path.name}:{fn.name}")
    return {attr: read.get(attr, set()) - where for attr, where in written.items() if read.get(attr, set()) - where}


def test_platform_steps_share_only_constants():
    files = [*sorted(STACKS.glob("platform*.py")), STACKS / "data_recovery.py"]
    shared = _shared_attributes(files)
    assert set(shared) <= CONSTANTS, {attr: sorted(shared[attr]) for attr in set(shared) - CONSTANTS}
    # The check sees what it should: the constants are read by the steps.
    assert {"config", "infra", "kubernetes_version"} <= set(shared)

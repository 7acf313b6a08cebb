"""Operators alone, each in a namespace of its own choosing with its own replica count and placement (the environment
files keep the defaults or one replica): the namespace is created with pod security pinned to the cluster's version,
the release goes there, and the replica count and placement reach the chart's own keys."""

from __future__ import annotations

import json

from tests.construct_harness import helm_values, manifests, only, synth_alone

PLACEMENT = {"node-role": "operators"}


def _operator(build, release: str) -> tuple[dict, dict]:
    out = synth_alone(build, providers=("kubernetes", "helm"))
    (found,) = [r for r in out["resource"]["helm_release"].values() if r["name"] == release]
    return out, found


def test_vault_secrets_operator_with_three_replicas_and_its_own_release_name():
    from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator
    from tonebridge.props.secrets import SecretsSettings

    settings = SecretsSettings(operator_replicas=3)
    out, release = _operator(
        lambda stack: VaultSecretsOperator(
            stack,
            "vso",
            settings,
            kubernetes_version="1.35",
            namespace="vso",
            release_name="vso",
            node_selector=PLACEMENT,
        ),
        "vso",
    )
    assert release["namespace"] == "vso"
    labels = manifests(out)[("Namespace", "vso")]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    controller = helm_values(out, "vso")["controller"]
    assert controller["replicas"] == 3 and controller["nodeSelector"] == PLACEMENT
    assert controller["podDisruptionBudget"]["maxUnavailable"] == 1


def test_vault_secrets_operator_with_one_replica_has_no_disruption_budget():
    from tonebridge.constructs.vault_secrets_operator import VaultSecretsOperator
    from tonebridge.props.secrets import SecretsSettings

    settings = SecretsSettings(operator_replicas=1)
    out, _ = _operator(
        lambda stack: VaultSecretsOperator(stack, "vso", settings, kubernetes_version="1.35"), "vault-secrets-operator"
    )
    assert "podDisruptionBudget" not in helm_values(out, "vault-secrets-operator")["controller"]


def test_cnpg_operator_in_its_own_namespace_with_three_replicas():
    from tonebridge.constructs.postgres.cnpg import OPERATOR_RELEASE, CnpgOperator, CnpgOperatorProps

    props = CnpgOperatorProps(kubernetes_version="1.34", namespace="databases", replicas=3, node_selector=PLACEMENT)
    out, release = _operator(lambda stack: CnpgOperator(stack, "cnpg", props), OPERATOR_RELEASE)
    assert release["namespace"] == "databases"
    assert (
        manifests(out)[("Namespace", "databases")]["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
        == "v1.34"
    )
    values = helm_values(out, OPERATOR_RELEASE)
    assert values["replicaCount"] == 3 and values["nodeSelector"] == PLACEMENT
    assert values["crds"] == {"create": True}


def test_redis_operator_in_its_own_namespace_with_one_replica():
    from tonebridge.constructs.redis import RedisOperator, RedisOperatorProps

    props = RedisOperatorProps(kubernetes_version="1.35", namespace="caches", replicas=1, node_selector=PLACEMENT)
    out = synth_alone(lambda stack: RedisOperator(stack, "redis-operator", props), providers=("kubernetes", "helm"))
    release = only(out, "helm_release")
    assert release["namespace"] == "caches"
    values = json.loads(release["values"][0])
    assert values["replicas"] == 1 and values["nodeSelector"] == PLACEMENT
    assert values["redisOperator"]["webhook"] is False
    assert ("Namespace", "caches") in manifests(out)


def test_metrics_server_with_three_replicas_placed():
    from tonebridge.constructs.metrics_server import MetricsServer, MetricsServerProps
    from tonebridge.props.autoscaling import MetricsServerSettings

    props = MetricsServerProps(
        settings=MetricsServerSettings(replicas=3),
        namespace="monitoring",
        node_selector=PLACEMENT,
        tolerations=[{"key": "operators", "operator": "Exists", "effect": "NoSchedule"}],
    )
    out = synth_alone(lambda stack: MetricsServer(stack, "metrics", props), providers=("helm",))
    release = only(out, "helm_release")
    assert release["namespace"] == "monitoring"
    values = helm_values(out, release["name"])
    assert values["replicas"] == 3
    assert values["podDisruptionBudget"]["enabled"] is True
    assert values["nodeSelector"] == PLACEMENT
    assert values["tolerations"] == [{"key": "operators", "operator": "Exists", "effect": "NoSchedule"}]

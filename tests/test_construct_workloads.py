"""Redis and Argo CD alone, with what the environment files never choose: a Redis cache without append-only
persistence, with more shards, labels and scraping; Argo CD applications that neither prune nor self-heal, SSO
groups with the local admin kept on, no signature keys."""

from __future__ import annotations

import json

from tests.conftest import resources
from tests.construct_harness import helm_values, manifests, synth_alone


def test_a_redis_cache_without_append_only_with_six_shards_labels_and_scraping():
    from tonebridge.constructs.redis import RedisCluster, RedisClusterProps
    from tonebridge.props.redis import RedisClientsSettings, RedisPasswordSettings, RedisSettings

    settings = RedisSettings(
        enabled=True,
        name="sessions",
        namespace="cache",
        password=RedisPasswordSettings(mount="kv", path="cache/sessions", role="cache"),
        clients=RedisClientsSettings(namespace="production", services=["api-gateway"]),
        leaders=6,
        followers=1,
        maxmemory="512mb",
        maxmemory_policy="volatile-lru",
        appendonly=False,
        appendfsync="no",
        storage_size="2Gi",
    )
    props = RedisClusterProps(
        settings,
        vault_address="https://vault.vault.svc:8200",
        labels={"tonebridge.io/role": "session-cache"},
        monitoring_namespace="monitoring",
    )
    out = synth_alone(lambda stack: RedisCluster(stack, "redis", props), providers=("kubernetes", "helm"))
    config = next(m for (kind, _), m in manifests(out).items() if kind == "ConfigMap")
    (conf,) = config["data"].values()
    assert conf == "maxmemory 512mb\nmaxmemory-policy volatile-lru\nappendonly no\nappendfsync no\n"
    assert config["metadata"]["labels"] == {"tonebridge.io/role": "session-cache"}
    objects = {o["kind"]: o for o in helm_values(out, "redis-sessions")["resources"]}
    spec = objects["RedisCluster"]["spec"]
    assert spec["clusterSize"] == 6
    assert (spec["redisLeader"]["replicas"], spec["redisFollower"]["replicas"]) == (6, 1)
    assert spec["storage"]["volumeClaimTemplate"]["spec"]["resources"] == {"requests": {"storage": "2Gi"}}
    assert objects["RedisCluster"]["metadata"]["labels"] == {"tonebridge.io/role": "session-cache"}
    secret = objects["VaultStaticSecret"]["spec"]
    assert (secret["mount"], secret["path"]) == ("kv", "cache/sessions")
    assert objects["VaultAuth"]["spec"]["kubernetes"]["role"] == "cache"
    policies = {
        r["manifest"]["metadata"]["name"]: r["manifest"]
        for r in resources(out, "kubernetes_manifest").values()
        if r["manifest"]["kind"] == "NetworkPolicy"
    }
    scraped = [
        rule
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        if any(
            p.get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "monitoring"}
            for p in rule["from"]
        )
    ]
    assert len(scraped) == 1 and scraped[0]["ports"] == [{"port": 9121, "protocol": "TCP"}]
    client_policies = [p for p in policies.values() if p["metadata"]["namespace"] == "production"]
    assert len(client_policies) == 1


def test_argocd_without_prune_or_self_heal_sso_groups_and_local_admin_kept():
    from tonebridge.constructs.argocd import ArgoCd
    from tonebridge.props.argocd import ArgoApplicationSettings, ArgoCdSettings, ArgoSsoSettings

    apps = [
        ArgoApplicationSettings(
            name="audio",
            repo_url="https://github.com/tonebridge/k8s-manifests.git",
            target_revision="release",
            path="apps/audio",
            namespace="media",
            prune=False,
            self_heal=False,
            allow_empty=True,
            retry_limit=2,
            backoff_duration="10s",
            backoff_max_duration="1m",
        ),
        ArgoApplicationSettings(
            name="web",
            repo_url="https://github.com/tonebridge/web-manifests.git",
            target_revision="main",
            path="web",
            namespace="frontend",
        ),
    ]
    settings = ArgoCdSettings(
        namespace="gitops",
        project="tonebridge-apps",
        server_replicas=1,
        repo_server_replicas=3,
        sso=ArgoSsoSettings(
            issuer="https://login.example.org",
            client_id="argocd",
            admin_groups=["platform"],
            readonly_groups=["developers", "support"],
            admin_enabled=True,
        ),
    )
    out = synth_alone(
        lambda stack: ArgoCd(stack, "argocd", settings, kubernetes_version="1.35", applications=apps),
        providers=("kubernetes", "helm"),
    )
    values = helm_values(out, "argocd")
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is True
    assert cm["oidc.config"].startswith("name: SSO\nissuer: https://login.example.org\nclientID: argocd\n")
    assert values["configs"]["rbac"]["policy.csv"] == (
        "g, platform, role:admin\ng, developers, role:readonly\ng, support, role:readonly"
    )
    assert values["configs"]["rbac"]["policy.default"] == ""
    assert values["configs"]["gpg"]["keys"] == {}
    assert values["server"]["replicas"] == 1 and values["repoServer"]["replicas"] == 3
    objects = {(o["kind"], o["metadata"]["name"]): o for o in helm_values(out, "argocd-applications")["resources"]}
    project = objects[("AppProject", "tonebridge-apps")]["spec"]
    assert "signatureKeys" not in project
    assert project["sourceRepos"] == [
        "https://github.com/tonebridge/k8s-manifests.git",
        "https://github.com/tonebridge/web-manifests.git",
    ]
    assert [d["namespace"] for d in project["destinations"]] == ["frontend", "media"]
    audio = objects[("Application", "audio")]["spec"]
    assert audio["project"] == "tonebridge-apps"
    assert audio["syncPolicy"]["automated"] == {"prune": False, "selfHeal": False, "allowEmpty": True}
    assert audio["syncPolicy"]["retry"] == {
        "limit": 2,
        "backoff": {"duration": "10s", "factor": 2, "maxDuration": "1m"},
    }
    assert objects[("Application", "web")]["spec"]["syncPolicy"]["automated"]["prune"] is True
    assert json.dumps(objects[("Application", "web")]).count("gitops") == 1  # metadata.namespace only


def test_istio_with_a_single_replica_gateway_of_its_own_name_and_no_strict_mtls():
    from tonebridge.constructs.istio import Istio, IstioProps
    from tonebridge.props.istio import Autoscale, IstioSettings
    from tonebridge.props.types import ContainerResources

    resources_ = ContainerResources(cpu_request="100m", memory_request="128Mi", cpu_limit="1", memory_limit="1Gi")
    props = IstioProps(
        kubernetes_version="1.35",
        settings=IstioSettings(
            istiod_resources=resources_,
            proxy_resources=resources_,
            gateway_resources=resources_,
            cni_resources=resources_,
            istiod_autoscale=Autoscale(min=1, max=3),
            gateway_autoscale=Autoscale(min=1, max=4),
        ),
        gateway_name="edge-gateway",
        node_selector={"workload": "system"},
    )
    out = synth_alone(lambda stack: Istio(stack, "istio", props), providers=("kubernetes", "helm"))
    releases = {r["name"] for r in resources(out, "helm_release").values()}
    assert releases == {"istio-base", "istio-cni", "istiod", "edge-gateway"}  # no PeerAuthentication release
    istiod = helm_values(out, "istiod")
    assert (istiod["autoscaleMin"], istiod["autoscaleMax"], istiod["replicaCount"]) == (1, 3, 1)
    assert istiod["nodeSelector"] == {"workload": "system"}
    gateway = helm_values(out, "edge-gateway")
    assert gateway["autoscaling"]["minReplicas"] == 1 and gateway["autoscaling"]["maxReplicas"] == 4
    assert "podDisruptionBudget" not in gateway  # one replica may go: a budget would block every drain
    assert gateway["topologySpreadConstraints"][0]["labelSelector"] == {"matchLabels": {"app": "edge-gateway"}}

"""The observability stack alone, with settings the environment files do not use (logs off, the system pool,
two Grafanas, other Vault paths, no node range), and the feature's branches (off, no secrets path): the
construct takes the configuration's settings object as it is, beside the wiring the stack resolves."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.construct_harness import helm_values, manifests, synth_alone

VAULT = SimpleNamespace(address="https://vault.vault.svc:8200", ca_bundle_secret="vault-ca")  # noqa: S106 - a secret's name
AUTH = SimpleNamespace(auth_mount="k8s", audience="vault-tokens")
SYSTEM = {"workload": "system"}


def _settings():
    from tonebridge.props.observability import ObservabilitySettings

    return ObservabilitySettings.model_validate(
        {
            "enabled": True,
            "namespace": "metrics",
            "agents_namespace": "host-agents",
            "vault_role": "metrics",
            "node_pool": "system",
            "dashboards": {"replicas": 2, "admin": {"mount": "kv", "path": "ops/grafana"}},
            "metrics": {"scrape_ports": [15020, 9121], "receiver": {"webhook": {"path": "ops/pager"}}},
            "logs": {"enabled": False},
        }
    )


def test_observability_stack_without_logs_on_the_system_pool():
    from tonebridge.constructs.observability import MonitoredCluster, ObservabilityStack

    cluster = MonitoredCluster("1.35", [{"workload": "application"}, SYSTEM], scrape_namespaces=["production"])
    built = {}

    def build(stack):
        built["obs"] = ObservabilityStack(stack, "observability", _settings(), cluster, VAULT, AUTH)

    out = synth_alone(build, providers=("kubernetes", "helm"))
    obs = built["obs"]
    assert obs.logs is None and obs.operator_release is None and obs.isolation is None
    releases = {r["name"]: r for r in out["resource"]["helm_release"].values()}
    assert "elastic-operator" not in releases and "elastic-stack" not in releases
    assert releases["kube-prometheus-stack"]["namespace"] == "metrics"
    values = helm_values(out, "kube-prometheus-stack")
    assert values["grafana"]["replicas"] == 2
    assert values["prometheus"]["prometheusSpec"]["nodeSelector"] == SYSTEM
    assert values["prometheus-node-exporter"]["namespaceOverride"] == "host-agents"
    secrets = {name: o["spec"] for (kind, name), o in obs.objects.items() if kind == "VaultStaticSecret"}
    assert (secrets["grafana-admin"]["mount"], secrets["grafana-admin"]["path"]) == ("kv", "ops/grafana")
    assert (secrets["alertmanager-webhook"]["mount"], secrets["alertmanager-webhook"]["path"]) == (
        "secret",
        "ops/pager",
    )
    auth = obs.objects[("VaultAuth", "monitoring-vault-auth")]["spec"]
    assert auth["mount"] == "k8s" and auth["kubernetes"]["role"] == "metrics"
    assert auth["kubernetes"]["audiences"] == ["vault-tokens"]
    objects = manifests(out)
    assert objects[("Namespace", "host-agents")]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "privileged"
    )
    policy = objects[("NetworkPolicy", "allow-monitoring-scrape")]
    assert policy["metadata"]["namespace"] == "production"
    assert [p["port"] for p in policy["spec"]["ingress"][0]["ports"]] == [15020, 9121]


def test_monitored_cluster_refuses_a_pool_it_lacks():
    from tonebridge.constructs.observability import MonitoredCluster

    cluster = MonitoredCluster("1.35", [{"workload": "application"}])
    with pytest.raises(ValueError, match="management pool, which this cluster lacks"):
        cluster.placement("management")
    assert MonitoredCluster("1.35", [SYSTEM]).placement("system")[0] == SYSTEM


def test_the_feature_is_off_or_needs_the_secrets_path():
    from tonebridge.constructs.observability import MonitoredCluster
    from tonebridge.features.observability import add_observability
    from tonebridge.props.observability import ObservabilitySettings

    cluster = MonitoredCluster("1.35", [SYSTEM])
    base = SimpleNamespace(namespace_objects=lambda names: [], storage_class_objects=lambda names: [])
    mesh = SimpleNamespace(istio=None, load_balancer_controller=None)
    assert add_observability(None, ObservabilitySettings(), cluster, base, mesh, None, AUTH) is None
    with pytest.raises(ValueError, match="platform secrets must be enabled"):
        add_observability(None, _settings(), cluster, base, mesh, None, AUTH)


def test_scrape_targets_follow_the_mesh():
    from tonebridge.features.observability import scrape_targets

    bare = scrape_targets(SimpleNamespace(istio=None, load_balancer_controller=None))
    assert [t.name for t in bare] == ["coredns", "cert-manager"]
    istio = SimpleNamespace(namespace=SimpleNamespace(name="mesh"), cni_namespace=SimpleNamespace(name="mesh-cni"))
    full = scrape_targets(SimpleNamespace(istio=istio, load_balancer_controller=object()))
    assert [(t.name, t.namespace) for t in full[2:]] == [
        ("istiod", "mesh"),
        ("istio-ingressgateway", "mesh"),
        ("istio-cni", "mesh-cni"),
        ("aws-load-balancer-controller", "kube-system"),
    ]


def test_kibana_takes_its_resources_from_the_settings():
    """A setting added to the settings model reaches the object the construct renders, with no mapping between."""
    from tonebridge.constructs.observability.logs import kibana
    from tonebridge.props.observability import LogsSettings
    from tonebridge.props.types import ContainerResources

    default = kibana(LogsSettings())["spec"]["podTemplate"]["spec"]["containers"][0]["resources"]
    assert default == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    sized = ContainerResources(cpu_request="1", memory_request="2Gi", cpu_limit="2", memory_limit="2Gi")
    (container,) = kibana(LogsSettings(kibana_resources=sized))["spec"]["podTemplate"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }

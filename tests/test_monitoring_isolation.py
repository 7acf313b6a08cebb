"""The monitoring namespace behind a default deny (issue 19): its flows are declared, each has its
NetworkPolicy on the synthesized platform stacks, and nothing else gets in or out. The fit check
(tests/test_fit.py) proves the same on the rendered charts; these assert the synthesized JSON."""

from __future__ import annotations

import pytest

from tonebridge.config import load_selected
from tonebridge.flows import Endpoint, Flow, flows_of, pods
from tools.fit import network
from tools.fit.model import ClusterView
from tools.kube_objects import objects_of

PLATFORMS = [
    ("production", "us-west-2"),
    ("production", "us-east-1"),
    ("local", "us-west-2"),
    ("local", "us-east-1"),
]
PROMETHEUS = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kube-prometheus-stack-prometheus"}
GRAFANA = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"}
OPERATOR = {"app": "kube-prometheus-stack-operator", "release": "kube-prometheus-stack"}


def _vpc_cidr(env: str, region: str) -> str:
    (config,) = [e for e in load_selected() if e.name == env]
    return str(config.network[region].vpc_cidr)


def _policies(stack: dict, namespace: str = "monitoring") -> dict[str, dict]:
    return {
        o["metadata"]["name"]: o
        for o in objects_of(stack)
        if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace
    }


def _view(stack: dict) -> ClusterView:
    objects = [o for o in objects_of(stack) if o["kind"] in ("Namespace", "NetworkPolicy")]
    view = ClusterView(env="test", region="test", kubernetes_version="1.35", objects=objects)
    view.workloads = []
    return view


@pytest.fixture(scope="module", params=PLATFORMS, ids=lambda p: "-".join(p))
def platform(request, stacks):
    env, region = request.param
    return env, region, stacks[f"{env}-{region}-platform"]


def test_monitoring_denies_by_default_and_resolves_names(platform):
    _, _, stack = platform
    policies = _policies(stack)
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (dns,) = policies["allow-dns"]["spec"]["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}


@pytest.mark.integration  # runs network-config-analyzer
def test_every_declared_monitoring_flow_is_admitted_by_both_ends(platform):
    """Each flow with an end in monitoring (the stack's own, the scrapes of isolated namespaces, the data
    tier's) is admitted by the synthesized policies, as network-config-analyzer evaluates them."""
    _, _, stack = platform
    flows = [f for f in flows_of(stack) if "monitoring" in (f.source.namespace, f.destination.namespace)]
    assert len(flows) >= 25
    assert network.check(_view(stack), flows, []) == []


def test_node_addresses_and_the_control_plane_are_the_vpc_range(platform):
    """Kubelets, node-exporter (host network) and the API server's interfaces: the configured VPC range,
    each on its port; the API server calls the operator's webhook from there."""
    env, region, stack = platform
    vpc = _vpc_cidr(env, region)
    flows = {f.describe(): f for f in flows_of(stack)}
    to_nodes = {(f.source.name, f.port) for f in flows.values() if f.destination.cidr == vpc}
    assert {("prometheus", 10250), ("prometheus", 9100), ("prometheus", 443)} <= to_nodes
    assert {("prometheus-operator", 443), ("kube-state-metrics", 443), ("grafana", 443)} <= to_nodes
    webhook = _policies(stack)["in-prometheus-operator"]["spec"]
    assert webhook["podSelector"] == {"matchLabels": OPERATOR}
    assert {"from": [{"ipBlock": {"cidr": vpc}}], "ports": [{"protocol": "TCP", "port": 10250}]} in webhook["ingress"]


def test_monitoring_has_no_allow_all_egress_or_ingress(platform):
    """Every rule names its peers and ports; the one range beyond the VPC is Alertmanager's HTTPS to its receiver."""
    env, region, stack = platform
    for name, policy in _policies(stack).items():
        spec = policy["spec"]
        for rule in [*spec.get("egress", []), *spec.get("ingress", [])]:
            assert rule.get("ports"), name
            assert rule.get("to", rule.get("from")), name
            assert {} not in rule.get("to", rule.get("from")), name
        for rule in spec.get("egress", []):
            blocks = [peer["ipBlock"]["cidr"] for peer in rule["to"] if "ipBlock" in peer]
            if "0.0.0.0/0" in blocks:
                assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "alertmanager", name
                assert rule["ports"] == [{"protocol": "TCP", "port": 443}], name
            else:
                assert all(b == _vpc_cidr(env, region) for b in blocks), name


@pytest.mark.integration  # runs network-config-analyzer
def test_nothing_undeclared_reaches_grafana_or_prometheus(platform):
    """Negative: an application pod (behind its own default deny), or a pod of an open namespace, cannot
    reach Grafana or Prometheus: no flow declares it, so monitoring's ingress refuses it."""
    _, _, stack = platform
    grafana = Endpoint("grafana", namespace="monitoring", pod_labels=GRAFANA)
    prometheus = Endpoint("prometheus", namespace="monitoring", pod_labels=PROMETHEUS)
    intruders = [pods("api-gateway", "production", app="api-gateway"), pods("webhook", "cert-manager", app="webhook")]
    flows = [
        Flow(i, target, port, "not declared")
        for i in intruders
        for target, port in ((grafana, 3000), (prometheus, 9090))
    ]
    problems = network.check(_view(stack), flows, [])
    assert len(problems) == len(flows)
    assert all("no NetworkPolicy in monitoring admits ingress" in p.why for p in problems)


@pytest.mark.integration  # runs network-config-analyzer
def test_prometheus_egress_is_limited_to_declared_ports(stacks):
    """Negative: Prometheus reaches an isolated namespace on its metrics ports only (not Redis's 6379), and
    nothing outside the VPC."""
    stack = stacks["production-us-west-2-platform"]
    prometheus = Endpoint("prometheus", namespace="monitoring", pod_labels=PROMETHEUS)
    flows = [
        Flow(prometheus, pods("redis", "redis", **{"app": "redis"}), 6379, "not declared"),
        Flow(prometheus, Endpoint("anywhere", cidr="8.8.8.8/32"), 443, "not declared"),
    ]
    problems = network.check(_view(stack), flows, [])
    assert len(problems) == 2
    assert all("no NetworkPolicy in monitoring admits egress" in p.why for p in problems)


def test_per_end_policies_hold_every_rule_of_their_end_and_refuse_a_name_shared_by_two_selectors():
    from tonebridge.constructs.flow_policies import flow_policies

    prom = pods("prometheus", "monitoring", app="prometheus")
    nodes = Endpoint("nodes", cidr="10.0.0.0/16")
    flows = [Flow(prom, nodes, 10250, "kubelet"), Flow(prom, nodes, 9100, "node-exporter")]
    (policy,) = flow_policies("monitoring", flows, per_end=True)
    assert policy["metadata"]["name"] == "out-prometheus"
    assert [r["ports"][0]["port"] for r in policy["spec"]["egress"]] == [10250, 9100]
    assert len(flow_policies("monitoring", flows)) == 2  # per flow end and port
    impostor = Flow(pods("prometheus", "monitoring", app="other"), nodes, 443, "api")
    with pytest.raises(ValueError, match="two flow ends named for policy out-prometheus select different pods"):
        flow_policies("monitoring", [*flows, impostor], per_end=True)


def test_admit_adds_only_the_new_flows_of_its_namespace_beside_the_existing_policies():
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

    from tonebridge.constructs.flow_policies import FlowIsolation

    stack = TerraformStack(App(), "isolation")
    KubernetesProvider(stack, "kubernetes")
    prom = pods("prometheus", "monitoring", app="prometheus")
    scrape = Flow(prom, pods("redis", "redis", app="redis"), 9121, "exporter")
    isolation = FlowIsolation(stack, "monitoring", "monitoring", [Flow(prom, prom, 9090, "self")], per_end=True)
    other = Flow(pods("a", "production", app="a"), pods("b", "production", app="b"), 80, "elsewhere")
    added = isolation.admit([scrape, Flow(prom, prom, 9090, "self"), other])
    assert [m.node.id for m in added] == ["networkpolicy-monitoring-out-prometheus-declared"]
    assert isolation.admit([scrape]) == []

"""Rule ``network``: declared flows are admitted by both ends' NetworkPolicies (network-config-analyzer
evaluates them), and nothing undeclared is admitted between application namespaces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tonebridge.flows import Endpoint, Flow, flows_of, pods
from tools.fit import nca, network
from tools.fit.model import ClusterView, Workload

REDIS_OPERATOR = Endpoint("redis-operator", namespace="redis-operator", pod_labels={"name": "redis-operator"})
REDIS = pods("redis", "production", app="redis")
OPERATES = Flow(REDIS_OPERATOR, REDIS, 6379, "operator manages the cluster")


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata, "spec": spec}


def _default_deny(namespace: str) -> dict[str, Any]:
    return _policy(namespace, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def _from_namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _workload(namespace: str, name: str, labels: dict[str, str], *ports: int) -> Workload:
    container = {"name": name, "image": name, "ports": [{"containerPort": p, "protocol": "TCP"} for p in ports]}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    return Workload(kind="StatefulSet", namespace=namespace, name=name, template=template)


def _view(*objects: dict[str, Any], workloads: tuple[Workload, ...] = ()) -> ClusterView:
    view = ClusterView(env="production", region="us-west-2", kubernetes_version="1.35", objects=list(objects))
    view.workloads = list(workloads)
    return view


def _redis_view(*policies: dict[str, Any]) -> ClusterView:
    redis = _workload("production", "redis-leader", {"app": "redis"}, 6379, 16379)
    namespaces = (_namespace("production"), _namespace("redis-operator"))
    return _view(*namespaces, _default_deny("production"), *policies, workloads=(redis,))


def _lines(view: ClusterView, flows: list[Flow], application: list[str]) -> list[str]:
    return [p.line() for p in network.check(view, flows, application)]


@pytest.mark.integration
def test_a_flow_the_destination_refuses_is_denied_and_says_which_end():
    assert _lines(_redis_view(), [OPERATES], ["production"]) == [
        "production/us-west-2: production/flow/redis-operator-to-redis: network: redis-operator -> redis:6379/TCP "
        "(operator manages the cluster) is denied: no NetworkPolicy in production admits ingress from redis-operator"
    ]


@pytest.mark.integration
def test_a_flow_both_ends_admit_passes():
    admit = {
        "podSelector": {"matchLabels": {"app": "redis"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [_from_namespace("redis-operator")], "ports": [{"protocol": "TCP", "port": 6379}]}],
    }
    assert _lines(_redis_view(_policy("production", "redis", admit)), [OPERATES], ["production"]) == []


@pytest.mark.integration
def test_a_flow_between_replicas_needs_both_directions_of_the_same_workload():
    bus = Flow(REDIS, REDIS, 16379, "cluster bus")
    ingress_only = {
        "podSelector": {"matchLabels": {"app": "redis"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "redis"}}}], "ports": [{"port": 16379}]}],
    }
    assert _lines(_redis_view(_policy("production", "redis-bus", ingress_only)), [bus], ["production"]) == [
        "production/us-west-2: production/flow/redis-to-redis: network: redis -> redis:16379/TCP (cluster bus) "
        "is denied: no NetworkPolicy in production admits egress to redis:16379/TCP"
    ]
    both = {**ingress_only, "policyTypes": ["Ingress", "Egress"], "egress": [{"to": [{"podSelector": {}}]}]}
    assert _lines(_redis_view(_policy("production", "redis-bus", both)), [bus], ["production"]) == []


@pytest.mark.integration
def test_an_undeclared_flow_between_application_namespaces_is_reported():
    # ci-builds may reach anything in staging on 8080, staging admits ci-builds: the agents reach the gateway,
    # which nobody declared.
    egress = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [_from_namespace("staging")]}]}
    ingress = {
        "podSelector": {"matchLabels": {"app": "api-gateway"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [_from_namespace("ci-builds")], "ports": [{"protocol": "TCP", "port": 8080}]}],
    }
    view = _view(
        _namespace("staging"),
        _namespace("ci-builds"),
        _default_deny("staging"),
        _default_deny("ci-builds"),
        _policy("ci-builds", "agents", egress),
        _policy("staging", "integration-tests", ingress),
        workloads=(
            _workload("ci-builds", "agent", {"jenkins": "agent"}),
            _workload("staging", "api-gateway", {"app": "api-gateway"}, 8080, 9090),
        ),
    )
    assert _lines(view, [], ["ci-builds", "staging"]) == [
        "production/us-west-2: staging/flow/agent-to-api-gateway: network: undeclared flow admitted: "
        "ci-builds/agent -> staging/api-gateway on 8080/TCP: no flow declares it; declare it next to its "
        "construct or narrow the NetworkPolicies that admit it"
    ]
    tests = Flow(
        pods("agents", "ci-builds", jenkins="agent"), pods("gateway", "staging", app="api-gateway"), 8080, "tests"
    )
    assert _lines(view, [tests], ["ci-builds", "staging"]) == []


@pytest.mark.integration
def test_ip_block_egress_decides_flows_to_an_external_cidr():
    s3 = Flow(pods("postgres", "staging", app="postgres"), Endpoint("s3", cidr="52.218.128.0/17"), 443, "WAL archive")

    def view(cidr: str, exceptions: list[str]) -> ClusterView:
        egress = {
            "podSelector": {"matchLabels": {"app": "postgres"}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": cidr, "except": exceptions}}], "ports": [{"port": 443}]}],
        }
        return _view(_namespace("staging"), _default_deny("staging"), _policy("staging", "postgres", egress))

    assert _lines(view("0.0.0.0/0", ["10.0.0.0/8"]), [s3], ["staging"]) == []
    assert _lines(view("0.0.0.0/0", ["52.218.192.0/18"]), [s3], ["staging"]) == [
        "production/us-west-2: staging/flow/postgres-to-s3: network: postgres -> s3:443/TCP (WAL archive) "
        "is denied: no NetworkPolicy in staging admits egress to s3:443/TCP"
    ]


@pytest.mark.integration
def test_nca_answers_are_read_whole_port_ranges_named_ports_and_several_lines_per_pair():
    """NCA prints a pair once per distinct set of connections; every line counts."""
    spec = {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"ports": [{"protocol": "TCP", "port": 8000, "endPort": 8010}, {"protocol": "UDP"}, {"port": "http"}]}
        ],
    }
    server = nca.NcaPod("a", "server", {"app": "server"}, (("http", 8080, "TCP"),))
    client = nca.NcaPod("b", "client", {"app": "client"})
    namespaces = {"a": {}, "b": {}}
    ingress = nca.connectivity(namespaces, [server, client], [_policy("a", "p", spec)]).ingress
    admitted = [
        (proto, port)
        for proto, port in [("TCP", 8005), ("TCP", 8080), ("UDP", 53), ("TCP", 9000), ("SCTP", 1)]
        if ingress.admits("b/client", "a/server", proto, port)
    ]
    assert admitted == [("TCP", 8005), ("TCP", 8080), ("UDP", 53)]


def test_nca_complement_answers_are_read_as_complements():
    everything_but_ssh = nca.Connections.parse("All but {protocols:TCP,dst_ports:22}")
    assert not everything_but_ssh.admits("TCP", 22)
    assert everything_but_ssh.admits("TCP", 443) and everything_but_ssh.admits("UDP", 22)
    assert nca.Connections.parse("{protocols:all but TCP}").admits("UDP", 53)
    assert not nca.Connections.parse("{protocols:all but TCP}").admits("TCP", 53)


def test_a_missing_nca_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(nca, "NCA_PYTHON", tmp_path / "python")
    with pytest.raises(RuntimeError, match="run make install"):
        nca.connectivity({}, [], [])


def test_network_isolation_declares_the_flows_its_policies_exist_for(tmp_path):
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

    from tonebridge.constructs.network_policies import ISTIOD, NetworkIsolation, NetworkIsolationProps, ServiceTraffic

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "isolation")
    KubernetesProvider(stack, "kubernetes")
    services = [
        ServiceTraffic("web", 8080, from_namespaces=["istio-system"], to_services=["api"]),
        ServiceTraffic("api", 8000, from_services=["web"]),
    ]
    NetworkIsolation(stack, "isolation", NetworkIsolationProps("team", services, mesh_control_plane=ISTIOD))
    app.synth()  # Testing.synth leaves out the stack's own overrides, where the declarations travel
    declared = {f.describe() for f in flows_of(json.loads((tmp_path / "stacks/isolation/cdk.tf.json").read_text()))}
    assert declared == {
        "team -> kube-dns:53/UDP (cluster DNS)",
        "team -> kube-dns:53/TCP (cluster DNS)",
        "team -> istiod:15012/TCP (sidecars fetch configuration and certificates)",
        "istio-system -> web:8080/TCP (service graph of team)",
        "web -> api:8000/TCP (service graph of team)",
    }


@pytest.mark.integration
def test_production_admits_the_spec_service_graph(stacks):
    """§8.1 on the synthesized production platform: the gateway reaches api-gateway, which reaches
    llm-service and auth-service; DNS and istiod stay reachable from behind the default deny."""
    from tools.kube_objects import objects_of

    stack = stacks["production-us-west-2-platform"]
    objects = [o for o in objects_of(stack) if o["kind"] in ("Namespace", "NetworkPolicy")]
    flows = flows_of(stack)
    spec = {
        "istio-system -> api-gateway:8080/TCP (service graph of production)",
        "api-gateway -> llm-service:8000/TCP (service graph of production)",
        "api-gateway -> auth-service:8001/TCP (service graph of production)",
        "production -> kube-dns:53/UDP (cluster DNS)",
        "production -> istiod:15012/TCP (sidecars fetch configuration and certificates)",
    }
    assert spec <= {f.describe() for f in flows}
    problems = network.check(_view(*objects), flows, ["ci", "ci-builds", "production", "staging"])
    denied = [p.line() for p in problems if any(p.why.startswith(f"{s} is denied") for s in spec)]
    assert denied == []


@pytest.mark.integration  # runs network-config-analyzer
def test_a_flow_naming_host_network_pods_by_labels_is_a_problem():
    """node-exporter runs on the host network: NetworkPolicies never select it, so a pod-selector flow to it
    proves nothing; the flow must name the nodes' range."""
    exporter = _workload("node-agents", "node-exporter", {"app": "node-exporter"}, 9100)
    exporter.template["spec"]["hostNetwork"] = True
    prometheus = pods("prometheus", "monitoring", app="prometheus")
    by_labels = Flow(prometheus, pods("node-exporter", "node-agents", app="node-exporter"), 9100, "scrape")
    by_cidr = Flow(prometheus, Endpoint("nodes", cidr="10.0.0.0/16"), 9100, "scrape")
    view = _view(_namespace("monitoring"), _namespace("node-agents"), workloads=(exporter,))
    (line,) = _lines(view, [by_labels], [])
    assert "names host-network pods (statefulset/node-exporter) by pod labels" in line
    assert line.startswith("production/us-west-2: node-agents/flow/prometheus-to-node-exporter: network:")
    assert _lines(view, [by_cidr], []) == []

"""Rule ``gateway``: every Istio gateway that is sent traffic listens on the port it is sent to.

An Istio gateway deployment (pods injected with the ``gateway`` template, as the gateway chart makes them) is
a bare Envoy: istiod gives it a listener only for the servers of the ``networking.istio.io`` ``Gateway``
objects whose selector matches its pods. Traffic reaches it through a Service: from the ALB by a
TargetGroupBinding (target type ip: straight to the pods' target port), or as a LoadBalancer/NodePort
Service. For each such port, a Gateway selecting the pods must have a server on the Service port or on the
pod port it maps to (Istio translates a Service port to its targetPort); otherwise connections are refused
while the readiness port (15021, served by the proxy itself) keeps every health check green. Ports the
proxy serves on its own (Istio's reserved 150xx ports) need no Gateway.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tools.fit.model import ClusterView, Problem, Workload
from tools.fit.webhooks import backends, container_port, service_port

RULE = "gateway"
NETWORKING_GROUP = "networking.istio.io"
#: Ports the Istio proxy serves itself (Istio's "Ports used by Istio"): admin, outbound/inbound capture,
#: HBONE, merged metrics, health, DNS, Envoy's Prometheus endpoint.
PROXY_PORTS = frozenset({15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090})
#: The injection template the gateway chart (and Istio's gateway docs) give gateway pods.
GATEWAY_TEMPLATE = "gateway"


def is_gateway(workload: Workload) -> bool:
    annotations = workload.template.get("metadata", {}).get("annotations") or {}
    templates = str(annotations.get("inject.istio.io/templates", "")).split(",")
    return GATEWAY_TEMPLATE in (t.strip() for t in templates)


def listening_ports(view: ClusterView, workload: Workload) -> set[int]:
    """Ports of the servers of every Gateway whose selector matches the workload's pods (a Gateway without a
    selector selects nothing here: istiod would apply it to every gateway, which is never what is meant)."""
    labels = workload.pod_labels
    ports = set()
    for gateway in view.of_kind("Gateway", NETWORKING_GROUP):
        selector: Mapping[str, str] = gateway.get("spec", {}).get("selector") or {}
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            ports |= {int(s["port"]["number"]) for s in gateway["spec"].get("servers") or [] if s.get("port")}
    return ports


def _traffic(view: ClusterView, workload: Workload) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(who sends, Service, its port entry) for each way traffic reaches the gateway's pods."""
    for service in view.of_kind("Service", ""):
        if workload not in backends(view, service):
            continue
        name, namespace = service["metadata"]["name"], service["metadata"].get("namespace")
        for binding in view.of_kind("TargetGroupBinding", "elbv2.k8s.aws"):
            ref = binding.get("spec", {}).get("serviceRef") or {}
            if binding["metadata"].get("namespace") == namespace and ref.get("name") == name:
                entry = service_port(service, ref.get("port"))
                if entry is not None:
                    yield f"TargetGroupBinding {binding['metadata']['name']}", service, entry
        if service.get("spec", {}).get("type") in ("LoadBalancer", "NodePort"):
            for entry in service["spec"].get("ports") or []:
                yield f"{service['spec']['type']} Service", service, entry


def check(view: ClusterView) -> list[Problem]:
    problems = []
    for workload in view.workloads:
        if not is_gateway(workload):
            continue
        listening = listening_ports(view, workload)
        for sender, service, entry in _traffic(view, workload):
            pod_port = container_port(workload, entry.get("targetPort", entry["port"]))
            if pod_port in PROXY_PORTS or entry["port"] in listening or pod_port in listening:
                continue
            why = (
                f"{sender} sends traffic to Service {service['metadata']['name']} port {entry['port']}"
                f" (pod port {pod_port}), but no networking.istio.io Gateway selecting its pods has a server"
                " on that port: the gateway has no listener there and refuses every connection"
            )
            problems.append(view.problem(workload.namespace, workload.ref, RULE, why))
    return problems

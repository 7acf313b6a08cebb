"""Rule ``network``: every declared flow is admitted by the NetworkPolicies of both ends, and between
application namespaces (those behind a default deny) nothing else is.

The policies are evaluated by network-config-analyzer (:mod:`tools.fit.nca`), never by a
matcher of our own: this module only decides which pods exist and which pairs to ask about. Pods
are one representative per workload (the labels and container ports of its admitted template, so
Istio's sidecar ports are there; all replicas of a controller look alike to a NetworkPolicy). A
flow's end may name pods no workload in the view has (applications Argo CD deploys, the EKS
add-ons' CoreDNS): a representative pod stands in for them, serving the flows' ports. A flow
between pods of one workload (a Redis cluster's bus) is asked between two replicas, since
NetworkPolicies hold between replicas too. Host-network pods (node-exporter) are outside the pod
network: NetworkPolicies never select them, so a flow must reach them as the nodes' range (a CIDR end),
and one naming them by pod labels is a problem.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tonebridge.flows import Endpoint, Flow
from tools.fit.model import ClusterView, Problem, object_ref
from tools.fit.mutation import admitted_template
from tools.fit.nca import Connectivity, NcaPod, connectivity

RULE = "network"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"


@dataclass
class _Pod:
    """A pod NCA is asked about; ``origin`` says what it stands for (a workload, or a flow's end)."""

    namespace: str
    name: str
    labels: dict[str, str]
    origin: str
    ports: dict[tuple[int, str], str | None] = field(default_factory=dict)  # (port, protocol) -> port name
    host_network: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def nca(self) -> NcaPod:
        ports = tuple((name, port, protocol) for (port, protocol), name in sorted(self.ports.items()))
        return NcaPod(self.namespace, self.name, dict(self.labels), ports)


def _container_ports(template: Mapping[str, Any]) -> dict[tuple[int, str], str | None]:
    """The ports a pod's containers serve (init containers too: Istio's native sidecar is one)."""
    ports: dict[tuple[int, str], str | None] = {}
    spec = template.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for port in container.get("ports") or []:
            ports[(int(port["containerPort"]), port.get("protocol", "TCP"))] = port.get("name")
    return ports


def _selects(endpoint: Endpoint, pod: _Pod) -> bool:
    return pod.namespace == endpoint.namespace and all(pod.labels.get(k) == v for k, v in endpoint.pod_labels.items())


@dataclass
class _Pods:
    """The pods of one cluster view and which of them each flow end names."""

    pods: list[_Pod] = field(default_factory=list)
    twins: dict[str, _Pod] = field(default_factory=dict)

    def _unique(self, namespace: str, name: str) -> str:
        taken = {p.name for p in self.all() if p.namespace == namespace}
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}-{n}", n + 1
        return unique

    def add(self, namespace: str, name: str, labels: Mapping[str, str], origin: str) -> _Pod:
        pod = _Pod(namespace, self._unique(namespace, name), dict(labels), origin)
        self.pods.append(pod)
        return pod

    def members(self, endpoint: Endpoint) -> list[_Pod]:
        return [p for p in self.pods if _selects(endpoint, p)]

    def add_twin(self, pod: _Pod) -> None:
        """A second replica of ``pod``, for flows between replicas of one workload."""
        if pod.key not in self.twins:
            name = self._unique(pod.namespace, f"{pod.name}-replica")
            self.twins[pod.key] = _Pod(pod.namespace, name, dict(pod.labels), pod.origin, dict(pod.ports))

    @classmethod
    def of(cls, view: ClusterView, flows: Sequence[Flow]) -> _Pods:
        found = cls()
        for workload in view.workloads:
            template = admitted_template(view, workload)
            labels = (template.get("metadata") or {}).get("labels") or {}
            pod = found.add(workload.namespace, workload.name, labels, workload.ref)
            pod.ports = _container_ports(template)
            pod.host_network = bool((template.get("spec") or {}).get("hostNetwork"))
        ends = [e for f in flows for e in (f.source, f.destination) if e.is_pods]
        # Labelled ends first: a representative pod of ``app=api-gateway`` is one of every pod of its namespace.
        for end in sorted(ends, key=lambda e: not e.pod_labels):
            if end.namespace is not None and not found.members(end):
                found.add(end.namespace, end.name, end.pod_labels, f"flow end {end.name}")
        for flow in flows:
            if flow.destination.is_pods:
                for pod in found.members(flow.destination):
                    pod.ports.setdefault((flow.port, flow.protocol), None)
        for flow in flows:
            if flow.source.is_pods and flow.destination.is_pods:
                for pod in found.members(flow.source):
                    if pod in found.members(flow.destination):
                        found.add_twin(pod)
        return found

    def all(self) -> list[_Pod]:
        return [*self.pods, *self.twins.values()]


@dataclass(frozen=True)
class _Verdict:
    """One source pod (or CIDR) to one destination pod (or CIDR): which sides admit the flow."""

    source: str
    destination: str
    egress: bool
    ingress: bool


def _verdicts(flow: Flow, pods: _Pods, answer: Connectivity) -> list[_Verdict]:
    sources = pods.members(flow.source) if flow.source.is_pods else []
    destinations = pods.members(flow.destination) if flow.destination.is_pods else []
    proto, port = flow.protocol, flow.port
    if flow.destination.cidr is not None:
        network = ipaddress.ip_network(flow.destination.cidr, strict=False)
        return [
            _Verdict(s.origin, flow.destination.cidr, answer.egress.admits_to(s.key, network, proto, port), True)
            for s in sources
        ]
    if flow.source.cidr is not None:
        network = ipaddress.ip_network(flow.source.cidr, strict=False)
        return [
            _Verdict(flow.source.cidr, d.origin, True, answer.ingress.admits_from(network, d.key, proto, port))
            for d in destinations
        ]
    verdicts = []
    for s in sources:
        for d in destinations:
            target = pods.twins[s.key] if d is s else d
            egress = answer.egress.admits(s.key, target.key, proto, port)
            ingress = answer.ingress.admits(s.key, target.key, proto, port)
            verdicts.append(_Verdict(s.origin, d.origin, egress, ingress))
    return verdicts


def _flow_problem(view: ClusterView, flow: Flow, verdicts: Sequence[_Verdict]) -> Problem | None:
    denied = [v for v in verdicts if not (v.egress and v.ingress)]
    if not denied:
        return None
    src, dst = flow.source, flow.destination
    reasons = []
    if any(not v.egress for v in denied):
        reasons.append(f"no NetworkPolicy in {src.namespace} admits egress to {dst.name}:{flow.port}/{flow.protocol}")
    if any(not v.ingress for v in denied):
        reasons.append(f"no NetworkPolicy in {dst.namespace} admits ingress from {src.name}")
    which = ""
    if len(denied) < len(verdicts):
        which = " for " + ", ".join(sorted({f"{v.source} -> {v.destination}" for v in denied}))
    refusing = dst.namespace if any(not v.ingress for v in denied) else src.namespace
    obj = object_ref("flow", f"{src.name}-to-{dst.name}")
    return view.problem(refusing, obj, RULE, f"{flow.describe()} is denied{which}: {'; '.join(reasons)}")


def _host_network_ends(view: ClusterView, flow: Flow, pods: _Pods) -> list[Problem]:
    """A flow end naming host-network pods (node-exporter, the CNI's agents): no NetworkPolicy peer selects
    them, and their traffic leaves from and arrives at their node's address, so a pod-selector flow to or
    from them proves nothing; the end must be the nodes' range (a CIDR)."""
    problems = []
    for end in (flow.source, flow.destination):
        hosted = sorted({p.origin for p in pods.members(end) if p.host_network}) if end.is_pods else []
        if hosted:
            why = (
                f"{flow.describe()} names host-network pods ({', '.join(hosted)}) by pod labels: NetworkPolicies "
                "never select them and they use their node's address; declare that end as the nodes' CIDR"
            )
            problems.append(
                view.problem(
                    end.namespace, object_ref("flow", f"{flow.source.name}-to-{flow.destination.name}"), RULE, why
                )
            )
    return problems


def _undeclared(
    view: ClusterView, pods: _Pods, flows: Sequence[Flow], answer: Connectivity, namespaces: Sequence[str]
) -> list[Problem]:
    """Admitted connections between pods of application namespaces, on ports the destination serves, that
    no flow declares."""
    declared = {
        (s.key, d.key, f.port, f.protocol)
        for f in flows
        if f.source.is_pods and f.destination.is_pods
        for s in pods.members(f.source)
        for d in pods.members(f.destination)
    }
    isolated = [p for p in pods.pods if p.namespace in namespaces]
    problems = []
    for s in isolated:
        for d in isolated:
            if s.origin == d.origin:
                continue
            admitted = [
                f"{port}/{proto}"
                for port, proto in sorted(d.ports)
                if (s.key, d.key, port, proto) not in declared
                and answer.egress.admits(s.key, d.key, proto, port)
                and answer.ingress.admits(s.key, d.key, proto, port)
            ]
            if admitted:
                why = (
                    f"undeclared flow admitted: {s.key} -> {d.key} on {', '.join(admitted)}: no flow declares it; "
                    "declare it next to its construct or narrow the NetworkPolicies that admit it"
                )
                problems.append(view.problem(d.namespace, object_ref("flow", f"{s.name}-to-{d.name}"), RULE, why))
    return problems


def _namespaces(view: ClusterView, pods: Iterable[_Pod]) -> dict[str, dict[str, str]]:
    """The view's namespaces, and those flows name but the platform does not create (``kube-system``), with
    the label the API server puts on every namespace."""
    found = view.namespaces()
    for pod in pods:
        found.setdefault(pod.namespace, {NAMESPACE_LABEL: pod.namespace})
    return found


def check(view: ClusterView, flows: list[Flow], application_namespaces: list[str]) -> list[Problem]:
    """Problems of rule ``network`` in ``view``, for the ``flows`` its stack declares."""
    if not flows and not application_namespaces:
        return []
    pods = _Pods.of(view, flows)
    policies = view.of_kind("NetworkPolicy", "networking.k8s.io")
    answer = connectivity(_namespaces(view, pods.all()), [p.nca() for p in pods.all()], policies)
    problems = [p for f in flows if (p := _flow_problem(view, f, _verdicts(f, pods, answer)))]
    problems += [p for f in flows for p in _host_network_ends(view, f, pods)]
    return [*problems, *_undeclared(view, pods, flows, answer, application_namespaces)]

"""Network isolation of one namespace (spec §8.1): deny by default, then allow exactly the paths
the application needs.

* ``default-deny``: no pod of the namespace receives or sends anything that no other policy allows.
* ``allow-dns``: every pod may ask the cluster DNS (kube-dns, UDP and TCP 53) — without it no pod
  could resolve a service name.
* ``allow-mesh-control-plane`` (only where pods get Istio sidecars): every pod may reach istiod
  (TCP 15012: configuration over xDS and workload certificates). A sidecar cut off from istiod never
  becomes ready, so the default deny would otherwise take the whole namespace down.
* ``<service>-policy`` per service: who may connect to it (whole namespaces, or other services of
  the namespace) on its port, and which services it may call, on theirs. For spec §8.1 this gives
  ``api-gateway-policy`` exactly as the spec writes it, and llm-service and auth-service reachable
  only from api-gateway on 8000 and 8001. A service with ``external_https`` may also open HTTPS (443)
  connections to any address (:data:`ANYWHERE`): llm-service, which calls OpenAI's API.

Namespaces are selected by ``kubernetes.io/metadata.name``, which the API server sets on every
namespace and nobody can change (the spec's ``name: istio-system`` label exists only where someone
adds it); pods by ``app: <service>``, as the spec does. EKS enforces these policies through the VPC
CNI's network policy agent (``enableNetworkPolicy`` in tonebridge/constructs/cluster.py).

Each path a policy exists for is also declared as a flow (:mod:`tonebridge.flows`), so the cluster-fit
check proves the policies admit it, and that nothing else is admitted between isolated namespaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import Dependencies, kube_object
from tonebridge.flows import Endpoint, Flow
from tonebridge.kubeapi import DNS_LABEL

NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def _check_name(owner: str, name: str) -> None:
    if not DNS_LABEL.match(name):
        raise ValueError(f"{owner}: {name!r} is not a DNS label")


def _check_port(owner: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"{owner}: port {port} is outside 1-65535")


@dataclass(frozen=True)
class Peer:
    """Pods of another namespace that a whole namespace talks to (cluster DNS, the mesh's istiod).

    :param namespace: their namespace. :param pod_labels: their labels. :param port: their port.
    :param protocols: protocols on that port.
    """

    namespace: str
    pod_labels: Mapping[str, str]
    port: int
    protocols: Sequence[str] = ("TCP",)

    def __post_init__(self) -> None:
        _check_name("peer namespace", self.namespace)
        _check_port(f"peer {self.namespace}", self.port)
        if not self.pod_labels:
            raise ValueError(f"peer {self.namespace}: pod_labels must select the pods, not the whole namespace")
        if not self.protocols or set(self.protocols) - {"TCP", "UDP", "SCTP"}:
            raise ValueError(f"peer {self.namespace}: protocols must be TCP, UDP or SCTP")


#: CoreDNS on EKS: kube-system pods labelled k8s-app=kube-dns, UDP and TCP 53.
KUBE_DNS = Peer("kube-system", {"k8s-app": "kube-dns"}, 53, ("UDP", "TCP"))
#: Istio's control plane: istiod in istio-system, xDS and certificates on TCP 15012.
ISTIOD = Peer("istio-system", {"app": "istiod"}, 15012)
#: Where a service with ``external_https`` may connect on :data:`HTTPS`: any address, as Vault's and the
#: logical backup's "HTTPS anywhere" (the flow the fit check proves names the same range).
ANYWHERE = "0.0.0.0/0"
HTTPS = 443


@dataclass(frozen=True)
class ServiceTraffic:
    """One service (pods labelled ``app: <name>``) and its allowed connections.

    :param name: the service's ``app`` label. :param port: the container port it serves on (TCP).
    :param from_namespaces: namespaces whose pods may connect (the mesh's gateways, ...).
    :param from_services: services of the same namespace that may connect.
    :param to_services: services of the same namespace it may connect to, each on its own port.
    :param external_https: whether it may open HTTPS connections to any address (third-party APIs).
    """

    name: str
    port: int
    from_namespaces: Sequence[str] = ()
    from_services: Sequence[str] = ()
    to_services: Sequence[str] = ()
    external_https: bool = False

    def __post_init__(self) -> None:
        _check_name("service", self.name)
        _check_port(f"service {self.name}", self.port)
        for other in (*self.from_namespaces, *self.from_services, *self.to_services):
            _check_name(f"service {self.name}", other)


@dataclass(frozen=True)
class NetworkIsolationProps:
    """:param namespace: the namespace isolated.
    :param services: the service graph; each ``from_services`` / ``to_services`` must name one of them.
    :param dns: the cluster DNS every pod may query (default: kube-dns).
    :param mesh_control_plane: where sidecars fetch configuration and certificates; None where pods
        have no sidecars.
    """

    namespace: str
    services: Sequence[ServiceTraffic] = ()
    dns: Peer = KUBE_DNS
    mesh_control_plane: Peer | None = None

    def __post_init__(self) -> None:
        _check_name("namespace", self.namespace)
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.namespace}: service names must be distinct")
        for service in self.services:
            for other in (*service.from_services, *service.to_services):
                if other not in names:
                    raise ValueError(f"{self.namespace}: service {service.name} names {other!r}, not one of services")


def peer(namespace: str, pod_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Pods of ``namespace`` carrying ``pod_labels`` (every pod of it without labels)."""
    selected: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}}}
    if pod_labels:
        selected["podSelector"] = {"matchLabels": dict(pod_labels)}
    return selected


def _app_selector(name: str) -> dict:
    return {"podSelector": {"matchLabels": {"app": name}}}


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _peer_egress(target: Peer) -> list[dict]:
    """Egress to pods of another namespace: namespace and pod selector in one peer (both must match)."""
    to = peer(target.namespace, target.pod_labels)
    return [{"to": [to], "ports": [{"protocol": p, "port": target.port} for p in target.protocols]}]


def _peer_endpoint(target: Peer, name: str) -> Endpoint:
    return Endpoint(name, namespace=target.namespace, pod_labels=dict(target.pod_labels))


def isolation_flows(props: NetworkIsolationProps) -> list[Flow]:
    """The flows the policies of ``props`` exist for, each once."""
    everyone = Endpoint(props.namespace, namespace=props.namespace)
    flows = [
        Flow(everyone, _peer_endpoint(props.dns, "kube-dns"), props.dns.port, "cluster DNS", p)
        for p in props.dns.protocols
    ]
    if props.mesh_control_plane:
        istiod = _peer_endpoint(props.mesh_control_plane, "istiod")
        purpose = "sidecars fetch configuration and certificates"
        flows += [
            Flow(everyone, istiod, props.mesh_control_plane.port, purpose, p)
            for p in props.mesh_control_plane.protocols
        ]
    ports = {s.name: s.port for s in props.services}
    graph = f"service graph of {props.namespace}"

    def service(name: str) -> Endpoint:
        return Endpoint(name, namespace=props.namespace, pod_labels={"app": name})

    for s in props.services:
        flows += [Flow(Endpoint(n, namespace=n), service(s.name), s.port, graph) for n in s.from_namespaces]
        flows += [Flow(service(n), service(s.name), s.port, graph) for n in s.from_services]
        flows += [Flow(service(s.name), service(n), ports[n], graph) for n in s.to_services]
        if s.external_https:
            external = Endpoint("https anywhere", cidr=ANYWHERE)
            flows.append(Flow(service(s.name), external, HTTPS, f"external HTTPS APIs of {s.name}"))
    unique = {repr(sorted(f.to_json().items())): f for f in flows}
    return list(unique.values())


class NetworkIsolation(Construct):
    """Attributes: ``policies`` (policy name -> kubernetes_manifest), ``flows`` (what they exist for, declared)."""

    def __init__(
        self, scope: Construct, id_: str, props: NetworkIsolationProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, id_)
        self._namespace = props.namespace
        self._depends_on = depends_on
        self.policies: dict[str, Manifest] = {}
        everyone: dict = {}
        self._policy("default-deny", everyone, ["Ingress", "Egress"])
        self._policy("allow-dns", everyone, ["Egress"], egress=_peer_egress(props.dns))
        if props.mesh_control_plane:
            mesh = _peer_egress(props.mesh_control_plane)
            self._policy("allow-mesh-control-plane", everyone, ["Egress"], egress=mesh)
        ports = {s.name: s.port for s in props.services}
        for service in props.services:
            sources = [peer(n) for n in service.from_namespaces]
            sources += [_app_selector(n) for n in service.from_services]
            ingress = [{"from": sources, "ports": tcp(service.port)}] if sources else []
            egress = [{"to": [_app_selector(n)], "ports": tcp(ports[n])} for n in service.to_services]
            if service.external_https:
                egress.append({"to": [{"ipBlock": {"cidr": ANYWHERE}}], "ports": tcp(HTTPS)})
            types = ["Ingress", "Egress"] if egress else ["Ingress"]
            self._policy(f"{service.name}-policy", {"matchLabels": {"app": service.name}}, types, ingress, egress)
        self.flows = isolation_flows(props)
        declare_flows(self, self.flows)

    def _policy(
        self,
        name: str,
        pods: dict,
        types: list[str],
        ingress: list[dict] | None = None,
        egress: list[dict] | None = None,
    ) -> None:
        spec: dict = {"podSelector": pods, "policyTypes": types}
        if ingress:
            spec["ingress"] = ingress
        if egress:
            spec["egress"] = egress
        obj = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": self._namespace},
            "spec": spec,
        }
        self.policies[name] = kube_object(self, obj, depends_on=self._depends_on)

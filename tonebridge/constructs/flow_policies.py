"""NetworkPolicies written from a namespace's declared flows (:mod:`tonebridge.flows`): the platform's
own namespaces (Argo CD, Vault, logging) deny everything by default and admit exactly the flows they
declare, which the cluster-fit check then proves from both ends. One declaration, so the policies
and the proof cannot drift apart.

For each flow with a destination in the namespace, an ingress policy on the destination's pods from
the source (pods by namespace and labels, or a CIDR); for each flow with a source in it, an egress
policy from the source's pods to the destination. Flows inside the namespace get both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import Dependencies, kube_object
from tonebridge.constructs.network_policies import NetworkIsolation, NetworkIsolationProps, peer
from tonebridge.flows import Endpoint, Flow


def _peer(end: Endpoint) -> dict:
    if end.cidr is not None:
        return {"ipBlock": {"cidr": end.cidr}}
    return peer(end.namespace or "", end.pod_labels or None)


def _name(*parts: object) -> str:
    text = re.sub(r"[^a-z0-9-]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")
    return text[:63].rstrip("-")


def flow_policies(namespace: str, flows: Sequence[Flow], *, per_end: bool = False) -> list[dict]:
    """The ingress and egress NetworkPolicies of ``namespace`` that admit ``flows`` (and nothing else).

    One policy per end, peer and port (``in-<destination>-<port>``, ``out-<source>-<destination>-<port>``),
    or with ``per_end`` one per end and direction (``in-<destination>``, ``out-<source>``) holding all its
    rules: a namespace with many flows (monitoring) gets a handful of objects instead of dozens."""
    policies: dict[str, dict] = {}

    def add(name: str, pods: dict, kind: str, rule: dict) -> None:
        if name in policies and policies[name]["spec"]["podSelector"] != pods:
            raise ValueError(f"{namespace}: two flow ends named for policy {name} select different pods")
        policy = policies.setdefault(
            name,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"podSelector": pods, "policyTypes": [kind]},
            },
        )
        rules = policy["spec"].setdefault(kind.lower(), [])
        if rule not in rules:
            rules.append(rule)

    for flow in flows:
        port = [{"protocol": flow.protocol, "port": flow.port}]
        src, dst = flow.source, flow.destination
        if dst.namespace == namespace:
            pods = {"matchLabels": dict(dst.pod_labels)} if dst.pod_labels else {}
            name = _name("in", dst.name) if per_end else _name("in", dst.name, flow.port)
            add(name, pods, "Ingress", {"from": [_peer(src)], "ports": port})
        if src.namespace == namespace:
            pods = {"matchLabels": dict(src.pod_labels)} if src.pod_labels else {}
            name = _name("out", src.name) if per_end else _name("out", src.name, dst.name, flow.port)
            add(name, pods, "Egress", {"to": [_peer(dst)], "ports": port})
    return list(policies.values())


class FlowIsolation(Construct):
    """Default deny and DNS (:class:`NetworkIsolation`) for ``namespace``, then a policy per declared
    flow end in it (``per_end``: see :func:`flow_policies`); the flows are declared for the fit check.
    Attributes: ``policies`` (manifests)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        namespace: str,
        flows: Sequence[Flow],
        *,
        per_end: bool = False,
        depends_on: Dependencies = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if not flows:
            raise ValueError(f"{namespace}: a default deny without any declared flow would cut it off")
        self.namespace = namespace
        self._depends_on = depends_on
        self._per_end = per_end
        isolation = NetworkIsolation(
            self, "isolation", NetworkIsolationProps(namespace=namespace), depends_on=depends_on
        )
        self._admitted = [*flows, *isolation.flows]
        generated = flow_policies(namespace, flows, per_end=per_end)
        self._names = {policy["metadata"]["name"] for policy in generated}
        self.policies: list[Manifest] = [kube_object(self, policy, depends_on=depends_on) for policy in generated]
        declare_flows(self, flows)

    def admit(self, flows: Sequence[Flow]) -> list[Manifest]:
        """Policies for this namespace's end of ``flows`` that other constructs declared (and declare
        themselves): a database's scrape by Prometheus needs Prometheus's egress here as well. Flows
        already admitted, or not touching the namespace, are skipped; returns the new policies."""
        new = [
            f
            for f in flows
            if self.namespace in (f.source.namespace, f.destination.namespace) and f not in self._admitted
        ]
        added = []
        for policy in flow_policies(self.namespace, new, per_end=self._per_end):
            name = policy["metadata"]["name"]
            if name in self._names:  # an end with its own policy already: the later flows get one beside it
                name = policy["metadata"]["name"] = _name(name, "declared")
            if name in self._names:
                raise ValueError(f"{self.namespace}: policy {name} exists")
            self._names.add(name)
            added.append(kube_object(self, policy, depends_on=self._depends_on))
        self._admitted += new
        self.policies += added
        return added

"""Network flows a component needs, declared next to its construct and proved by the cluster-fit check.

Plain data (no cdktf). A construct declares what it must be able to send and receive
(:func:`tonebridge.constructs.flow_declarations.declare_flows`); the declarations travel in the
synthesized stack under the Terraform JSON comment key ``"//"`` (``tonebridge.flows``), which
Terraform ignores, so the fit check (:mod:`tools.fit.network`) reads them from ``cdktf.out``
alone and proves that the NetworkPolicies of both ends admit each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROTOCOLS = ("TCP", "UDP", "SCTP")
#: Where the declarations sit in a synthesized stack: ``stack["//"]["tonebridge"]["flows"]``.
STACK_KEY = ("//", "tonebridge", "flows")


@dataclass(frozen=True)
class Endpoint:
    """One end of a flow: pods (``namespace`` + ``pod_labels``; no labels = every pod of the
    namespace), or something outside the pod network (``cidr``: the API server's, AWS APIs', …).

    :param name: what it is, for problem lines (``redis``, ``kube-apiserver``, ``s3``).
    """

    name: str
    namespace: str | None = None
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    cidr: str | None = None

    def __post_init__(self) -> None:
        if (self.namespace is None) == (self.cidr is None):
            raise ValueError(f"endpoint {self.name}: give either namespace (pods) or cidr (outside the pod network)")
        if self.cidr is not None and self.pod_labels:
            raise ValueError(f"endpoint {self.name}: pod_labels need a namespace")

    @property
    def is_pods(self) -> bool:
        return self.namespace is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.namespace is not None:
            data |= {"namespace": self.namespace, "pod_labels": dict(sorted(self.pod_labels.items()))}
        else:
            data["cidr"] = self.cidr
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Endpoint:
        return cls(
            name=data["name"],
            namespace=data.get("namespace"),
            pod_labels=dict(data.get("pod_labels") or {}),
            cidr=data.get("cidr"),
        )


def pods(name: str, namespace: str, **labels: str) -> Endpoint:
    """Pods of ``namespace`` carrying ``labels`` (keywords; use a dict for keys with dots or slashes)."""
    return Endpoint(name, namespace=namespace, pod_labels=labels)


@dataclass(frozen=True)
class Flow:
    """``source`` opens connections to ``destination`` on ``port``/``protocol``.

    :param purpose: why the component needs it, for problem lines and reviewers.
    """

    source: Endpoint
    destination: Endpoint
    port: int
    purpose: str
    protocol: str = "TCP"

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"flow {self.purpose!r}: port {self.port} is outside 1-65535")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"flow {self.purpose!r}: protocol must be one of {', '.join(PROTOCOLS)}")
        if not (self.source.is_pods or self.destination.is_pods):
            raise ValueError(f"flow {self.purpose!r}: at least one end must be pods")

    def describe(self) -> str:
        return f"{self.source.name} -> {self.destination.name}:{self.port}/{self.protocol} ({self.purpose})"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "port": self.port,
            "protocol": self.protocol,
            "purpose": self.purpose,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Flow:
        return cls(
            source=Endpoint.from_json(data["source"]),
            destination=Endpoint.from_json(data["destination"]),
            port=int(data["port"]),
            protocol=data.get("protocol", "TCP"),
            purpose=data["purpose"],
        )


def flows_of(stack: Mapping[str, Any]) -> list[Flow]:
    """The flows a synthesized stack declares."""
    node: Any = stack
    for key in STACK_KEY:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    return [Flow.from_json(f) for f in node or []]


def flows_json(flows: Iterable[Flow]) -> list[dict[str, Any]]:
    """Declarations in a stable order, as they are written into the stack."""
    return sorted((f.to_json() for f in flows), key=lambda f: repr(sorted(f.items())))

"""NetworkPolicy building blocks of the data stores (Redis, CloudNativePG), which run behind a
default deny (spec §8.1) and must be let through, flow by flow, on both ends.

Namespaces are selected by ``kubernetes.io/metadata.name`` (set by the API server on every
namespace), pods by the labels their operators put on them. Addresses outside the pod network:

* the API server and the VPC's interface endpoints (STS for IRSA, ...): the EKS control plane's
  network interfaces and the endpoints live in the cluster's subnets, so TCP 443 to the VPC CIDR;
* AWS public APIs reached through a gateway endpoint or NAT (S3): their prefix lists are public AWS
  ranges that change, so TCP 443 to 0.0.0.0/0 except the private and pod ranges (the usual
  practice; pod-to-pod traffic then still needs a rule of its own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tonebridge.constructs.network_policies import NAMESPACE_LABEL

#: RFC 1918 and the RFC 6598 range the pod subnets come from (VPC CNI custom networking).
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
#: Labels prometheus-operator puts on every Prometheus pod (kube-prometheus-stack's included).
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
#: The API server's and AWS APIs' port.
HTTPS = 443


def app_peer(namespace: str, services: Sequence[str]) -> dict[str, Any]:
    """Pods of ``namespace`` labelled ``app: <one of services>`` (spec §8.1's service label)."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}},
        "podSelector": app_selector(services),
    }


def app_selector(services: Sequence[str]) -> dict[str, Any]:
    return {"matchExpressions": [{"key": "app", "operator": "In", "values": sorted(services)}]}


def ip_block(cidr: str, except_: Sequence[str] = ()) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr}
    if except_:
        block["except"] = list(except_)
    return {"ipBlock": block}


def public_ip_block() -> dict[str, Any]:
    """Every address outside the private and pod ranges (AWS public APIs)."""
    return ip_block("0.0.0.0/0", PRIVATE_RANGES)


def network_policy(
    name: str,
    namespace: str,
    pod_selector: Mapping[str, Any],
    *,
    ingress: Sequence[Mapping[str, Any]] = (),
    egress: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A NetworkPolicy whose policy types are exactly the directions it has rules for."""
    spec: dict[str, Any] = {"podSelector": dict(pod_selector), "policyTypes": []}
    if ingress:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = [dict(rule) for rule in ingress]
    if egress:
        spec["policyTypes"].append("Egress")
        spec["egress"] = [dict(rule) for rule in egress]
    if not spec["policyTypes"]:
        raise ValueError(f"network policy {namespace}/{name}: give ingress or egress rules")
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }

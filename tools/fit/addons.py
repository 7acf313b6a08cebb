"""The pods of the EKS managed add-ons the infrastructure stack installs (``aws_eks_addon``).

They are not in any chart we render, yet they take room on every node (DaemonSets) and on the pool
their configuration pins them to (CoreDNS, the EBS CSI controller). Requests are those of each
add-on's default configuration as EKS publishes it (``aws eks describe-addon-configuration`` and the
manifests the add-ons install): CoreDNS 100m / 70Mi (limit 170Mi) per replica; aws-node 25m for the
CNI and 25m for its network-policy agent; kube-proxy 100m; every EBS CSI container 10m / 40Mi (limit
256Mi: the aws-ebs-csi-driver chart's defaults, which the add-on ships). The pod identity agent sets
no requests. What the stack's ``configuration_values`` sets (replicas, node selector, tolerations)
overrides the defaults, as EKS merges it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tools.fit.model import Workload

_ORIGIN = "eks add-on {}"
_EVERY_NODE = [{"operator": "Exists"}]
_CRITICAL = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]


def _container(name: str, cpu: str, memory: str | None = None, memory_limit: str | None = None, **extra: Any) -> dict:
    requests = {"cpu": cpu, **({"memory": memory} if memory else {})}
    resources: dict[str, Any] = {"requests": requests}
    if memory_limit:
        resources["limits"] = {"memory": memory_limit}
    return {"name": name, "resources": resources, **extra}


def _csi(name: str) -> dict:
    return _container(name, "10m", "40Mi", "256Mi")


def _workload(kind: str, name: str, addon: str, spec: dict, labels: dict[str, str], replicas: int = 1) -> Workload:
    return Workload(
        kind=kind,
        namespace="kube-system",
        name=name,
        template={"metadata": {"labels": labels}, "spec": spec},
        replicas=replicas,
        origin=_ORIGIN.format(addon),
    )


def _placement(config: Mapping[str, Any], default_tolerations: list[dict]) -> dict[str, Any]:
    spec: dict[str, Any] = {"tolerations": config.get("tolerations") or default_tolerations}
    if config.get("nodeSelector"):
        spec["nodeSelector"] = dict(config["nodeSelector"])
    return spec


def _coredns(config: Mapping[str, Any]) -> list[Workload]:
    context = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    ports = [
        {"name": "dns", "containerPort": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
    ]
    container = _container("coredns", "100m", "70Mi", "170Mi", securityContext=context, ports=ports)
    spec = {"containers": [container], **_placement(config, _CRITICAL)}
    return [_workload("Deployment", "coredns", "coredns", spec, {"k8s-app": "kube-dns"}, config.get("replicaCount", 2))]


def _ebs_csi(config: Mapping[str, Any]) -> list[Workload]:
    controller = config.get("controller") or {}
    names = ("ebs-plugin", "csi-provisioner", "csi-attacher", "csi-snapshotter", "csi-resizer", "liveness-probe")
    controller_spec = {"containers": [_csi(n) for n in names], **_placement(controller, _CRITICAL)}
    node_spec = {"containers": [_csi(n) for n in ("ebs-plugin", "node-driver-registrar", "liveness-probe")]}
    node_spec["tolerations"] = _EVERY_NODE
    return [
        _workload(
            "Deployment",
            "ebs-csi-controller",
            "aws-ebs-csi-driver",
            controller_spec,
            {"app": "ebs-csi-controller"},
            controller.get("replicaCount", 2),
        ),
        _workload("DaemonSet", "ebs-csi-node", "aws-ebs-csi-driver", node_spec, {"app": "ebs-csi-node"}),
    ]


def _node_agent(name: str, addon: str, *containers: dict) -> list[Workload]:
    spec = {"containers": list(containers), "hostNetwork": True, "tolerations": _EVERY_NODE}
    return [_workload("DaemonSet", name, addon, spec, {"k8s-app": name})]


def _vpc_cni(config: Mapping[str, Any]) -> list[Workload]:
    containers = [_container("aws-node", "25m")]
    if str(config.get("enableNetworkPolicy", "false")).lower() == "true":
        containers.append(_container("aws-eks-nodeagent", "25m"))
    return _node_agent("aws-node", "vpc-cni", *containers)


_ADDONS = {
    "coredns": _coredns,
    "aws-ebs-csi-driver": _ebs_csi,
    "vpc-cni": _vpc_cni,
    "kube-proxy": lambda _: _node_agent("kube-proxy", "kube-proxy", _container("kube-proxy", "100m")),
    "eks-pod-identity-agent": lambda _: _node_agent(
        "eks-pod-identity-agent", "eks-pod-identity-agent", {"name": "eks-pod-identity-agent"}
    ),
}


def addon_workloads(infra_stack: Mapping[str, Any]) -> list[Workload]:
    """Workloads of every managed add-on in the infrastructure stack (unknown add-ons are left out)."""
    workloads = []
    for addon in infra_stack.get("resource", {}).get("aws_eks_addon", {}).values():
        build = _ADDONS.get(addon.get("addon_name", ""))
        if build:
            raw = addon.get("configuration_values")
            workloads.extend(build(json.loads(raw) if raw else {}))
    return workloads

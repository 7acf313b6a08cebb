"""The node pools of one cluster: EKS managed node groups and Karpenter NodePools, as the scheduler sees them.

Managed node groups come from the infrastructure stack's ``aws_eks_node_group`` resources (their
launch template's user data holds the kubelet's ``maxPods``); Karpenter pools from the platform's
``karpenter.sh/v1`` NodePools and the EC2NodeClass each names. Every pool carries the labels its
nodes will have, the well-known ones EKS and Karpenter add included, so that a node selector on
``eks.amazonaws.com/nodegroup`` or ``karpenter.sh/capacity-type`` is matched like one on our own labels.
"""

from __future__ import annotations

import base64
import binascii
import email
import re
from collections.abc import Mapping
from typing import Any

import yaml

from tonebridge.capacity import INSTANCE_TYPES
from tools.fit.model import Pool

#: The EKS API's taint effects (``aws_eks_node_group.taint.effect``) by their Kubernetes names.
EKS_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
EKS_CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
NODEPOOL_LABEL = "karpenter.sh/nodepool"
KARPENTER_CAPACITY_LABEL = "karpenter.sh/capacity-type"
ARCH_LABEL = "kubernetes.io/arch"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
ZONE_LABEL = "topology.kubernetes.io/zone"

#: Karpenter's defaults for a NodePool that leaves these requirements out (NodePool docs, "spec.template.
#: spec.requirements": on-demand capacity and amd64 nodes).
KARPENTER_DEFAULTS = {KARPENTER_CAPACITY_LABEL: ("on-demand",), ARCH_LABEL: ("amd64",)}

_REFERENCE = re.compile(r"\$\{(?P<type>aws_[a-z0-9_]+)\.(?P<id>[^.}]+)\.")


def node_config_max_pods(user_data: str) -> int | None:
    """``maxPods`` from the nodeadm ``NodeConfig`` part of MIME user data (plain or base64), or None."""
    try:
        text = base64.b64decode(user_data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = user_data
    message = email.message_from_string(text)
    parts = message.walk() if message.is_multipart() else [message]
    for part in parts:
        if part.get_content_type() != "application/node.eks.aws":
            continue
        for document in yaml.safe_load_all(part.get_payload()):
            kubelet = ((document or {}).get("spec") or {}).get("kubelet") or {}
            max_pods = (kubelet.get("config") or {}).get("maxPods")
            if max_pods is not None:
                return int(max_pods)
    return None


def _referenced(resources: Mapping[str, Any], value: Any) -> tuple[str, dict[str, Any]] | None:
    """The resource a ``${aws_x.id.attr}`` reference names (when the stack defines it)."""
    match = _REFERENCE.search(str(value))
    if not match:
        return None
    found = resources.get(match["type"], {}).get(match["id"])
    return (match["id"], found) if found is not None else None


def _subnets(resources: Mapping[str, Any], subnet_refs: list[Any]) -> list[dict[str, Any]]:
    """The ``aws_subnet`` resources that references (plain or cross-stack outputs) name."""
    subnets = resources.get("aws_subnet", {})
    found = []
    for ref in subnet_refs:
        named = _referenced(resources, ref)
        if named is None:
            # A cross-stack output names the subnet's resource id inside its own name.
            named = next(((i, s) for i, s in subnets.items() if i in str(ref)), None)
        if named is not None:
            found.append(named[1])
    return found


def _tier(subnets: list[dict[str, Any]]) -> str:
    tiers = {(s.get("tags") or {}).get("Tier") for s in subnets} - {None}
    return tiers.pop() if len(tiers) == 1 else "private"


def _zones(subnets: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted({s["availability_zone"] for s in subnets if s.get("availability_zone")}))


def _as_list(value: Any) -> list[Any]:
    """Terraform JSON writes a block as an object or a list of objects."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _node_group(resources: Mapping[str, Any], group: dict[str, Any], max_pods: int) -> Pool:
    name = group["node_group_name"]
    scaling = _as_list(group.get("scaling_config"))[0]
    template = _referenced(resources, (_as_list(group.get("launch_template")) or [{}])[0].get("id"))
    user_data = (template[1].get("user_data") if template else None) or ""
    subnets = _subnets(resources, group.get("subnet_ids", []))
    instance_types = tuple(group.get("instance_types") or ("t3.medium",))  # EKS's default type
    # AMI types name the architecture: AL2023_ARM_64_STANDARD, BOTTLEROCKET_ARM_64, … (EKS AMI types).
    arch = "arm64" if "ARM_64" in group.get("ami_type", "") else "amd64"
    labels = {
        **(group.get("labels") or {}),
        NODEGROUP_LABEL: name,
        EKS_CAPACITY_LABEL: group.get("capacity_type") or "ON_DEMAND",
        ARCH_LABEL: arch,
    }
    taints = tuple(
        {"key": t["key"], "value": t.get("value") or "", "effect": EKS_TAINT_EFFECTS[t["effect"]]}
        for t in _as_list(group.get("taint"))
    )
    return Pool(
        name=name,
        kind="node-group",
        labels=labels,
        taints=taints,
        instance_types=instance_types,
        max_pods=node_config_max_pods(user_data) or max_pods,
        min_size=int(scaling["min_size"]),
        max_size=int(scaling["max_size"]),
        subnet_tier=_tier(subnets),
        label_choices={INSTANCE_TYPE_LABEL: instance_types, ZONE_LABEL: _zones(subnets)},
    )


def _karpenter_pool(
    resources: Mapping[str, Any], pool: dict[str, Any], classes: Mapping[str, dict[str, Any]], max_pods: int
) -> Pool:
    name = pool["metadata"]["name"]
    template = pool["spec"]["template"]
    spec = template["spec"]
    node_class = classes.get(spec.get("nodeClassRef", {}).get("name"), {}).get("spec", {})
    choices: dict[str, tuple[str, ...]] = dict(KARPENTER_DEFAULTS)
    for requirement in spec.get("requirements", []):
        if requirement.get("operator") == "In":
            choices[requirement["key"]] = tuple(requirement.get("values", []))
    arches = set(choices[ARCH_LABEL])
    instance_types = choices.get(INSTANCE_TYPE_LABEL) or tuple(
        n for n, t in INSTANCE_TYPES.items() if t.architecture in arches
    )
    subnets = _subnets(resources, [term.get("id") for term in node_class.get("subnetSelectorTerms", [])])
    if ZONE_LABEL not in choices and _zones(subnets):
        choices[ZONE_LABEL] = _zones(subnets)
    choices[INSTANCE_TYPE_LABEL] = instance_types
    labels = {**(template.get("metadata", {}).get("labels") or {}), NODEPOOL_LABEL: name}
    labels |= {key: values[0] for key, values in choices.items() if len(values) == 1}
    limits = pool["spec"].get("limits") or {}
    kubelet_max_pods = (node_class.get("kubelet") or {}).get("maxPods")
    return Pool(
        name=name,
        kind="karpenter",
        labels=labels,
        taints=tuple(dict(t) for t in spec.get("taints", [])),
        instance_types=instance_types,
        max_pods=int(kubelet_max_pods or node_config_max_pods(node_class.get("userData") or "") or max_pods),
        cpu_limit=str(limits["cpu"]) if "cpu" in limits else None,
        memory_limit=str(limits["memory"]) if "memory" in limits else None,
        subnet_tier=_tier(subnets),
        label_choices={key: values for key, values in choices.items() if len(values) > 1},
    )


def pools_of(infra_stack: dict[str, Any], objects: list[dict[str, Any]], max_pods: int) -> list[Pool]:
    """Managed node groups of ``infra_stack`` and the Karpenter NodePools among ``objects``.

    ``max_pods`` is the kubelet's limit where neither user data nor an EC2NodeClass sets one (the
    configuration's ``pods.max_pods_per_node``).
    """
    resources = infra_stack.get("resource", {})
    pools: list[Pool] = [
        _node_group(resources, group, max_pods) for group in resources.get("aws_eks_node_group", {}).values()
    ]
    classes = {
        o["metadata"]["name"]: o
        for o in objects
        if o.get("kind") == "EC2NodeClass" and o.get("apiVersion", "").startswith("karpenter.k8s.aws/")
    }
    pools.extend(
        _karpenter_pool(resources, o, classes, max_pods)
        for o in objects
        if o.get("kind") == "NodePool" and o.get("apiVersion") == "karpenter.sh/v1"
    )
    return pools

"""What the platform needs to know about Kubernetes objects as plain data: which API groups are
Kubernetes' own, and the fields every object must have. No cdktf or provider import, so the
offline checks (tools.kube_objects) run without starting the jsii runtime.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: API groups of objects Kubernetes itself serves (validated against Kubernetes' own schemas).
CORE_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "admissionregistration.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
    }
)


def api_group(api_version: str) -> str:
    """``networking.k8s.io/v1`` -> ``networking.k8s.io``; ``v1`` -> ``""``."""
    return api_version.rpartition("/")[0]


def is_core(obj: Mapping[str, Any]) -> bool:
    return api_group(str(obj.get("apiVersion", ""))) in CORE_GROUPS


def object_problem(obj: Mapping[str, Any]) -> str | None:
    """Why an object cannot be sent to a cluster, or None: the fields every object needs."""
    if not obj.get("apiVersion") or not obj.get("kind"):
        return "an object needs apiVersion and kind"
    name = obj.get("metadata", {}).get("name")
    if not name:
        return f"{obj['kind']} needs metadata.name"
    return None


#: RFC 1123 label: namespace names, most object names.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

"""How a pod's requests and limits add up, as Kubernetes adds them (k8s.io/component-helpers
``resource.PodRequests`` / ``PodLimits``): the scheduler, ResourceQuota and LimitRange all count this way.

Containers add up; sidecars (init containers with ``restartPolicy: Always``) add to them and to every init
container started after them; the pod takes the larger of the two. Pod-level ``resources`` replace the
aggregate where set, and the RuntimeClass's ``overhead`` comes on top (on limits only where a limit is set).
A container with a limit and no request requests its limit (the API server's defaulting).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tonebridge.quantities import parse_quantity

Amounts = dict[str, Decimal]


def amounts(resources: Mapping[str, Any] | None) -> Amounts:
    """``{"cpu": "500m"}`` as ``{"cpu": Decimal("0.5")}``."""
    return {name: parse_quantity(str(value)) for name, value in (resources or {}).items()}


def container_amounts(container: Mapping[str, Any], kind: str) -> Amounts:
    """One container's ``kind`` (``requests`` or ``limits``), requests defaulted from limits."""
    resources = container.get("resources") or {}
    own = amounts(resources.get(kind))
    return {**amounts(resources.get("limits")), **own} if kind == "requests" else own


def pod_resources(spec: Mapping[str, Any], kind: str) -> Amounts:
    """A pod's ``kind`` (``requests`` or ``limits``)."""
    total: Amounts = defaultdict(Decimal)
    for container in spec.get("containers") or []:
        for name, amount in container_amounts(container, kind).items():
            total[name] += amount
    sidecars: Amounts = defaultdict(Decimal)
    init_peak: Amounts = defaultdict(Decimal)
    for container in spec.get("initContainers") or []:
        own = container_amounts(container, kind)
        if container.get("restartPolicy") == "Always":
            for name, amount in own.items():
                total[name] += amount
                sidecars[name] += amount
            during = dict(sidecars)
        else:
            during = {name: own.get(name, Decimal(0)) + sidecars.get(name, Decimal(0)) for name in {*own, *sidecars}}
        for name, amount in during.items():
            init_peak[name] = max(init_peak[name], amount)
    pod = {name: max(total.get(name, Decimal(0)), init_peak.get(name, Decimal(0))) for name in {*total, *init_peak}}
    pod |= amounts((spec.get("resources") or {}).get(kind))
    for name, amount in amounts(spec.get("overhead")).items():
        if kind == "requests" or name in pod:
            pod[name] = pod.get(name, Decimal(0)) + amount
    return pod

"""Rule ``webhook``: the API server can reach every admission webhook it is told to call.

A Mutating- or ValidatingWebhookConfiguration whose ``clientConfig.service`` names a Service is called
from the control plane at ``<pod IP>:<targetPort>`` of that Service's pods (the port a named targetPort
names in their containers). The infrastructure stack's security groups must let that through
(:mod:`tools.fit.control_plane`); if they do not, every call times out, and with ``failurePolicy: Fail``
every object the webhook matches is refused (istiod's injector on 15017: no meshed pod, gateway included,
is ever created). A webhook whose Service or port does not exist is refused the same way. Webhooks by
``url`` are outside the cluster and left alone. An aggregated API (APIService with a ``service``, such as
metrics-server's) is called the same way and checked with them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tools.fit.model import ClusterView, Problem, Workload, object_ref
from tools.fit.selectors import selector_matches

RULE = "webhook"
KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
ADMISSION_GROUP = "admissionregistration.k8s.io"


def service_port(service: Mapping[str, Any], port: int | str) -> dict[str, Any] | None:
    """The entry of ``service.spec.ports`` that ``port`` (a number or a port name) names."""
    for entry in service.get("spec", {}).get("ports") or []:
        if port in (entry.get("port"), entry.get("name")):
            return entry
    return None


def backends(view: ClusterView, service: Mapping[str, Any]) -> list[Workload]:
    """The workloads whose pods the Service selects (none for a Service without a selector)."""
    selector = service.get("spec", {}).get("selector") or {}
    namespace = service["metadata"].get("namespace")
    if not selector:
        return []
    return [
        w
        for w in view.workloads
        if w.namespace == namespace and selector_matches({"matchLabels": selector}, w.pod_labels)
    ]


def container_port(workload: Workload, target: int | str) -> int | None:
    """``target`` as a number on the workload's pods: itself, or the container port of that name."""
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    for container in workload.containers(init=False):
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port["containerPort"])
    return None


def services(view: ClusterView) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["metadata"].get("namespace"), s["metadata"]["name"]): s for s in view.of_kind("Service", "")}


def _calls(view: ClusterView) -> Iterator[tuple[dict[str, Any], list[str], dict[str, Any]]]:
    """(configuration, webhook names, service reference with its port) per service a configuration calls."""
    for kind in KINDS:
        for config in view.of_kind(kind, ADMISSION_GROUP):
            by_service: dict[tuple[str, str, int], list[str]] = {}
            for hook in config.get("webhooks") or []:
                ref = (hook.get("clientConfig") or {}).get("service")
                if ref:
                    key = (ref.get("namespace", "default"), ref["name"], int(ref.get("port", 443)))
                    by_service.setdefault(key, []).append(hook["name"])
            for (namespace, name, port), hooks in by_service.items():
                yield config, hooks, {"namespace": namespace, "name": name, "port": port}
    # Aggregated APIs (metrics-server's metrics.k8s.io) are called from the control plane the same way.
    for api in view.of_kind("APIService", "apiregistration.k8s.io"):
        ref = api.get("spec", {}).get("service")
        if ref:
            port = int(ref.get("port", 443))
            yield api, [api["metadata"]["name"]], {"namespace": ref["namespace"], "name": ref["name"], "port": port}


def check(view: ClusterView) -> list[Problem]:
    reach = view.control_plane
    if reach is None:
        return []
    known = services(view)
    problems = []
    for config, hooks, ref in _calls(view):
        where = object_ref(config["kind"], config["metadata"]["name"])
        called = (
            f"{', '.join(hooks)} call{'s' if len(hooks) == 1 else ''} {ref['namespace']}/{ref['name']}:{ref['port']}"
        )
        service = known.get((ref["namespace"], ref["name"]))
        entry = service_port(service, ref["port"]) if service else None
        if entry is None:
            why = "which is no Service" if service is None else "which is no port of that Service"
            problems.append(view.problem(None, where, RULE, f"{called}, {why}: the API server cannot call it"))
            continue
        target = entry.get("targetPort", entry["port"])
        pods = backends(view, service) or [None]
        for pod in pods:
            port = container_port(pod, target) if pod else (int(target) if str(target).isdigit() else None)
            if port is None:
                continue  # a named port of pods nothing here makes: the scheduling rules cannot see them either
            host = bool(pod and pod.pod_spec.get("hostNetwork"))
            if not reach.admits(port, host_network=host):
                whose = f" of {pod.ref}" if pod else ""
                group = "nodes'" if host else "pods'"
                admitted = ", ".join(str(p) for p in reach.admitted(host_network=host))
                why = (
                    f"{called} -> port {port}{whose}, which the {group} security groups do not admit from the "
                    f"control plane (they admit {admitted}): every call times out"
                )
                problems.append(view.problem(None, where, RULE, why))
    return problems

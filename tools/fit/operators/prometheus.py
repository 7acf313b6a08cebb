"""The StatefulSets the Prometheus Operator (v0.93, kube-prometheus-stack 88.1.3) makes from Prometheus and
Alertmanager resources, which come out of rendering that chart.

Source: prometheus-operator ``pkg/prometheus/server/statefulset.go`` and ``pkg/alertmanager/statefulset.go``
(as the index holds them), ``cmd/operator/main.go`` (``--config-reloader-{cpu,memory}-{request,limit}``: ``0``
sets none). ``StatefulSet prometheus-<name>`` (one shard) and ``alertmanager-<name>``; pod labels
``app.kubernetes.io/name``, ``app.kubernetes.io/instance: <name>``, ``app.kubernetes.io/managed-by:
prometheus-operator``, ``prometheus: <name>`` / ``alertmanager: <name>`` and, for Prometheus,
``operator.prometheus.io/name`` and ``operator.prometheus.io/shard: "0"``, over ``podMetadata.labels``.
Containers: the server (``spec.resources``; Alertmanager requests 200Mi memory when none is set) and
``config-reloader``, init container ``init-config-reloader``, each with the operator's security context
(read-only root, no escalation, drop ALL); the reloader's resources come from the operator's flags, which the
chart sets from ``prometheusOperator.prometheusConfigReloader.resources`` (``0`` when unset: none). Claims:
``spec.storage.volumeClaimTemplate`` named ``<prometheus|alertmanager>-<name>-db`` unless it names itself.
"""

from __future__ import annotations

import copy
from typing import Any

from tools.fit.model import Workload
from tools.fit.operators.common import container_flags, operator_containers, origin, present
from tools.fit.workloads import claim_of

OPERATOR_IMAGE = "prometheus-operator"
SECURITY = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
#: cmd/operator/main.go defaults when no operator Deployment is rendered.
RELOADER_DEFAULTS = {"cpu": "10m", "memory": "50Mi"}
#: pkg/alertmanager/statefulset.go: the memory request an Alertmanager gets when it sets none.
ALERTMANAGER_MEMORY = "200Mi"


def reloader_resources(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The config reloader's requests and limits as the rendered operator Deployment's flags give them."""
    operator = [container_flags(c) for c in operator_containers(objects, OPERATOR_IMAGE)]
    flags = next((f for f in operator if "prometheus-config-reloader" in f), None)
    resources: dict[str, dict[str, str]] = {}
    for kind in ("request", "limit"):
        for resource in ("cpu", "memory"):
            value = RELOADER_DEFAULTS[resource] if flags is None else flags.get(f"config-reloader-{resource}-{kind}")
            if value and value != "0":
                resources.setdefault(f"{kind}s", {})[resource] = value
    return resources


def _workload(cr: dict[str, Any], app: str, main: dict[str, Any], reloader: dict[str, Any]) -> Workload:
    meta, spec = cr["metadata"], cr["spec"]
    name = f"{app}-{meta['name']}"
    labels = {
        **((spec.get("podMetadata") or {}).get("labels") or {}),
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": meta["name"],
        "app.kubernetes.io/managed-by": "prometheus-operator",
        app: meta["name"],
    }
    if app == "prometheus":
        labels.update({"operator.prometheus.io/name": meta["name"], "operator.prometheus.io/shard": "0"})
    config_reloader = present(
        name="config-reloader",
        resources=reloader,
        securityContext=copy.deepcopy(SECURITY),
        ports=[{"name": "reloader-web", "containerPort": 8080, "protocol": "TCP"}],
    )
    init = present(name="init-config-reloader", resources=reloader, securityContext=copy.deepcopy(SECURITY))
    pod_spec = present(
        containers=[main, config_reloader, *(spec.get("containers") or [])],
        initContainers=[init, *(spec.get("initContainers") or [])],
        securityContext=spec.get("securityContext"),
        nodeSelector=spec.get("nodeSelector"),
        tolerations=spec.get("tolerations"),
        affinity=spec.get("affinity"),
        topologySpreadConstraints=spec.get("topologySpreadConstraints"),
        priorityClassName=spec.get("priorityClassName"),
        serviceAccountName=spec.get("serviceAccountName"),
        hostNetwork=spec.get("hostNetwork") or None,
    )
    template = (spec.get("storage") or {}).get("volumeClaimTemplate")
    claims = ()
    if template:
        claim_name = (template.get("metadata") or {}).get("name") or f"{name}-db"
        claims = (claim_of(template, meta.get("namespace", "default"), origin(cr), claim_name),)
    return Workload(
        kind="StatefulSet",
        namespace=meta.get("namespace", "default"),
        name=name,
        template={"metadata": {"labels": labels}, "spec": pod_spec},
        replicas=int(spec.get("replicas", 1)),
        claim_templates=claims,
        origin=origin(cr),
    )


def prometheus(cr: dict[str, Any], objects: list[dict[str, Any]]) -> list[Workload]:
    """The StatefulSet ``prometheus-<name>``."""
    spec = cr["spec"]
    main = present(
        name="prometheus",
        image=spec.get("image"),
        resources=spec.get("resources"),
        securityContext=copy.deepcopy(SECURITY),
        ports=[{"name": spec.get("portName", "web"), "containerPort": 9090, "protocol": "TCP"}],
    )
    return [_workload(cr, "prometheus", main, reloader_resources(objects))]


def alertmanager(cr: dict[str, Any], objects: list[dict[str, Any]]) -> list[Workload]:
    """The StatefulSet ``alertmanager-<name>``."""
    spec = cr["spec"]
    resources = copy.deepcopy(spec.get("resources") or {})
    resources.setdefault("requests", {}).setdefault("memory", ALERTMANAGER_MEMORY)
    main = present(
        name="alertmanager",
        image=spec.get("image"),
        resources=resources,
        securityContext=copy.deepcopy(SECURITY),
        ports=[
            {"name": spec.get("portName", "web"), "containerPort": 9093, "protocol": "TCP"},
            {"name": "mesh-tcp", "containerPort": 9094, "protocol": "TCP"},
            {"name": "mesh-udp", "containerPort": 9094, "protocol": "UDP"},
        ],
    )
    return [_workload(cr, "alertmanager", main, reloader_resources(objects))]

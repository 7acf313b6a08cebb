"""API-server rules no OpenAPI schema expresses: the cross-field checks of Kubernetes' own validation.

Each rule is one the API server enforces with an error (the object is refused), cited from
``kubernetes/kubernetes`` ``pkg/apis/<group>/validation``. Things it only warns about are left out:
duplicate env var names and duplicate ``containerPort``/``protocol`` pairs are warnings
(``pkg/api/pod/warnings.go``), and a Service whose selector matches no pod is valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tools.fit.model import ClusterView, Problem, object_ref
from tools.fit.selectors import selector_matches

RULE = "api-server"

#: apps/v1 controllers: ``ValidateDeploymentSpec``, ``ValidateStatefulSetSpec``, ``ValidateDaemonSetSpec`` and
#: ``ValidateReplicaSetSpec`` (pkg/apis/apps/validation) require a non-empty selector matching the template labels.
_APPS_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def check(view: ClusterView) -> list[Problem]:
    """The API-server rules over every object of the view."""
    return api_problems(view)


def api_problems(
    source: ClusterView | Iterable[Mapping[str, Any]], *, env: str = "", region: str = ""
) -> list[Problem]:
    """Why the API server would refuse each object (a view's objects, or any objects with ``env``/``region``)."""
    if isinstance(source, ClusterView):
        env, region, objects = source.env, source.region, source.objects
    else:
        objects = list(source)
    problems = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        ref = object_ref(str(obj.get("kind", "")), str(meta.get("name", "")))
        for why in _object_problems(obj):
            problems.append(Problem(env, region, meta.get("namespace") or "-", ref, RULE, why))
    return problems


def _object_problems(obj: Mapping[str, Any]) -> Iterator[str]:
    kind, group = obj.get("kind"), str(obj.get("apiVersion", "")).rpartition("/")[0]
    spec = obj.get("spec") or {}
    if kind == "PodDisruptionBudget" and group == "policy":
        yield from _disruption_budget(spec)
    elif kind in _APPS_CONTROLLERS and group == "apps":
        yield from _apps_selector(spec)
        # A StatefulSet's pods also get one volume per claim template (named after it) to mount.
        claims = [t.get("metadata", {}).get("name") for t in spec.get("volumeClaimTemplates") or []]
        yield from _pod_template(spec.get("template") or {}, "spec.template.spec", claims)
    elif kind == "Job" and group == "batch":
        yield from _job_selector(spec)
        yield from _pod_template(spec.get("template") or {}, "spec.template.spec")
    elif kind == "CronJob" and group == "batch":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        yield from _pod_template(job.get("template") or {}, "spec.jobTemplate.spec.template.spec")
    elif kind == "ReplicationController" and group == "":
        yield from _replication_controller_selector(spec)
        yield from _pod_template(spec.get("template") or {}, "spec.template.spec")
    elif kind == "Pod" and group == "":
        yield from _pod_spec(spec, "spec")


def _disruption_budget(spec: Mapping[str, Any]) -> Iterator[str]:
    # ValidatePodDisruptionBudgetSpec (pkg/apis/policy/validation): "minAvailable and maxUnavailable cannot be
    # both set". A field present with any value (0 and "0" included) is set; only null leaves it unset.
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield (
            f"minAvailable ({spec['minAvailable']}) and maxUnavailable ({spec['maxUnavailable']}) are both set; "
            "the API server accepts only one: set the other to null"
        )


def _apps_selector(spec: Mapping[str, Any]) -> Iterator[str]:
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        yield "spec.selector is required and must not be empty"
    elif not selector_matches(selector, labels):
        yield f"spec.selector {_selector_text(selector)} does not match the pod template labels {_labels_text(labels)}"


def _job_selector(spec: Mapping[str, Any]) -> Iterator[str]:
    # ValidateGeneratedSelector (pkg/apis/batch/validation): without manualSelector the API server generates the
    # selector (controller-uid); one written by hand must then match it, which it cannot ("`selector` not
    # auto-generated"). With manualSelector, ValidateJobSpec requires it to match the template labels.
    selector = spec.get("selector")
    if not selector:
        return
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if spec.get("manualSelector") is not True:
        yield "spec.selector is set without spec.manualSelector: true; the API server refuses it (not auto-generated)"
    elif not selector_matches(selector, labels):
        yield f"spec.selector {_selector_text(selector)} does not match the pod template labels {_labels_text(labels)}"


def _replication_controller_selector(spec: Mapping[str, Any]) -> Iterator[str]:
    # ValidateReplicationControllerSpec (pkg/apis/core/validation): a non-empty selector must match the labels.
    selector = spec.get("selector") or {}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if selector and any(labels.get(k) != v for k, v in selector.items()):
        yield f"spec.selector {_labels_text(selector)} does not match the pod template labels {_labels_text(labels)}"


def _pod_template(template: Mapping[str, Any], path: str, claims: Iterable[Any] = ()) -> Iterator[str]:
    yield from _pod_spec(template.get("spec") or {}, path, claims)


def _pod_spec(spec: Mapping[str, Any], path: str, claims: Iterable[Any] = ()) -> Iterator[str]:
    """Rules of ``ValidatePodSpec`` (pkg/apis/core/validation/validation.go)."""
    groups = [
        ("containers", spec.get("containers") or []),
        ("initContainers", spec.get("initContainers") or []),
        ("ephemeralContainers", spec.get("ephemeralContainers") or []),
    ]
    # validateContainers / validateInitContainers / validateEphemeralContainers: one name space for all
    # three lists ("Duplicate value" on .name).
    seen: dict[str, str] = {}
    for field, containers in groups:
        for container in containers:
            name = container.get("name", "")
            if name in seen:
                yield f"{path}.{field}: container name {name!r} is already used in {path}.{seen[name]}"
            else:
                seen[name] = field
    volumes = {v.get("name") for v in spec.get("volumes") or []} | set(claims)
    for field, containers in groups:
        for container in containers:
            yield from _container(container, volumes, f"{path}.{field}[{container.get('name', '')}]")


def _container(container: Mapping[str, Any], volumes: set[Any], path: str) -> Iterator[str]:
    # validateContainerPorts: port names are unique within a container ("Duplicate value" on ports[i].name).
    port_names: set[str] = set()
    for port in container.get("ports") or []:
        name = port.get("name")
        if name and name in port_names:
            yield f"{path}.ports: port name {name!r} is used twice"
        elif name:
            port_names.add(name)
    # validateVolumeMounts / validateVolumeDevices: each names a volume of the pod ("Not found").
    for field in ("volumeMounts", "volumeDevices"):
        for mount in container.get(field) or []:
            if mount.get("name") not in volumes:
                yield f"{path}.{field}: {mount.get('name')!r} names no volume of the pod"


def _labels_text(labels: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def _selector_text(selector: Mapping[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    parts += [
        f"{e.get('key')} {e.get('operator')} {e.get('values') or []}" for e in selector.get("matchExpressions") or []
    ]
    return "{" + ", ".join(parts) + "}"

"""Rules ``pod-security`` and ``admission``: would the API server create every pod?

Each workload's pod, as mutating admission leaves it (:func:`~tools.fit.mutation.admitted_template`:
LimitRange defaults, Istio's sidecar), is held to

- Pod Security Admission (:mod:`tools.fit.pod_security`) at its namespace's
  ``pod-security.kubernetes.io/enforce`` level and ``-version``. A namespace without the label is
  ``privileged``: EKS's PodSecurity admission configuration defaults every mode to ``privileged``. An
  invalid level counts as ``restricted``; ``latest``, an invalid version or one newer than the
  cluster's counts as the cluster's version (``k8s.io/pod-security-admission/api``);
- every ValidatingAdmissionPolicy bound to it (:mod:`tools.fit.admission_policy`), whose own
  CEL decides. A refused pod is blamed on the containers that the policy refuses on their own (the
  pod with only that container), so the line says which container to change.
"""

from __future__ import annotations

import re
from typing import Any

from tools.fit import admission_policy, pod_security
from tools.fit.admission_policy import Binding
from tools.fit.model import ClusterView, Problem, Workload
from tools.fit.mutation import admitted_template

ENFORCE = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
_VERSION = re.compile(r"^v1\.(\d+)$")


def enforced(labels: dict[str, str], cluster_minor: int) -> tuple[str, int]:
    """The level and policy minor version a namespace with ``labels`` enforces."""
    level = labels.get(ENFORCE, "privileged")
    if level not in pod_security.LEVELS:
        level = "restricted"
    match = _VERSION.match(labels.get(ENFORCE_VERSION, "latest"))
    return level, min(int(match[1]), cluster_minor) if match else cluster_minor


def pod_object(workload: Workload, template: dict[str, Any]) -> dict[str, Any]:
    """The Pod a controller creates from ``template`` (its first replica's name)."""
    meta = template.get("metadata") or {}
    metadata: dict[str, Any] = {
        "name": f"{workload.name}-0",
        "generateName": f"{workload.name}-",
        "namespace": workload.namespace,
    }
    for key in ("labels", "annotations"):
        if meta.get(key):
            metadata[key] = dict(meta[key])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}


def _pod_security(
    view: ClusterView, workload: Workload, template: dict[str, Any], labels: dict[str, str]
) -> list[Problem]:
    minor = int(view.kubernetes_version.split(".")[1])
    level, version = enforced(labels, minor)
    problems = []
    for violation in pod_security.violations(
        level, version, template.get("metadata") or {}, template.get("spec") or {}
    ):
        detail = violation.detail if "must" in violation.detail else f"{violation.reason}: {violation.detail}"
        why = f'{violation.check}: {detail} (namespace enforces PodSecurity "{level}:v1.{version}")'
        problems.append(view.problem(workload.namespace, workload.ref, "pod-security", why))
    return problems


def _isolated(
    pod: dict[str, Any], key: str, container: dict[str, Any], companions: list[dict[str, Any]]
) -> dict[str, Any]:
    spec = {k: v for k, v in pod["spec"].items() if k != "initContainers"}
    if key == "containers":
        spec["containers"] = [container]
    else:
        spec["containers"] = companions
        spec["initContainers"] = [container]
    return {**pod, "spec": spec}


def _blame(binding: Binding, pod: dict[str, Any], namespace: dict[str, Any]) -> list[tuple[str, str]]:
    """(container, message) for each container the policy refuses on its own."""
    blamed, passing = [], []
    for key in ("containers", "initContainers"):
        for container in pod["spec"].get(key) or []:
            denials = binding.denials(admission_policy.activation(_isolated(pod, key, container, passing), namespace))
            if denials:
                blamed.extend((container.get("name", "?"), d.message) for d in denials)
            elif key == "containers":
                passing.append(container)
    return blamed


def _admission(
    view: ClusterView, workload: Workload, template: dict[str, Any], namespace: dict[str, Any], found: list[Binding]
) -> list[Problem]:
    labels = namespace["metadata"]["labels"]
    pod = pod_object(workload, template)
    problems = []
    for binding in found:
        if not binding.applies(labels, pod["metadata"].get("labels") or {}):
            continue
        denials = binding.denials(admission_policy.activation(pod, namespace))
        if not denials:
            continue
        policy = f"ValidatingAdmissionPolicy {binding.policy_name}"
        blamed = _blame(binding, pod, namespace) if not any(d.error for d in denials) else []
        lines = [f"container {name}: denied by {policy}: {message}" for name, message in blamed]
        lines = lines or [f"pod: denied by {policy}: {d.message}" for d in denials]
        problems.extend(view.problem(workload.namespace, workload.ref, "admission", line) for line in lines)
    return problems


def _namespace_object(view: ClusterView, name: str) -> dict[str, Any]:
    for obj in view.of_kind("Namespace", ""):
        if obj["metadata"]["name"] == name:
            labels = {**(obj["metadata"].get("labels") or {}), "kubernetes.io/metadata.name": name}
            return {**obj, "metadata": {**obj["metadata"], "labels": labels}}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
    }


def check(view: ClusterView) -> list[Problem]:
    """Every pod the cluster's Pod Security levels or ValidatingAdmissionPolicies would refuse."""
    found = admission_policy.bindings(view.objects)
    namespaces: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for workload in view.workloads:
        if workload.namespace not in namespaces:
            namespaces[workload.namespace] = _namespace_object(view, workload.namespace)
        namespace = namespaces[workload.namespace]
        template = admitted_template(view, workload)
        problems.extend(_pod_security(view, workload, template, namespace["metadata"]["labels"]))
        problems.extend(_admission(view, workload, template, namespace, found))
    return problems

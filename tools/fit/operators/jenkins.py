"""The agent pods the Jenkins kubernetes plugin creates from the JCasC ``kubernetes`` cloud's pod templates.

The jenkins chart renders ``agent.podTemplates`` (:func:`tonebridge.constructs.jenkins.pod_templates`) into the
JCasC ConfigMap (``jenkins.clouds[].kubernetes.templates``, each with its pod as ``yaml``); that is what the
controller reads. Per template one Pod workload (kind Pod, named after the template) in the template's, else
the cloud's, namespace: one agent at a time, up to the cloud's ``containerCap`` agents in all. The cap is shared by
the templates: the largest template takes all of it but one agent for each other template
(:func:`share_cap`), so capacity is counted for the worst mix the cap admits, not once per template.
The plugin (jenkinsci/kubernetes-plugin
``PodTemplateBuilder``, ``RestrictedPssSecurityContextInjector``) adds the labels ``jenkins/label`` and
``jenkins/label-digest`` (SHA-1 of the label) and the cloud's ``podLabels`` (``kubernetes.jenkins.io/controller``,
a hash of the controller URL, is left out), the ``workspace-volume`` emptyDir at each container's working
directory (its own ``workingDir``, else the one the jenkins chart gives the plugin: ``agent.workingDir`` of the
release that rendered the ConfigMap), and with ``restrictedPssSecurityContext`` fills only the unset fields of
each container's security context: ``allowPrivilegeEscalation: false``, ``runAsNonRoot: true``, ``seccompProfile:
RuntimeDefault``, ``capabilities.drop: [ALL]``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from typing import Any

import yaml

from tools.fit.model import Workload
from tools.fit.resources import pod_resources


def clouds(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(ConfigMap, kubernetes cloud) for every JCasC document that configures a kubernetes cloud."""
    for obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        for text in (obj.get("data") or {}).values():
            if "kubernetes" not in text or "clouds" not in text:
                continue
            document = yaml.safe_load(text)
            if not isinstance(document, dict):
                continue
            for cloud in (document.get("jenkins") or {}).get("clouds") or []:
                if isinstance(cloud, dict) and "kubernetes" in cloud:
                    yield obj, cloud["kubernetes"]


def _secure(container: dict[str, Any]) -> None:
    context = container.setdefault("securityContext", {})
    context.setdefault("allowPrivilegeEscalation", False)
    context.setdefault("runAsNonRoot", True)
    context.setdefault("seccompProfile", {"type": "RuntimeDefault"})
    context.setdefault("capabilities", {"drop": ["ALL"]})


def _working_dir(configmap: dict[str, Any], chart_values: dict[str, dict]) -> str | None:
    """Where the plugin runs containers that set no ``workingDir``: the chart's ``agent.workingDir``."""
    release = (configmap["metadata"].get("labels") or {}).get("app.kubernetes.io/instance")
    return ((chart_values.get(release) or {}).get("agent") or {}).get("workingDir")


def _agent(
    configmap: dict[str, Any], cloud: dict[str, Any], template: dict[str, Any], working_dir: str | None
) -> Workload:
    pod = yaml.safe_load(template.get("yaml") or "{}") or {}  # JSON or YAML: both are YAML
    spec = copy.deepcopy(pod.get("spec") or {})
    label = template.get("label") or template["name"]
    labels = {
        **((pod.get("metadata") or {}).get("labels") or {}),
        **{str(p["key"]): str(p["value"]) for p in cloud.get("podLabels") or []},
        "jenkins/label": label,
        "jenkins/label-digest": hashlib.sha1(label.encode(), usedforsecurity=False).hexdigest(),
    }
    spec.setdefault("volumes", []).append({"name": "workspace-volume", "emptyDir": {}})
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        workspace = container.get("workingDir") or working_dir
        if workspace:
            container.setdefault("volumeMounts", []).append({"name": "workspace-volume", "mountPath": workspace})
        if cloud.get("restrictedPssSecurityContext"):
            _secure(container)
    if template.get("serviceAccount"):
        spec.setdefault("serviceAccountName", template["serviceAccount"])
    namespace = template.get("namespace") or cloud.get("namespace") or configmap["metadata"].get("namespace")
    cap = cloud.get("containerCapStr") or cloud.get("containerCap")
    return Workload(
        kind="Pod",
        namespace=namespace or "default",
        name=template["name"],
        template={"metadata": {"labels": labels}, "spec": spec},
        max_replicas=int(cap) if cap else None,
        origin=f"jenkins cloud {cloud.get('name', 'kubernetes')}",
    )


def share_cap(agents: list[Workload]) -> list[Workload]:
    """Spread one cloud's ``containerCap`` over its templates: one agent each, the rest to the largest."""
    cap = max((a.max_replicas or 0 for a in agents), default=0)
    if len(agents) < 2 or not cap:
        return agents

    def size(agent: Workload) -> tuple:
        requests = pod_resources(agent.pod_spec, "requests")
        return (requests.get("cpu", 0), requests.get("memory", 0), agent.name)

    largest = max(agents, key=size)
    for agent in agents:
        agent.max_replicas = max(cap - (len(agents) - 1), 1) if agent is largest else 1
    return agents


def agent_pods(objects: list[dict[str, Any]], chart_values: dict[str, dict]) -> list[Workload]:
    """One Pod workload per pod template of every kubernetes cloud the rendered JCasC configures."""
    return [
        agent
        for cm, cloud in clouds(objects)
        for agent in share_cap(
            [_agent(cm, cloud, t, _working_dir(cm, chart_values)) for t in cloud.get("templates") or []]
        )
    ]

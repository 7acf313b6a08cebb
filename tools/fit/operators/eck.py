"""The workloads ECK (3.5) makes from Elasticsearch, Kibana and Beat resources.

Source: elastic/cloud-on-k8s ``pkg/controller/elasticsearch/nodespec/podspec.go`` (BuildPodTemplateSpec: labels,
default ports 9200/9300, default resources, default affinity, init containers, pod ``fsGroup: 1000`` from 8.0),
``nodespec/defaults.go`` (2Gi memory request and limit when none is set), ``initcontainer/prepare_fs.go`` and
``suspend.go`` (``elastic-internal-init-filesystem``, ``elastic-internal-suspend``),
``common/defaults/pod_template.go`` (WithInitContainerDefaults: init containers inherit the main container's
image and resources when they set none; the user's podTemplate wins field by field). ECK's documentation
("Security context"): from Elasticsearch 8.8 the Elasticsearch container and ECK's init containers and sidecars
run with ``allowPrivilegeEscalation: false``, ``capabilities.drop: [ALL]``, ``privileged: false``,
``readOnlyRootFilesystem: true`` (data directory on a volume). Kibana (``<kb>-kb``, port 5601, 1Gi default,
init container ``elastic-internal-init-config``) and Beat (``<beat>-beat-<type>``, container named after the
type, a ``beat-data`` hostPath volume when a DaemonSet) are assumed to get the same default security context;
their controller sources were not read. Beats get no default resources here (the project always sets them).
"""

from __future__ import annotations

import copy
from typing import Any

from tools.fit.model import Workload
from tools.fit.operators.common import origin
from tools.fit.workloads import claim_of

DEFAULT_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
}
ES_RESOURCES = {"requests": {"memory": "2Gi"}, "limits": {"memory": "2Gi"}}
KIBANA_RESOURCES = {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}
#: ``node.roles`` the pod labels ``elasticsearch.k8s.elastic.co/node-<role>`` report.
NODE_ROLES = ("master", "data", "ingest", "ml", "transform", "remote_cluster_client", "voting_only")


def _version_at_least(version: str, major: int, minor: int) -> bool:
    parts = [int(p) for p in version.split("-")[0].split(".")[:2]]
    return (parts[0], parts[1]) >= (major, minor)


def _merge_container(user: dict[str, Any] | None, default: dict[str, Any]) -> dict[str, Any]:
    """ECK's container defaulter: what the user's podTemplate sets wins; the operator fills the rest."""
    merged = copy.deepcopy(default)
    merged.update(copy.deepcopy(user or {}))
    if not merged.get("resources") and default.get("resources"):
        merged["resources"] = default["resources"]
    return merged


def _pod(
    cr: dict[str, Any],
    pod_template: dict[str, Any],
    main: dict[str, Any],
    init_names: tuple[str, ...],
    labels: dict[str, str],
    default_affinity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The pod template: the user's podTemplate with the operator's main container and init containers merged in."""
    template = copy.deepcopy(pod_template or {})
    spec = template.setdefault("spec", {})
    user_containers = spec.get("containers") or []
    user_main = next((c for c in user_containers if c.get("name") == main["name"]), None)
    main = _merge_container(user_main, main)
    spec["containers"] = [main, *(c for c in user_containers if c.get("name") != main["name"])]
    # Init containers: the operator's security context (not the user's main one), the main container's resources.
    defaults = {"securityContext": _security(cr), "resources": main.get("resources")}
    inits = [_merge_container({"name": n}, {k: v for k, v in defaults.items() if v}) for n in init_names]
    spec["initContainers"] = [*inits, *(spec.get("initContainers") or [])]
    if "securityContext" not in spec and _version_at_least(cr["spec"]["version"], 8, 0):
        spec["securityContext"] = {"fsGroup": 1000}
    if default_affinity and "affinity" not in spec:
        spec["affinity"] = default_affinity
    metadata = template.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
    return template


def _security(cr: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SECURITY) if _version_at_least(cr["spec"]["version"], 8, 8) else {}


def _roles(node_set: dict[str, Any]) -> dict[str, str]:
    roles = (node_set.get("config") or {}).get("node.roles")
    return {
        f"elasticsearch.k8s.elastic.co/node-{role}": str(roles is None or role in roles).lower() for role in NODE_ROLES
    }


def elasticsearch(cr: dict[str, Any]) -> list[Workload]:
    """One StatefulSet ``<es>-es-<nodeSet>`` per node set, with its ``elasticsearch-data`` claims."""
    meta, spec = cr["metadata"], cr["spec"]
    namespace, name = meta.get("namespace", "default"), meta["name"]
    tls = (spec.get("http") or {}).get("tls", {}).get("selfSignedCertificate", {}).get("disabled") is not True
    scheme = "https" if tls else "http"
    workloads = []
    for node_set in spec.get("nodeSets") or []:
        sts = f"{name}-es-{node_set['name']}"
        labels = {
            "common.k8s.elastic.co/type": "elasticsearch",
            "elasticsearch.k8s.elastic.co/cluster-name": name,
            "elasticsearch.k8s.elastic.co/statefulset-name": sts,
            "elasticsearch.k8s.elastic.co/version": spec["version"],
            "elasticsearch.k8s.elastic.co/http-scheme": scheme,
            **_roles(node_set),
        }
        main = {
            "name": "elasticsearch",
            "resources": ES_RESOURCES,
            "ports": [
                {"name": scheme, "containerPort": 9200, "protocol": "TCP"},
                {"name": "transport", "containerPort": 9300, "protocol": "TCP"},
            ],
        }
        if security := _security(cr):
            main["securityContext"] = security
        anti = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": name}},
                        },
                    }
                ]
            }
        }
        inits = ("elastic-internal-init-filesystem", "elastic-internal-suspend")
        templates = node_set.get("volumeClaimTemplates") or [
            {"metadata": {"name": "elasticsearch-data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
        ]
        workloads.append(
            Workload(
                kind="StatefulSet",
                namespace=namespace,
                name=sts,
                template=_pod(cr, node_set.get("podTemplate") or {}, main, inits, labels, anti),
                replicas=int(node_set.get("count", 1)),
                claim_templates=tuple(claim_of(t, namespace, origin(cr)) for t in templates),
                origin=origin(cr),
            )
        )
    return workloads


def kibana(cr: dict[str, Any]) -> list[Workload]:
    """The Deployment ``<kb>-kb``."""
    meta, spec = cr["metadata"], cr["spec"]
    labels = {
        "common.k8s.elastic.co/type": "kibana",
        "kibana.k8s.elastic.co/name": meta["name"],
        "kibana.k8s.elastic.co/version": spec["version"],
    }
    main = {"name": "kibana", "resources": KIBANA_RESOURCES, "ports": [{"name": "http", "containerPort": 5601}]}
    if security := _security(cr):
        main["securityContext"] = security
    template = _pod(cr, spec.get("podTemplate") or {}, main, ("elastic-internal-init-config",), labels)
    return [
        Workload(
            kind="Deployment",
            namespace=meta.get("namespace", "default"),
            name=f"{meta['name']}-kb",
            template=template,
            replicas=int(spec.get("count", 1)),
            origin=origin(cr),
        )
    ]


def beat(cr: dict[str, Any]) -> list[Workload]:
    """The DaemonSet (or Deployment) ``<beat>-beat-<type>``."""
    meta, spec = cr["metadata"], cr["spec"]
    kind, pods = ("Deployment", spec["deployment"]) if spec.get("deployment") else ("DaemonSet", spec.get("daemonSet"))
    pods = pods or {}
    labels = {
        "common.k8s.elastic.co/type": "beat",
        "beat.k8s.elastic.co/name": meta["name"],
        "beat.k8s.elastic.co/version": spec["version"],
    }
    main: dict[str, Any] = {"name": spec["type"]}
    if security := _security(cr):
        main["securityContext"] = security
    template = _pod(cr, pods.get("podTemplate") or {}, main, (), labels)
    volumes = template["spec"].setdefault("volumes", [])
    if kind == "DaemonSet" and not any(v.get("name") == "beat-data" for v in volumes):
        path = f"/var/lib/{meta.get('namespace', 'default')}/{meta['name']}/{spec['type']}-data"
        volumes.append({"name": "beat-data", "hostPath": {"path": path, "type": "DirectoryOrCreate"}})
    return [
        Workload(
            kind=kind,
            namespace=meta.get("namespace", "default"),
            name=f"{meta['name']}-beat-{spec['type']}",
            template=template,
            replicas=1 if kind == "DaemonSet" else int(pods.get("replicas", 1)),
            origin=origin(cr),
        )
    ]

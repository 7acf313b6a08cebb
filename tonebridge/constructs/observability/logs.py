"""Logs (spec §7.2) through Elastic Cloud on Kubernetes: the operator's values and the objects it serves.

* ``Elasticsearch`` (elasticsearch.k8s.elastic.co/v1) as the spec writes it: node set ``master``
  (3, roles master, 10Gi) and node set ``data`` (3, roles data and ingest, 100Gi), both claims on
  ``fast-ssd``, on the database pool (spec §3.1, its taint tolerated). ECK's default pod security
  (non-root, no escalation, no capabilities, read-only root) plus RuntimeDefault seccomp meets the
  ``restricted`` profile. Elasticsearch needs ``vm.max_map_count`` ≥ 262144; the nodes already set
  it at boot (spec §12.1, constructs/node_userdata.py), so no privileged sysctl init container runs.
* ``Kibana`` (kibana.k8s.elastic.co/v1), wired to Elasticsearch by ``elasticsearchRef``: ECK
  creates its user and certificates, nothing here holds a credential.
* Filebeat (beat.k8s.elastic.co/v1beta1), a DaemonSet on every node reading the container logs
  under /var/log/containers, with pod metadata. It reads host paths as root, so it runs in the
  agents' namespace, whose pod security level says why; ECK again creates its Elasticsearch user.
* Index lifecycle: Filebeat installs the ILM policy built here (rollover by size and age, delete
  after ``retention_days``) for its data stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tonebridge.constructs.pod_defaults import (
    EVERY_NODE_TOLERATIONS,
    restricted_container_context,
    restricted_pod_context,
)
from tonebridge.props.pools import DATABASE_POOL, Toleration
from tonebridge.props.types import STORAGE_RE

ELASTICSEARCH_API = "elasticsearch.k8s.elastic.co/v1"
KIBANA_API = "kibana.k8s.elastic.co/v1"
BEAT_API = "beat.k8s.elastic.co/v1beta1"
#: uid/gid of the elasticsearch, kibana and beats users in Elastic's images.
ELASTIC_UID = 1000
FILEBEAT_ILM_DIR = "/usr/share/filebeat/ilm"
KIBANA = "kibana"
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class NodeSet:
    """One Elasticsearch node set: ``count`` nodes with ``roles`` and a claim of ``storage_size``."""

    name: str
    count: int
    roles: Sequence[str]
    storage_size: str
    resources: Mapping[str, Mapping[str, str]]

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"node set {self.name}: count must be at least 1")
        if not STORAGE_RE.match(self.storage_size):
            raise ValueError(f"node set {self.name}: storage_size {self.storage_size!r} must look like 10Gi")
        unknown = set(self.roles) - {"master", "data", "ingest", "data_hot", "data_warm", "data_cold", "ml"}
        if not self.roles or unknown:
            raise ValueError(f"node set {self.name}: roles {list(self.roles)} are not Elasticsearch roles")


@dataclass(frozen=True)
class LogsProps:
    """Elasticsearch, Kibana and Filebeat.

    :param namespace: Elasticsearch and Kibana (``restricted``). :param agents_namespace: Filebeat.
    :param version: Elastic Stack version of all three (spec §7.2: 8.11.0).
    :param node_sets: spec §7.2's ``master`` and ``data``.
    :param storage_class: of every claim (spec: fast-ssd).
    :param retention_days / rollover_size / rollover_age: the ILM policy.
    """

    namespace: str
    agents_namespace: str
    version: str
    node_sets: Sequence[NodeSet]
    storage_class: str = "fast-ssd"
    kibana_count: int = 2
    retention_days: int = 30
    rollover_size: str = "50gb"
    rollover_age: str = "1d"
    name: str = "elasticsearch"
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(DATABASE_POOL[0]))
    tolerations: Sequence[Toleration] = DATABASE_POOL[1]
    kibana_node_selector: Mapping[str, str] = field(default_factory=lambda: {"workload": "application"})

    def __post_init__(self) -> None:
        if not _VERSION.match(self.version):
            raise ValueError(f"logs: version {self.version!r} must look like 8.11.0")
        if not any("master" in s.roles for s in self.node_sets):
            raise ValueError("logs: no node set is master-eligible")
        if not any("data" in s.roles for s in self.node_sets):
            raise ValueError("logs: no node set holds data")
        if len({s.name for s in self.node_sets}) != len(self.node_sets):
            raise ValueError("logs: node set names must be distinct")
        if self.retention_days < 1:
            raise ValueError("logs: retention_days must be at least 1")
        if self.namespace == self.agents_namespace:
            raise ValueError("logs: Filebeat needs a namespace of its own (it reads host paths)")


def _node_set(props: LogsProps, node_set: NodeSet) -> dict[str, Any]:
    return {
        "name": node_set.name,
        "count": node_set.count,
        "config": {"node.roles": list(node_set.roles)},
        "podTemplate": {
            "spec": {
                "nodeSelector": dict(props.node_selector),
                "tolerations": [t.manifest() for t in props.tolerations],
                "securityContext": restricted_pod_context(uid=ELASTIC_UID, gid=ELASTIC_UID),
                "containers": [
                    {
                        "name": "elasticsearch",
                        "resources": {k: dict(v) for k, v in node_set.resources.items()},
                        "securityContext": restricted_container_context(),
                    }
                ],
            }
        },
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "elasticsearch-data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": node_set.storage_size}},
                    "storageClassName": props.storage_class,
                },
            }
        ],
    }


def elasticsearch(props: LogsProps) -> dict[str, Any]:
    return {
        "apiVersion": ELASTICSEARCH_API,
        "kind": "Elasticsearch",
        "metadata": {"name": props.name, "namespace": props.namespace},
        "spec": {"version": props.version, "nodeSets": [_node_set(props, s) for s in props.node_sets]},
    }


def kibana(props: LogsProps) -> dict[str, Any]:
    return {
        "apiVersion": KIBANA_API,
        "kind": "Kibana",
        "metadata": {"name": KIBANA, "namespace": props.namespace},
        "spec": {
            "version": props.version,
            "count": props.kibana_count,
            "elasticsearchRef": {"name": props.name},
            "podTemplate": {
                "spec": {
                    "nodeSelector": dict(props.kibana_node_selector),
                    "securityContext": restricted_pod_context(uid=ELASTIC_UID, gid=ELASTIC_UID),
                    "containers": [
                        {
                            "name": "kibana",
                            "resources": {
                                "requests": {"cpu": "500m", "memory": "1Gi"},
                                "limits": {"cpu": "1", "memory": "2Gi"},
                            },
                            "securityContext": restricted_container_context(),
                        }
                    ],
                }
            },
        },
    }


def ilm_policy(props: LogsProps) -> dict[str, Any]:
    """Hot until a primary shard reaches ``rollover_size`` or ``rollover_age``, deleted after ``retention_days``."""
    return {
        "policy": {
            "phases": {
                "hot": {
                    "actions": {
                        "rollover": {"max_primary_shard_size": props.rollover_size, "max_age": props.rollover_age}
                    }
                },
                "delete": {"min_age": f"{props.retention_days}d", "actions": {"delete": {}}},
            }
        }
    }


FILEBEAT = "filebeat"
ILM_POLICY_NAME = "tonebridge-logs"


def filebeat_ilm_config_map(props: LogsProps) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{FILEBEAT}-ilm", "namespace": props.agents_namespace},
        "data": {"policy.json": json.dumps(ilm_policy(props), indent=2, sort_keys=True)},
    }


def filebeat_rbac(props: LogsProps) -> list[dict[str, Any]]:
    """Filebeat's identity: read pods, namespaces and nodes (and their owners) for log metadata."""
    ns = props.agents_namespace
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": FILEBEAT, "namespace": ns}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": FILEBEAT},
            "rules": [
                {"apiGroups": [""], "resources": ["namespaces", "pods", "nodes"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": FILEBEAT},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": FILEBEAT},
            "subjects": [{"kind": "ServiceAccount", "name": FILEBEAT, "namespace": ns}],
        },
    ]


def filebeat(props: LogsProps) -> dict[str, Any]:
    """Container logs of every node to Elasticsearch; ECK writes the output's address and credentials."""
    host_paths = {"varlogcontainers": "/var/log/containers", "varlogpods": "/var/log/pods"}
    # Filebeat reads the kubelet's log files (root-owned) and keeps its registry on the node, so it
    # runs as uid 0, but without privilege, escalation or any capability, on a read-only root.
    container_context = {**restricted_container_context(), "runAsNonRoot": False, "runAsUser": 0}
    return {
        "apiVersion": BEAT_API,
        "kind": "Beat",
        "metadata": {"name": FILEBEAT, "namespace": props.agents_namespace},
        "spec": {
            "type": FILEBEAT,
            "version": props.version,
            "elasticsearchRef": {"name": props.name, "namespace": props.namespace},
            "config": {
                "filebeat.inputs": [
                    {
                        "type": "filestream",
                        "id": "kubernetes-container-logs",
                        "paths": ["/var/log/containers/*.log"],
                        "prospector.scanner.symlinks": True,
                        "parsers": [{"container": {}}],
                        "processors": [
                            {
                                "add_kubernetes_metadata": {
                                    "host": "${NODE_NAME}",
                                    "matchers": [{"logs_path": {"logs_path": "/var/log/containers/"}}],
                                }
                            }
                        ],
                    }
                ],
                "setup.ilm.enabled": True,
                "setup.ilm.policy_name": ILM_POLICY_NAME,
                "setup.ilm.policy_file": f"{FILEBEAT_ILM_DIR}/policy.json",
                "setup.ilm.overwrite": True,
            },
            "daemonSet": {
                "podTemplate": {
                    "spec": {
                        "serviceAccountName": FILEBEAT,
                        "automountServiceAccountToken": True,
                        "tolerations": [dict(t) for t in EVERY_NODE_TOLERATIONS],
                        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [
                            {
                                "name": FILEBEAT,
                                "env": [
                                    {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
                                ],
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "200Mi"},
                                    "limits": {"cpu": "500m", "memory": "500Mi"},
                                },
                                "securityContext": container_context,
                                "volumeMounts": [
                                    *({"name": n, "mountPath": p, "readOnly": True} for n, p in host_paths.items()),
                                    {"name": "ilm", "mountPath": FILEBEAT_ILM_DIR, "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            *({"name": n, "hostPath": {"path": p, "type": "Directory"}} for n, p in host_paths.items()),
                            {"name": "ilm", "configMap": {"name": f"{FILEBEAT}-ilm"}},
                        ],
                    }
                }
            },
        },
    }


def operator_values(
    replicas: int, node_selector: Mapping[str, str], tolerations: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """eck-operator chart values: restricted pods on the system pool, no telemetry."""
    return {
        "replicaCount": replicas,
        "podSecurityContext": restricted_pod_context(),
        "securityContext": restricted_container_context(),
        "nodeSelector": dict(node_selector),
        "tolerations": [dict(t) for t in tolerations],
        "resources": {"requests": {"cpu": "100m", "memory": "150Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "telemetry": {"disabled": True},
    }

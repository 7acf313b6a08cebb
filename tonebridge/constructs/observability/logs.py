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
from collections.abc import Mapping, Sequence
from typing import Any

from tonebridge.constructs.pod_defaults import (
    EVERY_NODE_TOLERATIONS,
    restricted_container_context,
    restricted_pod_context,
)
from tonebridge.props.observability import LogsSettings, NodeSetSettings, ObservabilitySettings
from tonebridge.props.pools import DATABASE_POOL

ELASTICSEARCH_API = "elasticsearch.k8s.elastic.co/v1"
KIBANA_API = "kibana.k8s.elastic.co/v1"
BEAT_API = "beat.k8s.elastic.co/v1beta1"
#: uid/gid of the elasticsearch, kibana and beats users in Elastic's images.
ELASTIC_UID = 1000
FILEBEAT_ILM_DIR = "/usr/share/filebeat/ilm"
KIBANA = "kibana"


#: The Elasticsearch cluster's name (ECK's ``<name>-es-http`` service, the clients' ``elasticsearchRef``).
ELASTICSEARCH = "elasticsearch"
#: Spec §7.2's node sets: the settings attribute (``logs.master``, ``logs.data``) is the node set's name.
NODE_SET_ROLES: dict[str, tuple[str, ...]] = {"master": ("master",), "data": ("data", "ingest")}
#: Elasticsearch runs on the database pool (spec §3.1, its taint tolerated); Kibana on the application pool.
ELASTICSEARCH_POOL = DATABASE_POOL
KIBANA_NODE_SELECTOR = {"workload": "application"}


def _node_set(logs: LogsSettings, name: str) -> dict[str, Any]:
    node_set: NodeSetSettings = getattr(logs, name)
    selector, tolerations = ELASTICSEARCH_POOL
    return {
        "name": name,
        "count": node_set.count,
        "config": {"node.roles": list(NODE_SET_ROLES[name])},
        "podTemplate": {
            "spec": {
                "nodeSelector": dict(selector),
                "tolerations": [t.manifest() for t in tolerations],
                "securityContext": restricted_pod_context(uid=ELASTIC_UID, gid=ELASTIC_UID),
                "containers": [
                    {
                        "name": "elasticsearch",
                        "resources": node_set.resources.manifest(),
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
                    "storageClassName": logs.storage_class,
                },
            }
        ],
    }


def elasticsearch(logs: LogsSettings) -> dict[str, Any]:
    return {
        "apiVersion": ELASTICSEARCH_API,
        "kind": "Elasticsearch",
        "metadata": {"name": ELASTICSEARCH, "namespace": logs.namespace},
        "spec": {"version": logs.version, "nodeSets": [_node_set(logs, name) for name in NODE_SET_ROLES]},
    }


def kibana(logs: LogsSettings) -> dict[str, Any]:
    return {
        "apiVersion": KIBANA_API,
        "kind": "Kibana",
        "metadata": {"name": KIBANA, "namespace": logs.namespace},
        "spec": {
            "version": logs.version,
            "count": logs.kibana_count,
            "elasticsearchRef": {"name": ELASTICSEARCH},
            "podTemplate": {
                "spec": {
                    "nodeSelector": dict(KIBANA_NODE_SELECTOR),
                    "securityContext": restricted_pod_context(uid=ELASTIC_UID, gid=ELASTIC_UID),
                    "containers": [
                        {
                            "name": "kibana",
                            "resources": logs.kibana_resources.manifest(),
                            "securityContext": restricted_container_context(),
                        }
                    ],
                }
            },
        },
    }


def ilm_policy(logs: LogsSettings) -> dict[str, Any]:
    """Hot until a primary shard reaches ``rollover_size`` or ``rollover_age``, deleted after ``retention_days``."""
    return {
        "policy": {
            "phases": {
                "hot": {
                    "actions": {
                        "rollover": {"max_primary_shard_size": logs.rollover_size, "max_age": logs.rollover_age}
                    }
                },
                "delete": {"min_age": f"{logs.retention_days}d", "actions": {"delete": {}}},
            }
        }
    }


FILEBEAT = "filebeat"
ILM_POLICY_NAME = "tonebridge-logs"


def filebeat_ilm_config_map(settings: ObservabilitySettings) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{FILEBEAT}-ilm", "namespace": settings.agents_namespace},
        "data": {"policy.json": json.dumps(ilm_policy(settings.logs), indent=2, sort_keys=True)},
    }


def filebeat_rbac(settings: ObservabilitySettings) -> list[dict[str, Any]]:
    """Filebeat's identity: read pods, namespaces and nodes (and their owners) for log metadata."""
    ns = settings.agents_namespace
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


def filebeat(settings: ObservabilitySettings) -> dict[str, Any]:
    """Container logs of every node to Elasticsearch; ECK writes the output's address and credentials."""
    host_paths = {"varlogcontainers": "/var/log/containers", "varlogpods": "/var/log/pods"}
    # Filebeat reads the kubelet's log files (root-owned) and keeps its registry on the node, so it
    # runs as uid 0, but without privilege, escalation or any capability, on a read-only root.
    container_context = {**restricted_container_context(), "runAsNonRoot": False, "runAsUser": 0}
    return {
        "apiVersion": BEAT_API,
        "kind": "Beat",
        "metadata": {"name": FILEBEAT, "namespace": settings.agents_namespace},
        "spec": {
            "type": FILEBEAT,
            "version": settings.logs.version,
            "elasticsearchRef": {"name": ELASTICSEARCH, "namespace": settings.logs.namespace},
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

"""What the cluster will run: core controllers' pods and the pods and claims operators derive from our resources."""

from __future__ import annotations

import os
from pathlib import Path

import helm_python
import pytest
import yaml

from tonebridge.charts import JENKINS
from tools.fit.model import Workload
from tools.fit.operators import derived_workloads
from tools.fit.workloads import workloads_of
from tools.kube_objects import objects_of

RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def by_name(workloads: list[Workload]) -> dict[str, Workload]:
    return {w.name: w for w in workloads}


def containers(workload: Workload, *, init: bool = True) -> dict[str, dict]:
    return {c["name"]: c for c in workload.containers(init=init)}


def pvc(name: str, size: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"resources": {"requests": {"storage": size}}}}


# --- core controllers ---------------------------------------------------------------------------


def test_controllers_default_replicas_claims_cronjobs_and_autoscalers():
    pod = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c"}]}}
    objects = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a"},
            "spec": {"template": pod},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "a"},
            "spec": {"replicas": 3, "template": pod, "volumeClaimTemplates": [pvc("data", "5Gi")]},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "a"},
            "spec": {"jobTemplate": {"spec": {"parallelism": 2, "template": pod}}},
        },
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": {"template": pod}},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "lone", "namespace": "a", "labels": {"k": "v"}},
            "spec": {"containers": [{"name": "c"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "chart-test", "annotations": {"helm.sh/hook": "test"}},
            "spec": {"containers": [{"name": "c"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "scratch", "namespace": "a"},
            "spec": {"storageClassName": "gp3", "resources": {"requests": {"storage": "1Gi"}}},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "a"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 7},
        },
    ]
    workloads, claims = workloads_of(objects)
    found = by_name(workloads)
    assert (found["web"].replicas, found["web"].max_replicas, found["web"].most_replicas) == (1, 7, 7)
    assert [c.name for c in found["db"].claims()] == ["data-db-0", "data-db-1", "data-db-2"]
    assert (found["nightly"].kind, found["nightly"].replicas, found["nightly"].pod_labels) == (
        "CronJob",
        2,
        {"app": "x"},
    )
    assert (found["agent"].daemonset, found["agent"].namespace) == (True, "default")
    assert (found["lone"].kind, found["lone"].pod_labels) == ("Pod", {"k": "v"})
    assert "chart-test" not in found
    assert [(c.name, c.size, c.storage_class) for c in claims] == [("scratch", "1Gi", "gp3")]


# --- OT redis-operator ----------------------------------------------------------------------------

REDIS_CONTEXT = {**RESTRICTED, "readOnlyRootFilesystem": False}


def redis_cluster(**extra) -> dict:
    role = {
        "replicas": 3,
        "securityContext": REDIS_CONTEXT,
        "nodeSelector": {"workload": "database"},
        "redisConfig": {"additionalRedisConfig": "redis-config"},
    }
    return {
        "apiVersion": "redis.redis.opstreelabs.in/v1beta2",
        "kind": "RedisCluster",
        "metadata": {"name": "redis", "namespace": "production", "labels": {"tier": "cache"}},
        "spec": {
            "clusterSize": 3,
            "persistenceEnabled": True,
            "kubernetesConfig": {"image": "quay.io/opstree/redis:v7.0.15", "resources": {"limits": {"memory": "3Gi"}}},
            "podSecurityContext": {"runAsUser": 1000, "fsGroup": 1000},
            "redisExporter": {"enabled": True, "image": "exporter", "securityContext": RESTRICTED},
            "redisLeader": role,
            "redisFollower": {**role, "replicas": 2},
            "storage": {
                "nodeConfVolume": True,
                "nodeConfVolumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "1Gi"}}}},
                "volumeClaimTemplate": {
                    "spec": {"storageClassName": "fast-ssd", "resources": {"requests": {"storage": "10Gi"}}}
                },
            },
            **extra,
        },
    }


def test_redis_cluster_leader_and_follower_statefulsets():
    found = by_name(derived_workloads([redis_cluster()], {}))
    leader, follower = found["redis-leader"], found["redis-follower"]
    assert (leader.kind, leader.replicas, follower.replicas) == ("StatefulSet", 3, 2)
    assert leader.pod_labels == {
        "tier": "cache",
        "app": "redis-leader",
        "redis_setup_type": "cluster",
        "role": "leader",
    }
    redis, exporter = containers(leader)["redis-leader"], containers(leader)["redis-exporter"]
    # The role's securityContext exactly as written: a writable root stays writable.
    assert redis["securityContext"] == REDIS_CONTEXT
    assert redis["resources"] == {"limits": {"memory": "3Gi"}}
    assert "ports" not in redis
    assert {"name": "external-config", "mountPath": "/etc/redis/external.conf.d"} in redis["volumeMounts"]
    assert (exporter["securityContext"], exporter["ports"][0]["containerPort"]) == (RESTRICTED, 9121)
    assert "initContainers" not in leader.pod_spec
    assert leader.pod_spec["nodeSelector"] == {"workload": "database"}
    assert [c.name for c in leader.claims()[:2]] == ["node-conf-redis-leader-0", "redis-leader-redis-leader-0"]
    assert [(c.size, c.storage_class) for c in leader.claim_templates] == [("1Gi", None), ("10Gi", "fast-ssd")]
    assert len(leader.claims()) + len(follower.claims()) == (3 + 2) * 2


def test_redis_without_persistence_keeps_only_the_node_conf_claim():
    found = by_name(derived_workloads([redis_cluster(persistenceEnabled=False)], {}))
    assert [t.name for t in found["redis-leader"].claim_templates] == ["node-conf"]


def test_redis_config_in_init_container_when_the_operator_enables_the_gate():
    operator = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "redis-operator", "namespace": "redis-operator"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "redis-operator",
                            "image": "quay.io/opstree/redis-operator:v0.26.0",
                            "env": [{"name": "FEATURE_GATES", "value": "GenerateConfigInInitContainer=true"}],
                        }
                    ]
                }
            }
        },
    }
    cr = redis_cluster(initContainer={"enabled": False, "securityContext": RESTRICTED})
    leader = by_name(derived_workloads([cr, operator], {}))["redis-leader"]
    init = containers(leader)["init-config"]
    assert (init["securityContext"], init["resources"]) == (RESTRICTED, {"limits": {"memory": "3Gi"}})
    assert containers(leader)["redis-leader"]["args"] == ["/etc/redis/redis.conf"]
    assert {"name": "config", "emptyDir": {}} in leader.pod_spec["volumes"]


# --- CloudNativePG --------------------------------------------------------------------------------


def test_cnpg_cluster_instance_pods_initdb_job_and_claims():
    cr = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "staging"},
        "spec": {
            "instances": 2,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:16",
            "resources": {"requests": {"cpu": "1"}},
            "affinity": {
                "nodeSelector": {"workload": "database"},
                "podAntiAffinityType": "required",
                "topologyKey": "topology.kubernetes.io/zone",
            },
            "storage": {"size": "100Gi", "storageClass": "fast-ssd"},
            "walStorage": {"size": "10Gi"},
        },
    }
    found = by_name(derived_workloads([cr], {}))
    assert sorted(found) == ["pg-1", "pg-1-initdb", "pg-2"]
    primary, job = found["pg-1"], found["pg-1-initdb"]
    assert (primary.kind, job.kind) == ("Pod", "Job")
    assert primary.pod_labels == {
        "cnpg.io/cluster": "pg",
        "cnpg.io/instanceName": "pg-1",
        "cnpg.io/podRole": "instance",
        "cnpg.io/instanceRole": "primary",
        "role": "primary",
    }
    assert found["pg-2"].pod_labels["cnpg.io/instanceRole"] == "replica"
    assert job.pod_labels["cnpg.io/jobRole"] == "initdb"
    postgres, bootstrap = containers(primary)["postgres"], containers(primary)["bootstrap-controller"]
    for container in (postgres, bootstrap, containers(job)["initdb"]):
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["resources"] == {"requests": {"cpu": "1"}}
    assert [p["containerPort"] for p in postgres["ports"]] == [5432, 9187, 8000]
    assert primary.pod_spec["securityContext"]["runAsUser"] == 26
    anti = primary.pod_spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["topologyKey"] == "topology.kubernetes.io/zone"
    assert [(c.size, c.storage_class) for c in primary.claim_templates] == [("100Gi", "fast-ssd"), ("10Gi", None)]
    assert [c.name for c in primary.claims()] == [primary.name, f"{primary.name}-wal"]  # pkg/specs/pvcs.go
    assert job.claim_templates == ()


# --- ECK ------------------------------------------------------------------------------------------


def test_eck_elasticsearch_kibana_and_beat():
    es = {
        "apiVersion": "elasticsearch.k8s.elastic.co/v1",
        "kind": "Elasticsearch",
        "metadata": {"name": "logs", "namespace": "logging"},
        "spec": {
            "version": "8.11.0",
            "nodeSets": [{"name": "default", "count": 2, "config": {"node.roles": ["master"]}}],
        },
    }
    kb = {
        "apiVersion": "kibana.k8s.elastic.co/v1",
        "kind": "Kibana",
        "metadata": {"name": "ui", "namespace": "logging"},
        "spec": {"version": "8.11.0", "count": 2},
    }
    beat = {
        "apiVersion": "beat.k8s.elastic.co/v1beta1",
        "kind": "Beat",
        "metadata": {"name": "fb", "namespace": "agents"},
        "spec": {
            "version": "8.11.0",
            "type": "filebeat",
            "daemonSet": {
                "podTemplate": {"spec": {"containers": [{"name": "filebeat", "securityContext": {"runAsUser": 0}}]}}
            },
        },
    }
    found = by_name(derived_workloads([es, kb, beat], {}))
    sts = found["logs-es-default"]
    assert (sts.kind, sts.replicas) == ("StatefulSet", 2)
    assert sts.pod_labels["elasticsearch.k8s.elastic.co/cluster-name"] == "logs"
    assert sts.pod_labels["common.k8s.elastic.co/type"] == "elasticsearch"
    assert sts.pod_labels["elasticsearch.k8s.elastic.co/node-master"] == "true"
    assert list(containers(sts)) == ["elasticsearch", "elastic-internal-init-filesystem", "elastic-internal-suspend"]
    main = containers(sts)["elasticsearch"]
    assert main["resources"] == {"requests": {"memory": "2Gi"}, "limits": {"memory": "2Gi"}}
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert [p["containerPort"] for p in main["ports"]] == [9200, 9300]
    assert sts.pod_spec["securityContext"] == {"fsGroup": 1000}
    assert [(c.name, c.size) for c in sts.claims()] == [
        ("elasticsearch-data-logs-es-default-0", "1Gi"),
        ("elasticsearch-data-logs-es-default-1", "1Gi"),
    ]
    assert (found["ui-kb"].kind, found["ui-kb"].replicas) == ("Deployment", 2)
    assert found["ui-kb"].pod_labels["common.k8s.elastic.co/type"] == "kibana"
    daemon = found["fb-beat-filebeat"]
    assert daemon.kind == "DaemonSet"
    # The user's security context wins as a whole over the operator's default.
    assert containers(daemon)["filebeat"]["securityContext"] == {"runAsUser": 0}
    assert any(v["name"] == "beat-data" and "hostPath" in v for v in daemon.pod_spec["volumes"])


# --- Prometheus Operator (from the rendered kube-prometheus-stack chart) -------------------------


def chart_repository() -> Path:
    location = os.environ.get("TONEBRIDGE_CHART_REPOSITORY")
    if not location:
        pytest.fail("TONEBRIDGE_CHART_REPOSITORY must name the offline Helm chart repository")
    return Path(location)


def test_prometheus_and_alertmanager_from_the_rendered_chart():
    storage = {
        "volumeClaimTemplate": {
            "spec": {"storageClassName": "fast-ssd", "resources": {"requests": {"storage": "50Gi"}}}
        }
    }
    values = {
        "prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": storage}},
        "alertmanager": {"alertmanagerSpec": {"replicas": 3, "storage": storage}},
    }
    chart = helm_python.Chart.load(chart_repository() / "kube-prometheus-stack-88.1.3.tgz")
    rendered = chart.render(values, name="kps", namespace="monitoring")
    objects = [d for path, text in rendered.items() if path.endswith(".yaml") for d in yaml.safe_load_all(text) if d]
    found = by_name(derived_workloads(objects, {}))
    prometheus, alertmanager = (
        found["prometheus-kps-kube-prometheus-stack-prometheus"],
        found["alertmanager-kps-kube-prometheus-stack-alertmanager"],
    )
    assert (prometheus.replicas, alertmanager.replicas) == (2, 3)
    assert prometheus.pod_labels["operator.prometheus.io/name"] == "kps-kube-prometheus-stack-prometheus"
    assert prometheus.pod_labels["app.kubernetes.io/name"] == "prometheus"
    assert alertmanager.pod_labels["alertmanager"] == "kps-kube-prometheus-stack-alertmanager"
    assert list(containers(prometheus)) == ["prometheus", "config-reloader", "init-config-reloader"]
    # The chart passes --config-reloader-*=0 when its resources are unset: the reloader gets none.
    assert "resources" not in containers(prometheus)["config-reloader"]
    assert containers(alertmanager)["alertmanager"]["resources"] == {"requests": {"memory": "200Mi"}}
    for container in containers(prometheus).values():
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert next((c.name, c.size) for c in prometheus.claims()) == (
        "prometheus-kps-kube-prometheus-stack-prometheus-db-prometheus-kps-kube-prometheus-stack-prometheus-0",
        "50Gi",
    )


# --- Jenkins agents -------------------------------------------------------------------------------


def test_jenkins_agent_pods_from_the_rendered_jcasc():
    pod = {
        "spec": {
            "containers": [
                {"name": "jnlp", "securityContext": {"runAsUser": 1000}},
                {"name": "kaniko", "securityContext": {"runAsUser": 0, "runAsNonRoot": False}},
            ]
        }
    }
    jcasc = {
        "jenkins": {
            "clouds": [
                {
                    "kubernetes": {
                        "name": "kubernetes",
                        "namespace": "ci-builds",
                        "containerCapStr": "10",
                        "restrictedPssSecurityContext": True,
                        "podLabels": [{"key": "jenkins/jenkins-jenkins-agent", "value": "true"}],
                        "templates": [
                            {
                                "name": "build",
                                "label": "build",
                                "serviceAccount": "builder",
                                "yaml": yaml.safe_dump(pod),
                            }
                        ],
                    }
                }
            ]
        }
    }
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "jcasc", "namespace": "ci", "labels": {"app.kubernetes.io/instance": "jenkins"}},
        "data": {"jcasc-default-config.yaml": yaml.safe_dump(jcasc)},
    }
    # The plugin's working directory as the pinned jenkins chart configures it for its agents.
    chart_values = {"jenkins": helm_python.Chart.load(chart_repository() / f"jenkins-{JENKINS.version}.tgz").values}
    workspace = chart_values["jenkins"]["agent"]["workingDir"]
    (agent,) = derived_workloads([configmap], chart_values)
    assert (agent.kind, agent.namespace, agent.name, agent.max_replicas) == ("Pod", "ci-builds", "build", 10)
    assert agent.pod_labels["jenkins/label"] == "build"
    assert agent.pod_labels["jenkins/jenkins-jenkins-agent"] == "true"
    assert agent.pod_spec["serviceAccountName"] == "builder"
    jnlp, kaniko = containers(agent)["jnlp"], containers(agent)["kaniko"]
    assert jnlp["securityContext"] == {
        "runAsUser": 1000,
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "capabilities": {"drop": ["ALL"]},
    }
    assert kaniko["securityContext"]["runAsNonRoot"] is False  # set fields are kept
    assert {"name": "workspace-volume", "mountPath": workspace} in kaniko["volumeMounts"]


def test_unknown_custom_resources_make_no_pods():
    assert (
        derived_workloads([{"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}}], {})
        == []
    )


# --- the real production stack --------------------------------------------------------------------


def test_production_redis_pods_and_claims(stacks):
    objects = objects_of(stacks["production-us-west-2-platform"])
    (cr,) = [o for o in objects if o["kind"] == "RedisCluster"]
    redis = [w for w in derived_workloads(objects, {}) if w.origin.startswith("operator RedisCluster")]
    spec = cr["spec"]
    pods = sum(w.replicas for w in redis)
    assert pods == sum(spec[f"redis{r}"].get("replicas", spec["clusterSize"]) for r in ("Leader", "Follower"))
    per_pod = int(bool(spec["storage"].get("nodeConfVolume"))) + int(bool(spec.get("persistenceEnabled")))
    assert len([c for w in redis for c in w.claims()]) == pods * per_pod
    assert {c.namespace for w in redis for c in w.claims()} == {cr["metadata"]["namespace"]}

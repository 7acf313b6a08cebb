"""Rules ``quota`` and ``limit-range`` of the cluster-fit check."""

from __future__ import annotations

from decimal import Decimal

from tools.fit import quotas
from tools.fit.model import Claim, ClusterView, Pool, Workload

WHERE = "production/us-west-2: production"


def quota(**hard: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "production-quota", "namespace": "production"},
        "spec": {"hard": hard},
    }


def limit_range(*items: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "resource-limits", "namespace": "production"},
        "spec": {"limits": list(items)},
    }


#: The production LimitRange of spec §12.2.
CONTAINER_LIMITS = {
    "type": "Container",
    "default": {"cpu": "500m", "memory": "512Mi"},
    "defaultRequest": {"cpu": "200m", "memory": "256Mi"},
    "max": {"cpu": "2", "memory": "4Gi"},
    "min": {"cpu": "100m", "memory": "128Mi"},
}


def container(name: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return {"name": name, "image": f"{name}:1", "resources": resources}


def workload(name: str, *containers: dict, kind: str = "Deployment", replicas: int = 1, **extra) -> Workload:
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": list(containers)}}
    return Workload(kind, "production", name, template, replicas=replicas, **extra)


def view(*objects: dict, workloads: list[Workload], claims: list[Claim] | None = None, pools=()) -> ClusterView:
    return ClusterView(
        "production",
        "us-west-2",
        "1.35",
        objects=list(objects),
        workloads=workloads,
        claims=claims or [],
        pools=list(pools),
    )


def lines(cluster: ClusterView) -> list[str]:
    return sorted(p.line() for p in quotas.check(cluster))


def test_claims_over_quota_name_who_makes_them():
    templates = (
        Claim("production", "redis-data", "10Gi", "fast-ssd"),
        Claim("production", "node-conf", "1Gi", "fast-ssd"),
    )
    redis = workload(
        "redis-leader",
        container("redis", {"cpu": "500m", "memory": "1Gi"}, {"cpu": "1", "memory": "2Gi"}),
        kind="StatefulSet",
        replicas=6,
        claim_templates=templates,
        origin="operator RedisCluster production/redis",
    )
    cluster = view(quota(persistentvolumeclaims="10"), workloads=[redis])
    assert lines(cluster) == [
        f"{WHERE}/resourcequota/production-quota: quota: 12 PersistentVolumeClaims (redis: 12) exceed the quota's 10"
    ]


def test_storage_per_class_counts_the_default_class_for_claims_without_one():
    default = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    }
    claims = [Claim("production", "uploads", "60Gi", None), Claim("production", "cache", "50Gi", "gp3")]
    hard = {"gp3.storageclass.storage.k8s.io/requests.storage": "100Gi"}
    cluster = view(default, quota(**hard), workloads=[], claims=claims)
    assert lines(cluster) == [
        f"{WHERE}/resourcequota/production-quota: quota: gp3.storageclass.storage.k8s.io/requests.storage 110Gi "
        "(uploads: 60Gi, cache: 50Gi) exceeds the quota's 100Gi"
    ]


def test_requests_over_quota_name_the_biggest_contributors():
    api = workload("api", container("api", {"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "2Gi"}), replicas=40)
    api.max_replicas = 80
    worker = workload(
        "worker", container("worker", {"cpu": "500m", "memory": "1Gi"}, {"cpu": "1", "memory": "2Gi"}), replicas=42
    )
    cron = workload(
        "report", container("report", {"cpu": "250m", "memory": "256Mi"}, {"cpu": "1", "memory": "1Gi"}), kind="Job"
    )
    tiny = workload("probe", container("probe", {"cpu": "100m", "memory": "128Mi"}, {"cpu": "1", "memory": "1Gi"}))
    cluster = view(quota(**{"requests.cpu": "100", "pods": "200"}), workloads=[api, worker, cron, tiny])
    assert lines(cluster) == [
        f"{WHERE}/resourcequota/production-quota: quota: requests.cpu 101.35 CPU "
        "(api: 80 CPU, worker: 21 CPU, report: 250m CPU, 1 more) exceeds the quota's 100"
    ]


def test_a_limit_over_the_limit_range_max_is_refused():
    big = workload("search", container("search", {"cpu": "1", "memory": "4Gi"}, {"cpu": "2", "memory": "8Gi"}))
    cluster = view(limit_range(CONTAINER_LIMITS), workloads=[big])
    assert lines(cluster) == [
        f"{WHERE}/deployment/search: limit-range: container search: memory limit 8Gi is above the max 4Gi of "
        "LimitRange resource-limits"
    ]


def test_limit_range_bounds_requests_ratio_pods_and_claims():
    lean = workload("lean", container("lean", {"cpu": "50m", "memory": "128Mi"}, {"cpu": "1", "memory": "128Mi"}))
    items = (
        {"type": "Container", "min": {"cpu": "100m"}, "maxLimitRequestRatio": {"cpu": "4"}},
        {"type": "Pod", "max": {"memory": "100Mi"}},
        {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "50Gi"}},
    )
    cluster = view(limit_range(*items), workloads=[lean], claims=[Claim("production", "archive", "100Gi", "gp3")])
    assert lines(cluster) == [
        f"{WHERE}/deployment/lean: limit-range: container lean: cpu limit/request ratio 20 is above the "
        "maxLimitRequestRatio 4 of LimitRange resource-limits",
        f"{WHERE}/deployment/lean: limit-range: container lean: cpu request 50m CPU is below the min 100m of "
        "LimitRange resource-limits",
        f"{WHERE}/deployment/lean: limit-range: pod: memory limit 128Mi is above the max 100Mi of "
        "LimitRange resource-limits",
        f"{WHERE}/persistentvolumeclaim/archive: limit-range: storage request 100Gi is above the max 50Gi of "
        "LimitRange resource-limits",
    ]


def test_a_missing_request_under_a_quota_without_a_limit_range_default_is_refused():
    bare = workload("api", container("api", limits={"memory": "1Gi"}))
    cluster = view(quota(**{"requests.cpu": "100", "requests.memory": "200Gi"}), workloads=[bare])
    assert lines(cluster) == [
        f"{WHERE}/deployment/api: quota: container api sets no requests.cpu and no LimitRange gives a default: "
        "ResourceQuota production-quota counts it, so the API server refuses the pod"
    ]


def test_limit_range_defaults_let_bare_containers_in_and_count_against_the_quota():
    bare = workload("api", container("api"), replicas=3)
    cluster = view(
        limit_range(CONTAINER_LIMITS), quota(**{"requests.cpu": "500m", "limits.memory": "2Gi"}), workloads=[bare]
    )
    assert lines(cluster) == [
        f"{WHERE}/resourcequota/production-quota: quota: requests.cpu 600m CPU (api: 600m CPU) exceeds the quota's 500m"
    ]


def test_pod_resources_follow_the_sidecar_formula():
    spec = {
        "initContainers": [
            {"name": "setup", "resources": {"requests": {"cpu": "2"}}},
            {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
            {"name": "migrate", "resources": {"requests": {"cpu": "1"}}},
        ],
        "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}],
    }
    assert quotas.pod_resources(spec, "requests") == {"cpu": Decimal("2"), "memory": Decimal(1024**3 + 128 * 1024**2)}
    spec["initContainers"][0]["resources"]["requests"]["cpu"] = "100m"
    assert quotas.pod_resources(spec, "requests")["cpu"] == Decimal("1.1")  # migrate runs beside the proxy


def test_a_daemonset_counts_a_pod_on_every_node_it_can_land_on():
    taint = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
    system = Pool("system", "node-group", {"workload": "system"}, (taint,), ("t3.medium",), 110, 2, 4)
    apps = Pool("apps", "node-group", {"workload": "apps"}, (), ("m5.large",), 110, 3, 10)
    burst = Pool("burst", "karpenter", {"workload": "burst"}, (), ("m5.large", "m5.xlarge"), 110, cpu_limit="16")
    agent = workload("agent", container("agent", {"cpu": "100m"}, {"cpu": "100m"}), kind="DaemonSet")
    cluster = view(workloads=[agent], pools=[system, apps, burst])
    assert quotas.pod_count(cluster, agent) == 10 + 8
    agent.template["spec"]["tolerations"] = [{"operator": "Exists"}]
    agent.template["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux"}
    other = Workload("DaemonSet", "production", "agent2", agent.template)
    assert quotas.pod_count(cluster, other) == 4 + 10 + 8

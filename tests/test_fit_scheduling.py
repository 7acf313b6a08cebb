"""Rules ``scheduling`` and ``capacity`` on small hand-written clusters, and the pools of the real stacks."""

from __future__ import annotations

from typing import Any

import pytest

from tonebridge.capacity import Resources
from tonebridge.constructs.node_userdata import KERNEL_PARAMETERS, encoded, node_user_data
from tools.fit import scheduling
from tools.fit.model import ClusterView, Pool, Workload
from tools.fit.pools import node_config_max_pods, pools_of
from tools.fit.scheduling import capacity_table, format_table, pod_requests, satisfiable, selector_matches
from tools.kube_objects import objects_of

SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
SYSTEM_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
# By hand (tonebridge.capacity, maxPods 110): t3.medium 2000m - 70m reserved = 1930m; 4096Mi - 308Mi VM
# overhead - (255 + 11 x 110)Mi reserved - 100Mi eviction = 2223Mi. c5.xlarge: 3920m; 8192 - 615 - 1465 - 100 = 6012Mi.
T3_MEDIUM = Resources(1930, 2223)
C5_XLARGE = Resources(3920, 6012)


def _pool(name: str, types: tuple[str, ...], min_size: int, max_size: int, taints=(), **extra: Any) -> Pool:
    return Pool(
        name=name,
        kind="node-group",
        labels={"workload": name, "eks.amazonaws.com/nodegroup": name},
        taints=tuple(taints),
        instance_types=types,
        max_pods=110,
        min_size=min_size,
        max_size=max_size,
        label_choices={"topology.kubernetes.io/zone": ("us-west-2a", "us-west-2b")},
        **extra,
    )


SYSTEM = _pool("system", ("t3.medium",), 2, 5, taints=[SYSTEM_TAINT])
APPLICATION = _pool("application", ("c5.xlarge",), 1, 2)


def _pod(cpu: str, memory: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "x", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    return {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [container], **spec}}


def _view(*workloads: Workload, pools: tuple[Pool, ...] = (SYSTEM, APPLICATION)) -> ClusterView:
    return ClusterView("production", "us-west-2", "1.35", workloads=list(workloads), pools=list(pools))


def _lines(view: ClusterView) -> list[str]:
    return [p.line() for p in scheduling.check(view)]


def _everywhere_agent() -> Workload:
    spec = _pod("100m", "128Mi", tolerations=[{"operator": "Exists"}])
    return Workload("DaemonSet", "node-agents", "agent", spec)


def test_oversized_request_names_the_node_and_its_daemonsets():
    prometheus = Workload(
        "StatefulSet",
        "monitoring",
        "prometheus",
        _pod("500m", "4Gi", nodeSelector={"workload": "system"}, tolerations=[SYSTEM_TOLERATION]),
    )
    assert _lines(_view(prometheus, _everywhere_agent())) == [
        "production/us-west-2: monitoring/statefulset/prometheus: scheduling: requests 500m CPU, 4096Mi memory; "
        "no node of its pools has room: system (t3.medium) allocates 1930m CPU, 2223Mi memory "
        "less its DaemonSets' 100m CPU, 128Mi memory"
    ]


def test_selector_no_pool_has():
    grafana = Workload("Deployment", "monitoring", "grafana", _pod("100m", "128Mi", nodeSelector={"workload": "mon"}))
    assert _lines(_view(grafana)) == [
        "production/us-west-2: monitoring/deployment/grafana: scheduling: "
        "node selector workload=mon matches no pool (system, application)"
    ]


def test_taint_not_tolerated():
    operator = Workload("Deployment", "ops", "operator", _pod("100m", "128Mi", nodeSelector={"workload": "system"}))
    assert _lines(_view(operator)) == [
        "production/us-west-2: ops/deployment/operator: scheduling: "
        "tolerates no taint of the pools its node selector matches: system (CriticalAddonsOnly=true:NoSchedule)"
    ]


def test_pool_pinned_past_its_max():
    web = Workload("Deployment", "production", "web", _pod("1", "1Gi"), replicas=2, max_replicas=10)
    assert _lines(_view(web)) == [
        "production/us-west-2: -/nodegroup/application: capacity: pods pinned to it request 10 CPU, 10240Mi memory "
        "at its maximum size; allocatable on 2 x c5.xlarge: 7840m CPU, 12024Mi memory"
    ]


def test_pool_that_carries_the_autoscaler_short_at_its_minimum_size():
    web = Workload("Deployment", "production", "web", _pod("3", "1Gi"), replicas=2)
    scaler = Workload(
        "Deployment", "kube-system", "cluster-autoscaler", _pod("100m", "128Mi"), origin="chart cluster-autoscaler"
    )
    assert _lines(_view(web, scaler)) == [
        "production/us-west-2: -/nodegroup/application: capacity: pods pinned to it request 6100m CPU, 2176Mi memory "
        "at its minimum size; allocatable on 1 x c5.xlarge: 3920m CPU, 6012Mi memory"
    ]


def test_other_pools_grow_from_their_minimum_size():
    web = Workload("Deployment", "production", "web", _pod("3", "1Gi"), replicas=2)
    assert _lines(_view(web)) == []


def test_required_anti_affinity_needs_a_node_per_replica():
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    web = Workload("Deployment", "production", "web", _pod("100m", "128Mi", affinity=anti), replicas=3)
    assert _lines(_view(web)) == [
        "production/us-west-2: production/deployment/web: capacity: 3 replicas need 3 nodes "
        "(required anti-affinity on kubernetes.io/hostname); application has at most 2"
    ]


def test_capacity_table_by_hand():
    controller = Workload(
        "Deployment",
        "kube-system",
        "controller",
        _pod("200m", "256Mi", nodeSelector={"workload": "system"}, tolerations=[SYSTEM_TOLERATION]),
        replicas=2,
        max_replicas=3,
    )
    # Tolerates the system taint and selects nothing: both pools take it, so it is shared.
    dns = Workload(
        "Deployment", "kube-system", "dns", _pod("100m", "70Mi", tolerations=[SYSTEM_TOLERATION]), replicas=2
    )
    view = _view(controller, dns, _everywhere_agent())
    system, application = capacity_table(view)
    assert system.node == T3_MEDIUM and system.daemonsets == Resources(100, 128)
    # min: 2 x 200m/256Mi + 2 nodes x 100m/128Mi; max: 3 x 200m/256Mi + 5 nodes x 100m/128Mi.
    assert system.requests_min == Resources(600, 768)
    assert system.offered_min == Resources(3860, 4446)
    assert system.headroom_min == Resources(3260, 3678)
    assert system.requests_max == Resources(1100, 1408)
    assert system.offered_max == Resources(9650, 11115)
    assert system.shared == application.shared == Resources(200, 140)
    assert application.requests_min == Resources(100, 128) and application.offered_max == C5_XLARGE * 2
    assert format_table([system]).splitlines()[2] == (
        "| system | 2-5 x t3.medium | 1.93 CPU / 2.2 GiB | 0.10 CPU / 0.1 GiB | 0.60 CPU / 0.8 GiB "
        "| 3.86 CPU / 4.3 GiB | 3.26 CPU / 3.6 GiB | 1.10 CPU / 1.4 GiB | 9.65 CPU / 10.9 GiB "
        "| 8.55 CPU / 9.5 GiB | 0.20 CPU / 0.1 GiB |"
    )
    assert scheduling.check(view) == []


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("In", ["us-west-2b", "eu-west-1a"], True),
        ("In", ["eu-west-1a"], False),
        ("NotIn", ["us-west-2a"], True),
        ("NotIn", ["us-west-2a", "us-west-2b"], False),
        ("Exists", [], True),
        ("DoesNotExist", [], False),
    ],
)
def test_node_affinity_against_a_pool_of_several_zones(operator, values, expected):
    term = {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": operator, "values": values}]}
    spec = {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    }
    assert selector_matches(spec, scheduling.node_labels(APPLICATION, "us-west-2")) is expected


def test_gt_lt_and_absent_labels():
    labels = {"generation": frozenset(["5", "6"])}
    assert satisfiable(labels, [("generation", "Gt", ("5",))])
    assert not satisfiable(labels, [("generation", "Gt", ("5",)), ("generation", "Lt", ("6",))])
    assert satisfiable(labels, [("gpu", "DoesNotExist", ())]) and not satisfiable(labels, [("gpu", "Exists", ())])


def test_managed_group_labels_and_empty_key_exists_tolerates_all():
    spec = {"nodeSelector": {"eks.amazonaws.com/nodegroup": "system", "kubernetes.io/os": "linux"}}
    assert selector_matches(spec, scheduling.node_labels(SYSTEM, "us-west-2"))
    assert scheduling.untolerated(spec, SYSTEM) == [SYSTEM_TAINT]
    assert scheduling.untolerated({"tolerations": [{"operator": "Exists"}]}, SYSTEM) == []
    assert scheduling.untolerated({"tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}, SYSTEM) == []
    wrong_effect = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoExecute"}
    assert scheduling.untolerated({"tolerations": [wrong_effect]}, SYSTEM) == [SYSTEM_TAINT]


def test_pod_requests_as_the_scheduler_sums_them():
    def container(cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
        return {"name": cpu, "resources": {"requests": {"cpu": cpu, "memory": memory}}, **extra}

    spec = {
        "containers": [container("500m", "256Mi"), {"name": "limited", "resources": {"limits": {"memory": "1Gi"}}}],
        # A sidecar adds to the containers and runs beside the init container after it: 1 + 0.1 CPU.
        "initContainers": [container("100m", "64Mi", restartPolicy="Always"), container("1", "128Mi")],
        "overhead": {"cpu": "10m", "memory": "1Mi"},
    }
    # containers 600m + sidecar = 600m, 1344Mi; init 1100m, 192Mi; max, plus overhead.
    assert pod_requests(spec) == Resources(1110, 1345)


def test_node_config_max_pods_reads_launch_template_user_data():
    assert node_config_max_pods(encoded(node_user_data(KERNEL_PARAMETERS, 58))) == 58
    assert node_config_max_pods(node_user_data(KERNEL_PARAMETERS, 29)) == 29  # an EC2NodeClass's plain userData


def test_production_us_west_2_pools(stacks):
    pools = pools_of(stacks["production-us-west-2"], objects_of(stacks["production-us-west-2-platform"]), max_pods=110)
    sizes = {p.name: (p.kind, p.instance_types, p.min_size, p.max_size, p.max_pods, p.subnet_tier) for p in pools}
    assert sizes == {
        "system": ("node-group", ("t3.medium",), 2, 5, 110, "private"),
        "application": ("node-group", ("c5.xlarge",), 3, 20, 110, "private"),
        "database": ("node-group", ("r5.2xlarge",), 3, 6, 110, "private"),
        "management": ("node-group", ("m5.xlarge",), 1, 4, 110, "management"),
        "spot-provisioner": (
            "karpenter",
            ("c5.large", "c5.xlarge", "c5.2xlarge", "c5a.large", "c5a.xlarge"),
            0,
            None,
            110,
            "private",
        ),
    }
    by_name = {p.name: p for p in pools}
    assert by_name["system"].taints == (SYSTEM_TAINT,)
    assert by_name["spot-provisioner"].labels["karpenter.sh/capacity-type"] == "spot"
    assert (by_name["spot-provisioner"].cpu_limit, by_name["spot-provisioner"].memory_limit) == ("1000", "1000Gi")

"""Pod placement and security contexts shared by the charts the platform installs.

System controllers run on the system pool (spec §3.1: ``workload=system``, tainted
``CriticalAddonsOnly=true:NoSchedule``); every pod that can meets the ``restricted`` profile (spec §8.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tonebridge.props.pools import APPLICATION_POOL, SYSTEM_POOL

#: The system node pool of spec §3.1 (defined once, in :mod:`tonebridge.props.pools`), as chart values take it.
SYSTEM_NODE_SELECTOR = dict(SYSTEM_POOL[0])
SYSTEM_TOLERATIONS = [toleration.manifest() for toleration in SYSTEM_POOL[1]]
#: Platform controllers that are not critical add-ons: the application pool (spec §3.1).
APPLICATION_NODE_SELECTOR = dict(APPLICATION_POOL[0])
#: Node agents (CSI drivers and providers) run on every node, whatever its taints.
EVERY_NODE_TOLERATIONS = [{"operator": "Exists"}]

RUNTIME_DEFAULT_SECCOMP = {"type": "RuntimeDefault"}


def restricted_pod_context(uid: int | None = None, gid: int | None = None, **extra: object) -> dict:
    """Pod securityContext of the ``restricted`` profile; ``uid``/``gid`` where the image needs them,
    ``extra`` for fields such as ``fsGroup`` or namespaced ``sysctls``."""
    context: dict = {"runAsNonRoot": True, "seccompProfile": dict(RUNTIME_DEFAULT_SECCOMP), **extra}
    if uid is not None:
        context["runAsUser"] = uid
    if gid is not None:
        context |= {"runAsGroup": gid, "fsGroup": gid}
    return context


def restricted_container_context(*, read_only_root: bool = True) -> dict:
    """Container securityContext: non-root, unprivileged, no escalation, no capabilities,
    read-only root filesystem, the runtime's default seccomp profile."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "seccompProfile": dict(RUNTIME_DEFAULT_SECCOMP),
    }


def disruption_budget(replicas: int, **fields: object) -> dict:
    """A chart's PodDisruptionBudget values: on with ``fields`` where more than one replica runs, else
    off and nothing more (a budget over one pod blocks every node drain, and the charts render none
    then: fields set anyway would be read by no template)."""
    return {"enabled": True, **fields} if replicas > 1 else {"enabled": False}


#: Controller replicas the platform accepts: at least one, and more than five only wastes the system pool.
MAX_REPLICAS = 5


def check_replicas(component: str, replicas: int) -> None:
    """Raise ValueError naming ``component`` unless 1 <= replicas <= MAX_REPLICAS."""
    if not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(f"{component}: replicas must be 1-{MAX_REPLICAS}, not {replicas}")


def system_placement(node_group_labels: Iterable[Mapping[str, str]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Node selector and tolerations of the system pool, given the labels of a cluster's node groups;
    none when no group carries the system pool's label (controllers then run anywhere)."""
    if not any(labels.items() >= SYSTEM_NODE_SELECTOR.items() for labels in node_group_labels):
        return {}, []
    return dict(SYSTEM_NODE_SELECTOR), [dict(t) for t in SYSTEM_TOLERATIONS]


def controller_placement(
    node_group_labels: Iterable[Mapping[str, str]],
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Where platform controllers that are not critical add-ons run (istiod, Karpenter, Argo CD, cert-manager,
    the operators): the application pool when a group carries its label, else wherever the system pool's
    placement says. The system pool keeps CoreDNS, the EBS CSI controller, cluster-autoscaler and
    metrics-server: two t3.medium nodes hold those with headroom, not a control plane of twenty controllers."""
    labels = [dict(group) for group in node_group_labels]
    if any(group.items() >= APPLICATION_NODE_SELECTOR.items() for group in labels):
        return dict(APPLICATION_NODE_SELECTOR), [t.manifest() for t in APPLICATION_POOL[1]]
    return system_placement(labels)

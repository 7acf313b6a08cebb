"""Where platform workloads are scheduled: spec §3.1's node pools, as selectors and tolerations.

Stateful data services go to the tainted database pool; controllers to the system pool, whose
``CriticalAddonsOnly`` taint keeps application pods off it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Toleration:
    """Tolerates ``key=value:effect`` (operator Equal)."""

    key: str
    value: str
    effect: str = "NoSchedule"

    def manifest(self) -> dict[str, str]:
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


#: (node selector, tolerations) of each pool.
DATABASE_POOL = ({"workload": "database"}, (Toleration("database", "true"),))
SYSTEM_POOL = ({"workload": "system"}, (Toleration("CriticalAddonsOnly", "true"),))
#: Spec §3.1's application pool: the applications, and the platform's controllers that are not critical
#: add-ons (mesh control plane, GitOps, operators): the system pool's t3.medium nodes hold only what keeps
#: the cluster itself running, with headroom at their minimum size (docs/cluster-fit.md).
APPLICATION_POOL: tuple[dict[str, str], tuple[Toleration, ...]] = ({"workload": "application"}, ())
#: Spec §2.2's management tier: a node group in the private-management subnets, labelled and tainted
#: so that only what belongs there (CI/CD, and monitoring when it moves there) is scheduled on it.
MANAGEMENT_POOL = ({"workload": "management"}, (Toleration("management", "true"),))


def pool_placement(
    pool: tuple[dict[str, str], tuple[Toleration, ...]], node_group_labels
) -> tuple[dict[str, str], list[dict[str, str]]] | None:
    """Node selector and tolerations of ``pool`` as chart values take them, or None when no node
    group (given as its labels) carries the pool's selector, so a caller can refuse or fall back."""
    selector, tolerations = pool
    if not any(dict(labels).items() >= selector.items() for labels in node_group_labels):
        return None
    return dict(selector), [t.manifest() for t in tolerations]

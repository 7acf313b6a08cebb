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

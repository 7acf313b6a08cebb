"""Where a deploy's time goes: each step's wall time, and each resource type's time as Terraform reports it.

Steps run in parallel threads (stacks of one dependency level, the second plans), so their shares of the
whole run can add up to more than 100%; the table says so. Resource times come from Terraform's own
"Creation complete after 1m20s" lines, summed per stack and resource type: a type whose sum is large but
whose longest single wait is short was cheap on the critical path.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

#: ``aws_kms_key.network_key_1C847939: Creation complete after 13s`` (and Destruction, Modifications).
_RESOURCE_DONE = re.compile(
    r"\b(?P<type>[a-z][a-z0-9]*_[a-z0-9_]+)\.[\w-]+(?:\[[^\]]*\])?: (?P<action>Creation|Destruction|Modifications)"
    r" complete after (?:(?P<minutes>\d+)m)?(?P<seconds>\d+)s"
)


@dataclass
class _Resources:
    count: int = 0
    total: float = 0.0
    longest: float = 0.0


@dataclass
class Clock:
    """Step and resource timings of one run; safe to use from several threads."""

    started: float = field(default_factory=time.monotonic)
    steps: list[tuple[str, float]] = field(default_factory=list)
    resources: dict[tuple[str, str, str], _Resources] = field(default_factory=lambda: defaultdict(_Resources))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as ``name`` (recorded even when it raises: a failed step took time too)."""
        begun = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.steps.append((name, time.monotonic() - begun))

    def observe(self, stack: str, line: str) -> None:
        """Count one line of Terraform's output if it reports a resource finished."""
        match = _RESOURCE_DONE.search(line)
        if not match:
            return
        seconds = int(match["minutes"] or 0) * 60 + int(match["seconds"])
        with self._lock:
            entry = self.resources[(stack, match["action"], match["type"])]
            entry.count += 1
            entry.total += seconds
            entry.longest = max(entry.longest, seconds)

    def summary(self, slowest: int = 12) -> str:
        """The steps in the order they ended, then the slowest resource types (by longest single wait)."""
        wall = max(time.monotonic() - self.started, 1e-9)
        width = max([len(name) for name, _ in self.steps] + [4])
        lines = [f"{'step':<{width}}  {'seconds':>7}  {'share':>6}"]
        lines += [f"{name:<{width}}  {secs:7.1f}  {secs / wall:6.1%}" for name, secs in self.steps]
        lines.append(f"{'total (wall)':<{width}}  {wall:7.1f}  (parallel steps overlap: shares may add up to more)")
        if self.resources:
            ranked = sorted(self.resources.items(), key=lambda kv: (-kv[1].longest, -kv[1].total))[:slowest]
            lines += ["", f"slowest resource types (of {len(self.resources)}; seconds as Terraform reports them):"]
            lines.append(f"{'stack':<18} {'action':<13} {'type':<42} {'count':>5} {'longest':>7} {'sum':>6}")
            lines += [
                f"{stack:<18} {action:<13} {kind:<42} {r.count:5d} {r.longest:7.0f} {r.total:6.0f}"
                for (stack, action, kind), r in ranked
            ]
        return "\n".join(lines)


#: The run in progress (`make demo`, or the emulator test's deploy).
CLOCK = Clock()


def reset() -> Clock:
    """Start a new run's clock (the demo and each emulator test begin at zero)."""
    global CLOCK
    CLOCK = Clock()
    return CLOCK

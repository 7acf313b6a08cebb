"""``make synth-budget``: the jsii kernel requests of synthesizing each stack, against their budget.

    python -m tools.synth_budget            # print measured and budget per stack
    python -m tools.synth_budget --write    # rewrite tests/synth_budget.yaml from the counts

Synthesizes every environment once (into a temporary folder) with :func:`tonebridge.jsii_calls.counting`
on, exactly as the test session does (tests/conftest.py, ``synth_calls``), and compares each stack's
count with tests/synth_budget.yaml, which tests/test_synth_budget.py holds it to. Exits 1 when a
stack is over its budget, has none, or has one that is stale (see :func:`stale`).

Headroom policy: a budget is the measured count plus 5 % (at least 10 requests), rounded up to a
multiple of 10, so that a small change to a stack does not need a new budget while a new construct
in a loop does. A speed-up lowers the budget in the same commit (``--write``); a change that adds
resources raises it in the same commit, and its message says what was added.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

import yaml

from tonebridge import lazy_providers
from tonebridge.jsii_calls import Calls, counting
from tonebridge.paths import PROJECT_ROOT, prefer_project_node

BUDGET_FILE = PROJECT_ROOT / "tests" / "synth_budget.yaml"
HEADROOM_PERCENT = 5
HEADROOM_MINIMUM = 10

HEADER = """\
# jsii kernel requests of synthesizing each stack of every environment: the budget that
# tests/test_synth_budget.py holds each stack to. A deterministic measure of synthesis work (wall-clock
# time is too noisy to test): every construct, attribute read, token call and synth is one request
# from Python to the jsii kernel (Node.js) and back. Counted by tonebridge/jsii_calls.py; assembly
# loads are not counted (docs/performance.md).
#
# Update with `make synth-budget` (prints measured and budget per stack) and
# `make synth-budget WRITE=1` (rewrites this file from the measured counts).
# Headroom policy: budget = measured + {percent} % (at least {minimum}), rounded up to a multiple of 10.
# The test fails above the budget, and when the budget is more than one headroom above what the policy
# gives the measured count (a speed-up that did not lower it). Change this file in the same commit as
# the change that moved the counts, and say why in its message.
"""


def headroom(measured: int) -> int:
    return max(HEADROOM_MINIMUM, math.ceil(measured * HEADROOM_PERCENT / 100))


def budget_for(measured: int) -> int:
    """The budget the headroom policy gives a stack that makes ``measured`` requests."""
    return math.ceil((measured + headroom(measured)) / 10) * 10


def stale(measured: int, budget: int) -> bool:
    """Whether ``budget`` is so far above ``measured`` that a slower change would still pass it."""
    return budget > budget_for(measured) + headroom(measured)


def read_budget(path: Path = BUDGET_FILE) -> dict[str, int]:
    return dict(yaml.safe_load(path.read_text())["stacks"])


def write_budget(measured: dict[str, int], path: Path = BUDGET_FILE) -> None:
    lines = [HEADER.format(percent=HEADROOM_PERCENT, minimum=HEADROOM_MINIMUM), "stacks:"]
    lines += [f"  {stack}: {budget_for(count)}  # measured {count}" for stack, count in sorted(measured.items())]
    path.write_text("\n".join(lines) + "\n")


def problems(measured: dict[str, int], budget: dict[str, int]) -> list[str]:
    """One line per stack whose count does not fit its budget, or that has none, or that is gone."""
    found = []
    for stack in sorted({*measured, *budget}):
        count, allowed = measured.get(stack), budget.get(stack)
        if allowed is None:
            found.append(f"{stack}: {count} requests and no budget")
        elif count is None:
            found.append(f"{stack}: in the budget but not synthesized")
        elif count > allowed:
            found.append(f"{stack}: {count} requests, over its budget of {allowed} by {count - allowed}")
        elif stale(count, allowed):
            found.append(f"{stack}: {count} requests, far below its budget of {allowed}: lower it")
    return found


def measure(outdir: str) -> Calls:
    """Count the requests of synthesizing every environment into ``outdir``."""
    from tonebridge.config import load_selected

    os.environ.pop("TONEBRIDGE_ENVIRONMENTS", None)
    prefer_project_node(os.environ)
    lazy_providers.install()  # as main.py synthesizes: the budget counts the requests of that synthesis
    envs = load_selected(PROJECT_ROOT / "environments")
    with counting() as calls:
        from tonebridge.app import build_app

        build_app(envs, outdir=outdir).synth()
    return calls


def report(calls: Calls, budget: dict[str, int]) -> list[str]:
    """Per stack: measured, budget, and the construct types that make most of its requests."""
    lines = [f"{'stack':34} {'measured':>8} {'budget':>7}  most requests"]
    top = calls.by(0, 2)
    for stack, count in calls.by_stack().items():
        ranked = sorted(((n, fqn) for (s, fqn), n in top.items() if s == stack), reverse=True)[:3]
        most = ", ".join(f"{fqn.split('.')[-1] or '-'} {n}" for n, fqn in ranked)
        lines.append(f"{stack:34} {count:8} {budget.get(stack, '-'):>7}  {most}")
    lines.append(f"{'total':34} {calls.total:8} {sum(budget.values()):7}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {BUDGET_FILE.relative_to(PROJECT_ROOT)}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tonebridge-budget-") as tmp:
        calls = measure(str(Path(tmp) / "cdktf.out"))
    measured = calls.by_stack()
    if args.write:
        write_budget(measured)
    budget = read_budget() if BUDGET_FILE.exists() else {}
    print("\n".join(report(calls, budget)))
    found = problems(measured, budget)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

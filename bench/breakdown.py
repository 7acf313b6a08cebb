"""Where the time of a synthesis goes: one instrumented run of `python main.py` for every environment.

    python3 -m pipenv run python bench/breakdown.py

`make bench` (bench/synth.py) runs this once after its timed runs and prints the result beside its
figures. Phases, by the wall clock of this run: Python's start and the configuration; the jsii kernel
(Node.js) starting; importing the provider bindings (Python) and Node.js loading their assemblies;
building each environment's constructs, split into the time spent in jsii requests (sent, answered by
Node.js, parsed) and the rest (Python: our constructs, the bindings' type checks); cdktf's synth; the
exit. Then the jsii requests by kind, stack and construct type (tonebridge/jsii_calls.py: the same
counts the budget test holds each stack to), and how many modules of each provider Node.js required.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: The instrumented run, in a fresh interpreter (as main.py runs). Writes its phases as JSON to argv[2].
PROBE = """
import atexit, json, os, sys, time
started = time.time()
out, outdir = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.getcwd())
phases, marks = {}, {"start": started}
def mark(name):
    marks[name] = time.time()
def report():
    marks["exit"] = time.time()
    with open(out, "w") as f:
        json.dump({"marks": marks, "phases": phases}, f)
atexit.register(report)  # before jsii registers its own exit hook: runs after the kernel has stopped
from tonebridge.config import load_selected
from tonebridge.paths import prefer_project_node
envs = load_selected()
prefer_project_node(os.environ)
from tonebridge import lazy_providers
lazy_providers.install()  # as main.py does, before cdktf is imported and the kernel starts
mark("config")
from tonebridge.jsii_calls import counting
from jsii._runtime import kernel
kernel.provider._process  # the Node.js process starts here
mark("node")
with counting() as calls:
    def spent():
        return sum(calls.loads.values()), calls.waited, calls.sent
    from cdktf import App
    from tonebridge.app import add_environment
    phases["imports"] = spent()
    mark("imports")
    app = App(outdir=outdir)
    for env in envs:
        before = spent()
        add_environment(app, env)
        phases["build " + env.name] = [a - b for a, b in zip(spent(), before)]
        mark("build " + env.name)
    before = spent()
    app.synth()
    phases["synth"] = [a - b for a, b in zip(spent(), before)]
    mark("synth")
phases["loads"] = calls.loads
phases["requests"] = [[*key, n, calls.seconds[key]] for key, n in calls.requests.items()]
"""


def run() -> dict:
    """The breakdown of one run of every environment, measured in a child process."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from tonebridge.lazy_providers import EAGER_VAR
    from tonebridge.paths import prefer_project_node

    with tempfile.TemporaryDirectory(prefix="tonebridge-breakdown-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("TONEBRIDGE_ENVIRONMENTS", EAGER_VAR)}
        prefer_project_node(env)
        env["TONEBRIDGE_NODE_MODULES_REPORT"] = str(Path(tmp) / "node.json")
        out = Path(tmp) / "phases.json"
        spawned = time.time()
        result = subprocess.run(
            [sys.executable, "-c", PROBE, str(out), str(Path(tmp) / "cdktf.out")],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ended = time.time()
        if result.returncode != 0:
            sys.exit(f"breakdown run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        data = json.loads(out.read_text())
        node_report = Path(env["TONEBRIDGE_NODE_MODULES_REPORT"])
        data["node_modules"] = json.loads(node_report.read_text()) if node_report.exists() else {}
    data["marks"]["spawned"], data["marks"]["ended"] = spawned, ended
    return data


def lines(data: dict) -> list[str]:
    marks, phases = data["marks"], data["phases"]
    out = []

    def row(label: str, seconds: float, detail: str = "") -> None:
        out.append(f"  {label:46} {seconds:6.2f} s{('   ' + detail) if detail else ''}")

    row("python start, imports, configuration", marks["config"] - marks["spawned"])
    row("jsii kernel (Node.js) start", marks["node"] - marks["config"])
    loads, requests, _ = phases["imports"]
    by_assembly = ", ".join(f"{name.split('/')[-1]} {s:.2f}" for name, s in phases["loads"].items())
    row("assembly loads (Node.js)", sum(phases["loads"].values()), by_assembly)
    row("provider bindings and app imports (Python)", marks["imports"] - marks["node"] - loads - requests)
    previous = "imports"
    for name in [k for k in phases if k.startswith("build ")]:
        env_loads, env_requests, count = phases[name]
        wall = marks[name] - marks[previous] - env_loads
        row(f"{name}: jsii requests ({count})", env_requests)
        row(f"{name}: Python (constructs, type checks)", wall - env_requests)
        previous = name
    row("cdktf synth (one request)", marks["synth"] - marks[previous])
    row("exit (kernel stop, interpreter)", marks["ended"] - marks["synth"])
    row("total", marks["ended"] - marks["spawned"])
    modules = data.get("node_modules", {})
    if modules:
        detail = ", ".join(f"{p} {m['required']} of {m['exports']}" for p, m in sorted(modules.items()))
        out.append(f"  provider modules Node.js required: {detail}")
    kinds: dict[str, int] = {}
    types: dict[tuple[str, str], list] = {}
    for _stack, kind, fqn, _member, count, seconds in phases["requests"]:
        kinds[kind] = kinds.get(kind, 0) + count
        entry = types.setdefault((fqn.split(".")[-1] or "-", kind), [0, 0.0])
        entry[0] += count
        entry[1] += seconds
    total = sum(kinds.values())
    out.append(
        f"  jsii requests: {total} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items(), key=lambda i: -i[1]))})"
    )
    ranked = sorted(types.items(), key=lambda item: -item[1][0])[:10]
    out.append("  most requests: " + ", ".join(f"{t} {k} {n} ({s:.2f} s)" for (t, k), (n, s) in ranked))
    stacks: dict[str, int] = {}
    for stack, _kind, _fqn, _member, count, _seconds in phases["requests"]:
        stacks[stack] = stacks.get(stack, 0) + count
    out.append(
        "  requests per stack (tests/synth_budget.yaml): " + ", ".join(f"{s} {n}" for s, n in sorted(stacks.items()))
    )
    return out


if __name__ == "__main__":
    print("\n".join(lines(run())))

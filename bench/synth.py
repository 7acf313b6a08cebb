"""Synthesis speed benchmark (issues 8 and 23): what a naive app pays to import the providers,
against what the project's synthesis and its unit tests cost, measured in one run on this machine.

    python3 -m pipenv run python bench/synth.py [--runs N]

Figures, each the median of N runs (runs are interleaved a, b, c, d so that load from elsewhere on
the machine spreads over all of them), after one warm-up round that is not counted:

  (a) floor: a fresh Python that imports cdktf and the four prebuilt provider packages as published;
  (b) `python main.py` (the app command of `make synth` and `cdktf synth`) for every environment;
  (c) the same for the `local` environment only;
  (d) pytest over the unit and snapshot tests: the tests that run in pytest's own process, on the
      session's one synthesis (tests/conftest.py) and on pure functions (configuration rules, the fit
      check's rules over small hand-built clusters, single-chart renders). Left out, by marker: every
      test that starts another program or renders every chart of the synthesized platform stacks:
      `integration` (the whole-platform fit check, network-config-analyzer, `python main.py` and `make`
      subprocesses, PostgreSQL and moto server drills), `external` (terraform validate, checkov),
      `equivalence` (lazy/eager synthesis in fresh interpreters) and `emulator` (the deploy).
      tests/conftest.py fails a test that starts a program without one of those markers, so none can
      drift into (d). All of them still run in `make test` and CI;

then, once and informational (no target), (e): pytest over the `integration` tests (not the emulator,
external or equivalence ones), so that what (d) leaves out is measured too; and the peak
resident memory of (b): the Python process and its jsii Node.js child, each measured
by the kernel's own high-water mark (getrusage at the end of the run), added together.
Exits 1 if a target is missed (issue 23 tightened b/a to 0.3 and c/a to 0.2). Then one more,
instrumented, run of (b) shows where its time goes (bench/breakdown.py; not counted in the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench import breakdown  # noqa: E402
from tonebridge.lazy_providers import EAGER_VAR, PROVIDER_PACKAGES, without_node_preload  # noqa: E402
from tonebridge.paths import prefer_project_node  # noqa: E402

PROVIDERS = sorted(PROVIDER_PACKAGES)
FLOOR = "import cdktf, " + ", ".join(PROVIDERS)
#: (d): the unit and snapshot tests. tests/conftest.py fails a test that starts another program unless it
#: carries one of these markers (SPAWNING_MARKERS), and marks the fit check's whole-platform tests.
UNIT_TESTS = "not emulator and not external and not equivalence and not integration"
#: (e), informational: the integration tests that `make test` runs beside the emulator deploy, less the
#: terraform/checkov (external) and fresh-interpreter equivalence ones.
INTEGRATION_TESTS = "integration and not emulator and not external and not equivalence"
GIB = 1024**3
TARGETS = {"b/a": 0.3, "c/a": 0.2, "d/b": 1.5}
PEAK_TARGET = 1.5 * GIB

#: main.py as __main__; at exit (after jsii has stopped and reaped its Node.js child) it records
#: the peak RSS of this Python process and of its largest child, which is that Node.js process.
MEMORY_PROBE = """
import atexit, json, resource, runpy, sys
main, out = sys.argv[1], sys.argv[2]
def report():
    peak = lambda who: resource.getrusage(who).ru_maxrss * 1024
    with open(out, "w") as f:
        json.dump({"python": peak(resource.RUSAGE_SELF), "node": peak(resource.RUSAGE_CHILDREN)}, f)
atexit.register(report)  # registered before jsii's own exit hook, so it runs after it
sys.argv = [main]
runpy.run_path(main, run_name="__main__")
"""


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TONEBRIDGE_ENVIRONMENTS", EAGER_VAR, "CDKTF_OUTDIR")}
    without_node_preload(env)  # should the caller's NODE_OPTIONS carry it: (b)-(d) add it themselves, (a) must not
    prefer_project_node(env)
    env.update(extra)
    return env


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark: {' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


class Bench:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.count = 0
        self.peaks: list[dict[str, int]] = []

    def outdir(self) -> str:
        self.count += 1
        out = self.scratch / f"run{self.count}"
        out.mkdir()
        return str(out / "cdktf.out")

    def floor(self) -> float:
        return timed([sys.executable, "-c", FLOOR], environment(), self.scratch)

    def synth_all(self) -> float:
        probe = self.scratch / f"peak{self.count}.json"
        env = environment(CDKTF_OUTDIR=self.outdir())
        cmd = [sys.executable, "-c", MEMORY_PROBE, str(PROJECT_ROOT / "main.py"), str(probe)]
        elapsed = timed(cmd, env, PROJECT_ROOT)
        self.peaks.append(json.loads(probe.read_text()))
        return elapsed

    def synth_local(self) -> float:
        env = environment(CDKTF_OUTDIR=self.outdir(), TONEBRIDGE_ENVIRONMENTS="local")
        return timed([sys.executable, str(PROJECT_ROOT / "main.py")], env, PROJECT_ROOT)

    def unit_tests(self) -> float:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", UNIT_TESTS]
        return timed(cmd, environment(), PROJECT_ROOT)

    def integration_tests(self) -> float:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", INTEGRATION_TESTS]
        return timed(cmd, environment(), PROJECT_ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure (median reported); default 5")
    parser.add_argument("--no-warmup", action="store_true", help="skip the uncounted warm-up round")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tonebridge-bench-") as tmp:
        bench = Bench(Path(tmp))
        figures = {"a": bench.floor, "b": bench.synth_all, "c": bench.synth_local, "d": bench.unit_tests}
        if not args.no_warmup:
            for measure in figures.values():
                measure()
            bench.peaks.clear()
        times: dict[str, list[float]] = {key: [] for key in figures}
        for round_ in range(args.runs):
            for key, measure in figures.items():
                times[key].append(measure())
            print(f"round {round_ + 1}/{args.runs}: " + "  ".join(f"{k}={v[-1]:.2f}s" for k, v in times.items()))
        peaks = bench.peaks
        integration = bench.integration_tests()

    med = {key: statistics.median(values) for key, values in times.items()}
    labels = {
        "a": f"(a) floor: python -c '{FLOOR}'",
        "b": "(b) full synthesis: python main.py, every environment",
        "c": "(c) one environment: TONEBRIDGE_ENVIRONMENTS=local python main.py",
        "d": f"(d) unit and snapshot tests, in-process: pytest -m '{UNIT_TESTS}'",
    }
    print(f"\nmedian of {args.runs} runs each, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for key, label in labels.items():
        runs = ", ".join(f"{t:.2f}" for t in times[key])
        print(f"{label}\n    {med[key]:6.2f} s   (runs: {runs})")
    print(f"(e) integration tests, informational, one run: pytest -m '{INTEGRATION_TESTS}'\n    {integration:6.2f} s")
    python_peak = max(p["python"] for p in peaks)
    node_peak = max(p["node"] for p in peaks)
    peak = python_peak + node_peak
    print(
        f"peak RSS of (b): python {python_peak / 2**20:.0f} MiB + node {node_peak / 2**20:.0f} MiB"
        f" = {peak / 2**20:.0f} MiB ({peak / GIB:.2f} GiB; highest of {len(peaks)} runs, each process's own peak)"
    )
    ratios = {"b/a": med["b"] / med["a"], "c/a": med["c"] / med["a"], "d/b": med["d"] / med["b"]}
    ok = True
    for name, value in ratios.items():
        met = value <= TARGETS[name]
        ok &= met
        print(f"{name} = {value:.3f}   (target <= {TARGETS[name]}: {'met' if met else 'MISSED'})")
    met = peak <= PEAK_TARGET
    ok &= met
    print(f"peak RSS of (b) = {peak / GIB:.2f} GiB   (target <= 1.5 GiB: {'met' if met else 'MISSED'})")
    print("\nwhere the time of (b) goes (one more run, instrumented; bench/breakdown.py):")
    print("\n".join(breakdown.lines(breakdown.run())))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

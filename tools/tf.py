"""Drive Terraform over synthesized stacks: deploy, plan, destroy, in the order their cross-stack references
need, independent stacks at once; every step is timed (tools/timing.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeVar

from tonebridge.paths import PROJECT_ROOT
from tools import timing
from tools.cdktf_out import manifest_stacks, read_stack
from tools.terraform_cli import terraform_environment

OUTDIR = PROJECT_ROOT / "cdktf.out"
T = TypeVar("T")
_PRINT = threading.Lock()


def say(message: str) -> None:
    tell(f"\n==> {message}")


def tell(line: str) -> None:
    """Print a whole line at once: stacks deploy and plan in parallel threads, and print's text and its
    newline are two writes that another thread's line could come between."""
    with _PRINT:
        print(line, flush=True)


def run(
    cmd: Sequence[str],
    *,
    cwd: Path = PROJECT_ROOT,
    env: dict | None = None,
    check: bool = True,
    label: str | None = None,
) -> int:
    """Run a command with the Terraform environment, streaming its output; fail loudly.

    With ``label`` (a stack name) every line is prefixed with it, so that stacks running at once stay
    readable, and Terraform's "complete after" lines are counted per resource type (tools/timing.py).
    """
    tell(f"{label + ' | ' if label else ''}$ {' '.join(cmd)}")
    if label is None:
        result = subprocess.run(list(cmd), cwd=cwd, env=terraform_environment(env), check=False)
        returncode = result.returncode
    else:
        with subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=terraform_environment(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc:
            assert proc.stdout is not None  # noqa: S101 - stdout=PIPE above
            for line in proc.stdout:
                timing.CLOCK.observe(label, line)
                with _PRINT:
                    print(f"{label} | {line}", end="", flush=True)
        returncode = proc.returncode
    if check and returncode != 0:
        raise SystemExit(f"command failed with status {returncode}: {' '.join(cmd)}")
    return returncode


def synth(environments: str, outdir: Path = OUTDIR) -> None:
    """Synthesize the named environments (comma separated) through main.py.

    Their earlier stack folders go first: a `.terraform` folder initialized against another
    backend configuration would make the next `terraform init` refuse to run.
    """
    for name in environments.split(","):
        for stale in (outdir / "stacks").glob(f"{name.strip()}-*"):
            shutil.rmtree(stale)
    env = {**os.environ, "TONEBRIDGE_ENVIRONMENTS": environments, "CDKTF_OUTDIR": str(outdir)}
    run([sys.executable, "main.py"], env=env)


def providers_of(stack: str, outdir: Path = OUTDIR) -> set[str]:
    """Local names of the providers a synthesized stack requires (aws, kubernetes, helm, google)."""
    synthesized = read_stack(outdir, stack)
    return set(synthesized.get("terraform", {}).get("required_providers", {}))


def stacks_of(environment: str, outdir: Path = OUTDIR, *, providers: set[str] | None = None) -> list[str]:
    """The environment's stacks in dependency order: state first, then the stacks that need it.

    With ``providers``, only the stacks that need nothing else (an AWS emulator serves the aws
    provider only: platform stacks need a real Kubernetes API).
    """
    manifest = manifest_stacks(outdir)
    names = [n for n in manifest if n.startswith(f"{environment}-")]
    if providers is not None:
        names = [n for n in names if providers_of(n, outdir) <= providers]
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and set(manifest[n]["dependencies"]) & set(names) <= set(ordered)]
        if not ready:
            raise SystemExit(f"cyclic stack dependencies among {names}")
        ordered.extend(sorted(ready))
    return ordered


#: Terraform's concurrent operations per stack (its default is 10). Most of an apply against the emulator is
#: the provider waiting out propagation delays (a KMS key about 13 s, an S3 lifecycle configuration 55 s),
#: not work; with 10 slots those waits queue up in front of the resources on the critical path (the RDS
#: instance). More slots cost nothing but idle goroutines.
PARALLELISM = 32


def remote_state_sources(stack: str, outdir: Path = OUTDIR) -> set[str]:
    """The stacks whose outputs ``stack`` reads (cdktf's cross-stack references: ``terraform_remote_state``
    data sources named ``cross-stack-reference-input-<stack>``)."""
    synthesized = read_stack(outdir, stack)
    prefix = "cross-stack-reference-input-"
    sources = synthesized.get("data", {}).get("terraform_remote_state", {})
    return {name.removeprefix(prefix) for name in sources if name.startswith(prefix)}


def _needs(stacks: Sequence[str], outdir: Path) -> dict[str, set[str]]:
    """For each of ``stacks``, the stacks among them whose outputs it reads (one read of each stack's JSON)."""
    return {s: remote_state_sources(s, outdir) & set(stacks) for s in stacks}


def levels(stacks: Sequence[str], outdir: Path = OUTDIR) -> list[list[str]]:
    """``stacks`` in groups that may run at once: each stack after the stacks whose outputs it reads.

    Only output references order them, not cdktf's declared dependencies: the global stack declares every
    regional stack as a dependency (the last to deploy in production), but in `local` it reads only the
    primary region's outputs, so it deploys beside the secondary region. References to stacks outside
    ``stacks`` (the state stack, already deployed) are taken as met.
    """
    needs = _needs(stacks, outdir)
    done: set[str] = set()
    grouped: list[list[str]] = []
    while len(done) < len(stacks):
        level = sorted(s for s in stacks if s not in done and needs[s] <= done)
        if not level:
            raise SystemExit(f"cyclic cross-stack references among {sorted(set(stacks) - done)}")
        grouped.append(level)
        done |= set(level)
    return grouped


def in_parallel(action: Callable[[str], T], stacks: Sequence[str]) -> dict[str, T]:
    """``action`` on every stack at once (threads: the work is in Terraform's processes)."""
    if len(stacks) == 1:
        return {stacks[0]: action(stacks[0])}
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        return dict(zip(stacks, pool.map(action, stacks), strict=True))


def _apply(stack: str, outdir: Path) -> dict:
    """``terraform init`` and ``apply`` of one stack; returns its non-sensitive outputs."""
    workdir = outdir / "stacks" / stack
    with timing.CLOCK.step(f"init {stack}"):
        run(["terraform", "init", "-input=false", "-no-color"], cwd=workdir, label=stack)
    with timing.CLOCK.step(f"apply {stack}"):
        apply = ["terraform", "apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={PARALLELISM}"]
        run(apply, cwd=workdir, label=stack)
    shown = subprocess.run(
        ["terraform", "output", "-json"],
        cwd=workdir,
        env=terraform_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    return {name: o["value"] for name, o in json.loads(shown.stdout).items() if not o.get("sensitive")}


def readers_of(stacks: Sequence[str], outdir: Path = OUTDIR) -> dict[str, set[str]]:
    """For each of ``stacks``, the stacks among them that read its outputs, directly or through another.

    A reader's apply acts on the stack it reads (the secondary region's replica on the primary's database,
    the global stack's listeners on the primary's load balancer); nothing else does, so a stack's second
    plan is final once it and its readers are deployed.
    """
    needs = _needs(stacks, outdir)
    readers: dict[str, set[str]] = {s: set() for s in stacks}

    def mark(reader: str, stack: str) -> None:
        for source in needs[stack] - readers[stack]:
            if reader not in readers[source]:
                readers[source].add(reader)
                mark(reader, source)

    for stack in stacks:
        mark(stack, stack)
    return readers


def deploy(
    stacks: Sequence[str],
    outdir: Path = OUTDIR,
    outputs_file: Path | None = None,
    settled: Callable[[str], object] | None = None,
    readers: dict[str, set[str]] | None = None,
) -> dict:
    """Deploy ``stacks``: ``terraform init`` and ``apply`` in each, every stack as soon as the stacks whose
    outputs it reads are deployed (the others at once); raises on failure. Returns (and writes to
    ``outputs_file``) the outputs by stack, as ``cdktf deploy --outputs-file`` does. ``settled`` is called
    with each stack once it and every stack that reads it (``readers``, by default :func:`readers_of`
    ``stacks``) are deployed by this call.

    Terraform directly, not `cdktf deploy`: cdktf runs ``terraform plan`` and then ``terraform apply``,
    which plans again (a minute of the provider reading everything, per stack), and its terminal view
    redraws for every line of output.
    """
    needs = _needs(stacks, outdir)
    readers = readers_of(stacks, outdir) if readers is None else readers
    outputs: dict[str, dict] = {}
    reported: set[str] = set()
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        running: dict[Future, str] = {}
        while len(outputs) < len(stacks):
            for stack in sorted(stacks):
                if stack not in outputs and stack not in running.values() and needs[stack] <= set(outputs):
                    beside = sorted(running.values())
                    tell(f"Deploying {stack}{' beside ' + ', '.join(beside) if beside else ''}")
                    running[pool.submit(_apply, stack, outdir)] = stack
            if not running:
                raise SystemExit(f"cyclic cross-stack references among {sorted(set(stacks) - set(outputs))}")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                outputs[running.pop(future)] = future.result()
            for stack in sorted(set(outputs) - reported):
                if settled and readers.get(stack, set()) <= set(outputs):
                    reported.add(stack)
                    settled(stack)
    if outputs_file:
        outputs_file.write_text(json.dumps(outputs, indent=2))
    return outputs


def destroy_all(stacks: Sequence[str], outdir: Path = OUTDIR, order: list[list[str]] | None = None) -> list[str]:
    """``terraform destroy`` of ``stacks``, the reverse of :func:`levels` (a stack only after every stack that
    reads its outputs), one level at a time; returns the stacks that failed. A failed stack does not stop
    the others: whatever can be destroyed is. ``order``: the levels as deployed (the failover drill
    rewrites the secondary region's configuration, which then no longer reads the primary's outputs)."""
    failed: list[str] = []
    for level in reversed(order or levels(stacks, outdir)):
        results = in_parallel(lambda s: destroy(s, outdir), level)
        failed += [s for s in level if not results[s]]
    return failed


def destroy(stack: str, outdir: Path = OUTDIR) -> bool:
    """``terraform destroy`` of one deployed stack; returns False instead of raising so that the
    remaining stacks still get destroyed.

    Terraform directly, not `cdktf destroy`: cdktf 0.21 re-spawns `terraform destroy` while the
    first one still holds the state lock, and the run never ends. ``-refresh=false``: deleting needs
    only the ids in the state, and reading every resource again first took half a minute per stack
    (what the failover drill changed behind Terraform's back, a promoted replica and an inverted
    health check, is deleted by id all the same).
    """
    cmd = ["terraform", "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false"]
    cmd.append(f"-parallelism={PARALLELISM}")
    with timing.CLOCK.step(f"destroy {stack}"):
        return run(cmd, cwd=outdir / "stacks" / stack, check=False, label=stack) == 0


def plan_exit_code(stack: str, outdir: Path = OUTDIR) -> int:
    """``terraform plan -detailed-exitcode`` (0 = no changes, 2 = changes, 1 = error), saving the
    plan as ``tfplan.json`` beside the stack for the policy scan."""
    workdir = outdir / "stacks" / stack
    plan = ["terraform", "plan", "-detailed-exitcode", "-input=false", "-lock=false", "-no-color", "-out=tfplan"]
    with timing.CLOCK.step(f"plan {stack}"):
        code = run([*plan, f"-parallelism={PARALLELISM}"], cwd=workdir, check=False, label=stack)
        if code != 1:
            shown = subprocess.run(
                ["terraform", "show", "-json", "tfplan"],
                cwd=workdir,
                env=terraform_environment(),
                capture_output=True,
                text=True,
                check=True,
            )
            (workdir / "tfplan.json").write_text(shown.stdout)
    return code

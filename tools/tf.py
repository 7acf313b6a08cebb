"""Drive Terraform over synthesized stacks: deploy (cdktf), plan, destroy, in dependency order."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tonebridge.paths import PROJECT_ROOT
from tools.terraform_cli import terraform_environment

OUTDIR = PROJECT_ROOT / "cdktf.out"
CDKTF = ["npx", "--no-install", "cdktf"]


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(cmd: Sequence[str], *, cwd: Path = PROJECT_ROOT, env: dict | None = None, check: bool = True) -> int:
    """Run a command with the Terraform environment, streaming its output; fail loudly."""
    print(f"$ {' '.join(cmd)}", flush=True)
    result = subprocess.run(list(cmd), cwd=cwd, env=terraform_environment(env), check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"command failed with status {result.returncode}: {' '.join(cmd)}")
    return result.returncode


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
    synthesized = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
    return set(synthesized.get("terraform", {}).get("required_providers", {}))


def stacks_of(environment: str, outdir: Path = OUTDIR, *, providers: set[str] | None = None) -> list[str]:
    """The environment's stacks in dependency order: state first, then the stacks that need it.

    With ``providers``, only the stacks that need nothing else (an AWS emulator serves the aws
    provider only: platform stacks need a real Kubernetes API).
    """
    manifest = json.loads((outdir / "manifest.json").read_text())["stacks"]
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


def _cdktf(command: str, stacks: Sequence[str], outdir: Path, *extra: str) -> list[str]:
    """A cdktf CLI call over already synthesized stacks; provider locks stay as init wrote them
    (`terraform providers lock` would ask the registry even when a mirror serves the providers)."""
    return [
        *CDKTF,
        command,
        *stacks,
        "--output",
        str(outdir),
        "--skip-synth",
        "--skip-provider-lock",
        "--auto-approve",
        "--ignore-missing-stack-dependencies",
        *extra,
    ]


def deploy(stacks: Sequence[str], outdir: Path = OUTDIR, outputs_file: Path | None = None) -> None:
    """`cdktf deploy`, one dependency level at a time; raises on failure.

    With --ignore-missing-stack-dependencies (needed because the state stack is deployed on its own
    first) cdktf starts every stack at once, so a stack that reads another's outputs through remote
    state would plan before they exist; each call here holds only stacks whose dependencies are done.
    """
    manifest = json.loads((outdir / "manifest.json").read_text())["stacks"]
    pending, done, outputs = list(stacks), set(manifest) - set(stacks), {}
    while pending:
        level = [s for s in pending if set(manifest[s]["dependencies"]) <= done]
        if not level:
            raise SystemExit(f"cyclic stack dependencies among {pending}")
        part = outputs_file.with_suffix(f".{len(done)}.json") if outputs_file else None
        run(_cdktf("deploy", level, outdir, *(["--outputs-file", str(part)] if part else [])))
        if part:
            outputs |= json.loads(part.read_text())
            part.unlink()
        done |= set(level)
        pending = [s for s in pending if s not in level]
    if outputs_file:
        outputs_file.write_text(json.dumps(outputs, indent=2))


def destroy(stack: str, outdir: Path = OUTDIR) -> bool:
    """``terraform destroy`` of one deployed stack; returns False instead of raising so that the
    remaining stacks still get destroyed.

    Terraform directly, not `cdktf destroy`: cdktf 0.21 re-spawns `terraform destroy` while the
    first one still holds the state lock, and the run never ends.
    """
    cmd = ["terraform", "destroy", "-auto-approve", "-input=false", "-no-color"]
    return run(cmd, cwd=outdir / "stacks" / stack, check=False) == 0


def plan_exit_code(stack: str, outdir: Path = OUTDIR) -> int:
    """``terraform plan -detailed-exitcode`` (0 = no changes, 2 = changes, 1 = error), saving the
    plan as ``tfplan.json`` beside the stack for the policy scan."""
    workdir = outdir / "stacks" / stack
    code = run(
        ["terraform", "plan", "-detailed-exitcode", "-input=false", "-lock=false", "-no-color", "-out=tfplan"],
        cwd=workdir,
        check=False,
    )
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

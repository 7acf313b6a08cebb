"""Restore drill 2: the regional failover, run against the deployed emulator environment.

After `local` is deployed and planned clean (tools/demo.py), the runbook's commands run
against the emulator exactly as an operator runs them against AWS:

1. ``hold-primary``: the primary region's health check is inverted (traffic held on the secondary);
2. ``promote-replica``: the us-east-1 read replica is promoted and waited for;
3. the configuration switches the runbook names are set (``dns.health_check.hold_primary: true``,
   ``database.rds.replica_promoted: true``) in a copy of the environment file, which is synthesized;
4. the secondary region's stack and the global stack, as now synthesized, are planned against what
   the API calls left: the plan must be empty (what runs and what the code says agree again).

The GCP switch (``dns.dr.failover``) needs a DR site, which `local` cannot deploy (no google provider
in the mirror): it is covered at synthesis (tests/test_global_dns.py), not here.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from tonebridge.config import EnvironmentConfig
from tonebridge.config.loader import environments_dir
from tonebridge.paths import PROJECT_ROOT
from tools import tf
from tools.failover import hold_primary, promote_replica


def switched_configuration(env: EnvironmentConfig) -> dict:
    """The environment file with the runbook's two switches set."""
    doc = yaml.safe_load((environments_dir() / f"{env.name}.yaml").read_text())
    doc["database"].setdefault("rds", {})["replica_promoted"] = True
    doc["dns"].setdefault("health_check", {})["hold_primary"] = True
    return doc


def regional_failover_drill(env: EnvironmentConfig, outdir: Path) -> float:
    """Run the drill on the deployed stacks in ``outdir``; returns its duration in seconds."""
    started = time.monotonic()
    secondary = f"{env.name}-{env.aws.secondary_region}"
    changed = [secondary, f"{env.name}-global"]
    tf.say("Drill 2: hold traffic on the secondary, promote the us-east-1 replica (runbook commands)")
    hold_primary(env, hold=True)
    promote_replica(env, poll_seconds=2)
    tf.say("Drill 2: the runbook's switches in configuration, synthesized; planning " + ", ".join(changed))
    with tempfile.TemporaryDirectory(prefix="failover-drill-") as tmp:
        envs, out = Path(tmp, "environments"), Path(tmp, "cdktf.out")
        envs.mkdir()
        (envs / f"{env.name}.yaml").write_text(yaml.safe_dump(switched_configuration(env), sort_keys=False))
        environ = {
            **os.environ,
            "TONEBRIDGE_ENVIRONMENTS_DIR": str(envs),
            "TONEBRIDGE_ENVIRONMENTS": env.name,
            "CDKTF_OUTDIR": str(out),
        }
        tf.run([sys.executable, "main.py"], cwd=PROJECT_ROOT, env=environ)
        for stack in changed:
            synthesized = (out / "stacks" / stack / "cdk.tf.json").read_text()
            if stack == secondary and '"replicate_source_db"' in synthesized:
                raise SystemExit(f"{stack}: the promoted replica still declares replicate_source_db")
            shutil.copyfile(out / "stacks" / stack / "cdk.tf.json", outdir / "stacks" / stack / "cdk.tf.json")
    with ThreadPoolExecutor(max_workers=len(changed)) as pool:  # read-only plans: no order needed
        codes = dict(zip(changed, pool.map(lambda s: tf.plan_exit_code(s, outdir), changed), strict=True))
    drifted = [s for s, code in codes.items() if code != 0]
    if drifted:
        raise SystemExit(f"drill 2: after the promotion and the DNS switch, a plan wanted changes in {drifted}")
    elapsed = time.monotonic() - started
    print(f"Drill 2 passed: replica promoted, primary held down, plans clean ({elapsed:.0f}s).", flush=True)
    return elapsed

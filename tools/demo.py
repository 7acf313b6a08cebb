"""`make demo`: synthesize `local`, deploy it to moto server on loopback, plan again, destroy.

Each stage prints a numbered banner so that a newcomer can follow what real Terraform does, and the
end a table of where the time went (every step, the slowest resource types: tools/timing.py).
The integration test runs the same :func:`deploy_plan_destroy` on the test session's synthesis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from tonebridge.cli import report
from tonebridge.config import ConfigError, EnvironmentConfig, load_environment
from tonebridge.config.loader import environments_dir
from tools import policy, tf, timing
from tools.emulator import running_emulator

ENVIRONMENT = "local"
STEPS = 8


def deploy_plan_destroy(
    env: EnvironmentConfig, outdir: Path, drill: Callable[[EnvironmentConfig, Path], object] | None = None
) -> dict:
    """Deploy every stack of ``env`` to its emulator, plan again expecting no change, destroy.

    ``drill``: run on the deployed, cleanly planned stacks before they are destroyed (the failover
    drill, tools/failover_drill.py). Returns the stack outputs. Raises SystemExit naming
    the stacks whose second plan was not empty.
    """
    if env.aws.emulator is None:
        raise SystemExit(f"{env.name} has no aws.emulator section; only emulated environments deploy here")
    stacks = tf.stacks_of(env.name, outdir, providers={"aws"})
    skipped = sorted(set(tf.stacks_of(env.name, outdir)) - set(stacks))
    if skipped:
        print(f"Not deployed here (they need a real Kubernetes API, not an AWS emulator): {', '.join(skipped)}")
    state, rest = stacks[0], stacks[1:]
    outputs_file = outdir / f"{env.name}-outputs.json"
    deployed_order = tf.levels(rest, outdir)  # the destroy's, reversed: taken before the drill edits a stack
    tf.say(f"[2/{STEPS}] Starting the AWS emulator (moto server) on {env.aws.emulator.endpoint}")
    with running_emulator(env.aws.emulator.endpoint, log_path=str(outdir / "moto.log")):
        try:
            # The second plan of a stack starts once no apply still to come can change it (tf.readers_of):
            # the state stack's while the regions deploy, the others as their readers finish.
            readers = tf.readers_of(stacks, outdir)
            with ThreadPoolExecutor(max_workers=len(stacks)) as planner:
                plans: dict[str, Future[int]] = {}

                def plan(stack: str) -> None:
                    tf.tell(f"Planning {stack} again: nothing still to deploy can change it")
                    plans[stack] = planner.submit(tf.plan_exit_code, stack, outdir)

                tf.say(f"[3/{STEPS}] Deploying the state backend first: {state}")
                outputs = tf.deploy([state], outdir, settled=plan, readers=readers)
                tf.say(
                    f"[4/{STEPS}] Deploying the stacks that keep their state in it: {', '.join(rest)}"
                    " (each after the stacks whose outputs it reads, the others at once)"
                )
                outputs |= tf.deploy(rest, outdir, settled=plan, readers=readers)
                outputs_file.write_text(json.dumps(outputs, indent=2))
                tf.tell(json.dumps(outputs, indent=2))
                tf.say(f"[5/{STEPS}] The second plans of every stack, each begun once its stack was final")
                for stack in stacks:  # read by a stack of a later deploy call: final only now
                    if stack not in plans:
                        plan(stack)
                codes = {s: plans[s].result() for s in stacks}
            drifted = [s for s in stacks if codes[s] != 0]
            if drifted:
                raise SystemExit(f"a second plan wanted changes (or failed) in: {', '.join(drifted)}")
            print("No changes in any stack.")
            tf.say(f"[6/{STEPS}] checkov over the plans, with every reference resolved")
            with timing.CLOCK.step("checkov"):
                report = policy.scan_plans({s: outdir / "stacks" / s / "tfplan.json" for s in stacks})
            print(f"checkov: {report.passed} passed, {len(report.unexpected)} unexpected failures")
            if report.unexpected:
                raise SystemExit("checkov failed on the plans:\n" + "\n".join(map(str, report.unexpected)))
            if drill is not None:
                with timing.CLOCK.step("failover drill"):
                    drill(env, outdir)
        finally:
            tf.say(f"[7/{STEPS}] Destroying everything: readers before the stacks they read, state backend last")
            failed = tf.destroy_all(rest, outdir, order=deployed_order)
            if not tf.destroy(state, outdir):
                failed.append(state)
    if failed:
        raise SystemExit(f"destroy failed for: {', '.join(failed)}")
    return outputs


def main() -> int:
    clock = timing.reset()
    try:
        env = load_environment(environments_dir() / f"{ENVIRONMENT}.yaml")
    except ConfigError as exc:
        return report(exc)
    try:
        tf.say(f"[1/{STEPS}] Synthesizing the '{ENVIRONMENT}' environment")
        with clock.step("synth"):
            tf.synth(ENVIRONMENT)
        deploy_plan_destroy(env, tf.OUTDIR)
    finally:
        tf.say(f"[8/{STEPS}] Emulator stopped. Where the time went:")
        print(clock.summary(), flush=True)
    tf.say(f"Demo finished in {time.monotonic() - clock.started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

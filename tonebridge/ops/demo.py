"""`make demo`: synthesize `local`, deploy it to moto server on loopback, plan again, destroy.

Each stage prints a numbered banner so that a newcomer can follow what real Terraform is doing.
"""

from __future__ import annotations

import json
import sys
import time

from tonebridge.config import ConfigError, load_environment
from tonebridge.config.loader import environments_dir
from tonebridge.ops import stacks as tf
from tonebridge.ops.emulator import running_emulator

ENVIRONMENT = "local"


def main() -> int:
    started = time.monotonic()
    try:
        env = load_environment(environments_dir() / f"{ENVIRONMENT}.yaml")
    except ConfigError as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return 2
    if env.aws.emulator is None:
        print(f"{ENVIRONMENT}.yaml has no aws.emulator section; the demo only deploys to the emulator", file=sys.stderr)
        return 2
    steps = 7
    tf.say(f"[1/{steps}] Synthesizing the '{ENVIRONMENT}' environment")
    tf.synth(ENVIRONMENT)
    stacks = tf.stacks_of(ENVIRONMENT)
    state, rest = stacks[0], stacks[1:]
    outputs = tf.OUTDIR / f"{ENVIRONMENT}-outputs.json"

    tf.say(f"[2/{steps}] Starting the AWS emulator (moto server) on {env.aws.emulator.endpoint}")
    with running_emulator(env.aws.emulator.endpoint, log_path=str(tf.OUTDIR / "moto.log")):
        try:
            tf.say(f"[3/{steps}] Deploying the state backend first: {state}")
            tf.deploy([state])
            tf.say(f"[4/{steps}] Deploying the remaining stacks (S3 backend in the new bucket): {', '.join(rest)}")
            tf.deploy(rest, outputs_file=outputs)
            print(json.dumps(json.loads(outputs.read_text()), indent=2))

            tf.say(f"[5/{steps}] Planning every stack again; nothing may change")
            drifted = [s for s in stacks if tf.plan_exit_code(s) != 0]
            if drifted:
                raise SystemExit(f"a second plan wanted changes (or failed) in: {', '.join(drifted)}")
            print("No changes in any stack.")
        finally:
            tf.say(f"[6/{steps}] Destroying everything, state backend last")
            if rest:
                tf.destroy(list(reversed(rest)))
            tf.destroy([state])
    tf.say(f"[7/{steps}] Emulator stopped. Demo finished in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

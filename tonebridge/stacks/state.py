"""``<env>-state``: bootstraps the backend every other stack of the environment stores its state in."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.state_backend import StateBackend
from tonebridge.stacks.base import TonebridgeStack


class StateStack(TonebridgeStack):
    """Creates the state bucket and lock table. It keeps its own state locally: it is what makes
    remote state possible (docs/stacks.md, "State backend", says how to move it into the bucket later)."""

    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env, "state", env.state.region, remote_state=False)
        self.backend = StateBackend(self, "state-backend", env.state)
        backend = self.backend
        outputs = {
            "state_bucket": backend.bucket.bucket,
            "lock_table": backend.table.name,
            "state_key_arn": backend.key.arn,
        }
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)

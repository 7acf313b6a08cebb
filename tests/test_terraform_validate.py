"""Terraform's own judgement of every AWS stack, with providers from the mirror (or registry)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import require_tool
from tests.test_snapshots import AWS_STACKS
from tools.terraform_cli import terraform_environment

pytestmark = pytest.mark.external


@pytest.mark.parametrize("name", AWS_STACKS)
def test_terraform_validate(synth_dir, tmp_path, name):
    terraform = require_tool("terraform")
    workdir = synth_dir / "stacks" / name
    # A data dir of its own: the stack folder may already be initialized against a live backend
    # (the emulator deploy shares this synthesis), and validation must not depend on it.
    env = {**terraform_environment(), "TF_DATA_DIR": str(tmp_path / "terraform-data")}
    init = subprocess.run(
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(
        [terraform, "validate", "-json", "-no-color"], cwd=workdir, env=env, capture_output=True, text=True, check=False
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert '"valid": true' in validate.stdout

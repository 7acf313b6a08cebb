"""Every synthesized stack, snapshotted. An intended change updates the snapshot in the same
commit (`pipenv run pytest --snapshot-update`); an unintended one fails here. The files are written by
tests/snapshot_format.py: one value per line, embedded JSON/base64/multi-line text shown parsed, still exact."""

from __future__ import annotations

import pytest

from tests.snapshot_format import ReviewableJSONExtension
from tonebridge.config import load_selected
from tonebridge.paths import PROJECT_ROOT

STACKS = [
    f"{env.name}-{suffix}"
    for env in load_selected(PROJECT_ROOT / "environments")
    for suffix in (
        "state",
        *(f"{region}{kind}" for region in env.aws_regions for kind in ("", "-platform")),
        *(["dr"] if env.dr else []),
        *(["global"] if env.dns else []),
    )
]

#: Stacks whose only provider is aws: Terraform can validate and plan them here (from the mirror).
#: Not the platform stacks (kubernetes, helm) nor the DR stacks (google: not in the mirror).
AWS_STACKS = [name for name in STACKS if not name.endswith(("-platform", "-dr"))]


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(ReviewableJSONExtension)


def test_stack_list_is_complete(manifest):
    assert sorted(manifest) == sorted(STACKS)


@pytest.mark.parametrize("name", STACKS)
def test_stack_snapshot(stacks, snapshot_json, name):
    assert stacks[name] == snapshot_json

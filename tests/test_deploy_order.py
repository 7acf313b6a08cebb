"""The emulator deploy's schedule and its clock: which stacks run at once, and where the time is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import tf
from tools.timing import Clock


def _stack(outdir: Path, name: str, reads: tuple[str, ...] = ()) -> None:
    remote = {f"cross-stack-reference-input-{r}": {"backend": "s3"} for r in reads}
    folder = outdir / "stacks" / name
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(json.dumps({"data": {"terraform_remote_state": remote}} if reads else {}))
    manifest = outdir / "manifest.json"
    entries = json.loads(manifest.read_text())["stacks"] if manifest.exists() else {}
    entries[name] = {"synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
    manifest.write_text(json.dumps({"stacks": entries}))


def test_session_synthesis_of_local_deploys_the_secondary_region_beside_the_global_stack(synth_dir):
    # The global stack declares every regional stack as a dependency (production's order), but in
    # `local` it reads only the primary region's outputs.
    stacks = tf.stacks_of("local", synth_dir, providers={"aws"})
    assert tf.levels(stacks[1:], synth_dir) == [["local-us-west-2"], ["local-global", "local-us-east-1"]]
    # Its second plans: the state stack's as soon as it is deployed, the primary's after both its readers.
    readers = tf.readers_of(stacks, synth_dir)
    assert readers["local-state"] == set() and readers["local-us-west-2"] == {"local-us-east-1", "local-global"}


def test_levels_follow_output_references_only(tmp_path):
    _stack(tmp_path, "e-a")
    _stack(tmp_path, "e-b", reads=("e-a",))
    _stack(tmp_path, "e-c", reads=("e-a", "e-outside"))  # a stack outside the set counts as deployed
    _stack(tmp_path, "e-d", reads=("e-b", "e-c"))
    assert tf.levels(["e-d", "e-c", "e-b", "e-a"], tmp_path) == [["e-a"], ["e-b", "e-c"], ["e-d"]]


def test_cyclic_references_are_refused(tmp_path):
    _stack(tmp_path, "e-a", reads=("e-b",))
    _stack(tmp_path, "e-b", reads=("e-a",))
    with pytest.raises(SystemExit, match="cyclic"):
        tf.levels(["e-a", "e-b"], tmp_path)


def test_clock_counts_terraform_resource_lines_per_stack_and_type():
    clock = Clock()
    for line in (
        "aws_kms_key.network_key_1C847939: Creation complete after 13s [id=abc]\n",
        "aws_kms_key.edge_key_41D912E4: Creation complete after 15s [id=def]\n",
        "aws_db_instance.database_instance_D7FC2283: Creation complete after 2m40s [id=tonebridge-local]\n",
        "aws_route53_record.records[0]: Destruction complete after 31s\n",
        "aws_kms_key.network_key_1C847939: Still creating... [10s elapsed]\n",
    ):
        clock.observe("local-us-west-2", line)
    kms = clock.resources[("local-us-west-2", "Creation", "aws_kms_key")]
    assert (kms.count, kms.total, kms.longest) == (2, 28, 15)
    assert clock.resources[("local-us-west-2", "Creation", "aws_db_instance")].longest == 160
    assert clock.resources[("local-us-west-2", "Destruction", "aws_route53_record")].count == 1
    assert len(clock.resources) == 3


def test_clock_records_a_failed_step_and_ranks_resource_types_by_their_longest_wait():
    clock = Clock()
    with pytest.raises(SystemExit), clock.step("apply e-a"):
        raise SystemExit("failed")
    clock.observe("e-a", "aws_sqs_queue.q: Creation complete after 26s\n")
    clock.observe("e-a", "aws_db_instance.db: Creation complete after 1m20s\n")
    text = clock.summary()
    assert [name for name, _ in clock.steps] == ["apply e-a"]
    assert "apply e-a" in text and "total (wall)" in text
    assert text.index("aws_db_instance") < text.index("aws_sqs_queue")


def test_a_stack_is_final_once_every_stack_reading_it_directly_or_not_is_deployed(tmp_path):
    _stack(tmp_path, "e-a")
    _stack(tmp_path, "e-b", reads=("e-a",))
    _stack(tmp_path, "e-c", reads=("e-b",))
    _stack(tmp_path, "e-d")
    readers = tf.readers_of(["e-a", "e-b", "e-c", "e-d"], tmp_path)
    assert readers == {"e-a": {"e-b", "e-c"}, "e-b": {"e-c"}, "e-c": set(), "e-d": set()}


def test_deploy_starts_each_stack_when_its_sources_are_done_and_reports_settled_stacks(tmp_path, monkeypatch):
    _stack(tmp_path, "e-a")
    _stack(tmp_path, "e-b", reads=("e-a",))
    _stack(tmp_path, "e-c", reads=("e-a",))
    _stack(tmp_path, "e-d")
    applied: list[str] = []
    monkeypatch.setattr(tf, "_apply", lambda stack, outdir: applied.append(stack) or {"name": stack})
    settled: dict[str, set[str]] = {}  # each settled stack: what was applied by then
    outputs = tf.deploy(["e-a", "e-b", "e-c", "e-d"], tmp_path, settled=lambda s: settled.update({s: set(applied)}))
    assert outputs == {s: {"name": s} for s in ("e-a", "e-b", "e-c", "e-d")}
    assert applied.index("e-a") < min(applied.index("e-b"), applied.index("e-c"))
    assert {"e-b", "e-c"} <= settled["e-a"]  # its readers' applies were done
    assert sorted(settled) == ["e-a", "e-b", "e-c", "e-d"]

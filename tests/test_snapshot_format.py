"""The reviewable snapshot format (tests/snapshot_format.py) is exact: nothing a stack says is lost in the layout,
and a one-value change is a one-line diff."""

from __future__ import annotations

import base64
import difflib
import json

import pytest
import yaml

from tests.snapshot_format import BASE64, JSON, LINES, YAML, decode, dumps, encode, loads


def _diff(before: dict, after: dict) -> list[str]:
    lines = difflib.unified_diff(dumps(before).splitlines(), dumps(after).splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_every_synthesized_stack_round_trips_byte_for_byte(stacks):
    """decode(encode(stack)) == stack, every embedded string equal to the character (key order, spacing, newlines)."""
    for name, stack in stacks.items():
        assert loads(dumps(stack)) == stack, name


def test_snapshot_files_decode_to_the_synthesized_stacks(stacks):
    from pathlib import Path

    folder = Path(__file__).parent / "__snapshots__" / "test_snapshots"
    for name, stack in stacks.items():
        assert loads((folder / f"test_stack_snapshot[{name}].json").read_text()) == stack, name


def test_long_lines_are_gone(stacks):
    """The old files had single lines of 32,886 characters. What remains over 1,200 would be a new kind of string."""
    longest = max(len(line) for stack in stacks.values() for line in dumps(stack).splitlines())
    assert longest < 1200


def test_embedded_documents_are_shown_parsed():
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})
    script = "#!/bin/sh\nset -eu\necho ready\n"
    user_data = base64.b64encode(("MIME-Version: 1.0\n" + "x" * 100 + "\n").encode()).decode()
    values = yaml.safe_dump(
        {"controller": {"replicas": 2, "image": "jenkins/jenkins:2.528.1-lts" + "-x" * 30}}, sort_keys=False
    )
    shown = encode({"policy": policy, "script": script, "user_data": user_data, "values": values})
    assert shown["policy"] == {
        JSON: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    }
    assert shown["script"] == {LINES: ["#!/bin/sh", "set -eu", "echo ready", ""]}
    assert shown["user_data"] == {BASE64: {LINES: ["MIME-Version: 1.0", "x" * 100, ""]}}
    assert shown["values"][YAML]["controller"]["replicas"] == 2
    assert decode(shown) == {"policy": policy, "script": script, "user_data": user_data, "values": values}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"count": "1"}, {"count": 1}),  # a string and a number
        ({"v": "a\nb\n"}, {"v": "a\nb"}),  # a trailing newline in embedded text
        ({"v": "a\r\nb"}, {"v": "a\nb"}),  # line endings
        # key order inside an embedded document is part of the string Terraform compares
        (
            {"v": json.dumps({"a": 1, "b": [1, 2], "pad": "x" * 80})},
            {"v": json.dumps({"b": [1, 2], "a": 1, "pad": "x" * 80})},
        ),
        # spacing inside an embedded document (not the json.dumps form: kept as a plain string)
        (
            {"v": json.dumps({"a": 1, "pad": "x" * 80})},
            {"v": json.dumps({"a": 1, "pad": "x" * 80}, separators=(",", ":"))},
        ),
        ({"v": json.dumps({"n": 1, "pad": "x" * 80})}, {"v": json.dumps({"n": 1.0, "pad": "x" * 80})}),  # 1 vs 1.0
        ({"v": json.dumps({"n": "1", "pad": "x" * 80})}, {"v": json.dumps({"n": 1, "pad": "x" * 80})}),
        ({"v": "x" * 200}, {"v": base64.b64encode(b"x" * 150).decode()}),
        ({"v": "line\n"}, {"v": ["line", ""]}),  # text shown as lines vs a real list
    ],
)
def test_different_stacks_give_different_snapshots(before, after):
    assert dumps(before) != dumps(after)
    assert loads(dumps(before)) == before and loads(dumps(after)) == after


def test_an_object_shaped_like_a_marker_is_refused_not_written_ambiguously():
    with pytest.raises(ValueError, match="ambiguous"):
        dumps({"resource": {LINES: ["a", "b"]}})
    # inside an embedded document it simply stays a string (exact, if less readable)
    text = json.dumps({"outer": {LINES: ["a", "b"]}, "pad": "x" * 80})
    assert dumps({"v": text}) == json.dumps({"v": text}, indent=1) + "\n"
    assert loads(dumps({"v": text})) == {"v": text}


def test_one_value_changed_in_a_helm_values_document_is_a_one_line_diff(stacks):
    stack = stacks["production-us-west-2-platform"]
    release = next(r for r in stack["resource"]["helm_release"].values() if r["name"] == "jenkins")
    values = json.loads(release["values"][0])
    assert release["values"][0] == json.dumps(values)  # shown parsed, not as one line
    changed = json.loads(json.dumps(stack))
    changed_release = next(r for r in changed["resource"]["helm_release"].values() if r["name"] == "jenkins")
    values["controller"]["numExecutors"] = values["controller"].get("numExecutors", 0) + 1
    changed_release["values"][0] = json.dumps(values)
    diff = _diff(stack, changed)
    assert len(diff) == 2, diff
    assert diff[0].startswith("-") and '"numExecutors"' in diff[0] and diff[1].startswith("+")

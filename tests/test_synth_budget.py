"""Synthesis work, held to a budget that does not flake: jsii kernel requests per stack.

The session's synthesis of every environment counts its requests (tests/conftest.py, ``synth_calls``;
tonebridge/jsii_calls.py). Each stack must stay within its budget in tests/synth_budget.yaml, and the
budget must not lag a speed-up by more than its headroom. `make synth-budget` prints the counts;
`make synth-budget WRITE=1` rewrites the file (headroom policy: in that file and in
tools/synth_budget.py).
"""

from __future__ import annotations

import pytest

from tonebridge.jsii_calls import APP
from tonebridge.tokens import is_unresolved
from tools import synth_budget

HINT = (
    "\nIf the change adds resources on purpose, run `make synth-budget WRITE=1` and commit "
    "tests/synth_budget.yaml with it, saying what was added; if it made synthesis faster, the same."
)


def test_every_stack_is_within_its_budget(synth_calls):
    budget = synth_budget.read_budget()
    found = synth_budget.problems(synth_calls.by_stack(), budget)
    assert found == [], "\n".join([*found, "", *synth_budget.report(synth_calls, budget), HINT])


def test_requests_are_counted_for_the_stack_that_makes_them(synth_calls, manifest):
    """Every stack has its own count; outside the stacks' code: the App, its synth, and little else."""
    counted = synth_calls.by_stack()
    assert set(counted) == {*manifest, APP}
    assert all(counted[stack] > 0 for stack in manifest)
    outside = {(kind, fqn, member) for (stack, kind, fqn, member) in synth_calls.requests if stack == APP}
    assert {("create", "cdktf.App", ""), ("invoke", "cdktf.App", "synth")} <= outside
    assert counted[APP] < min(counted[stack] for stack in manifest)


@pytest.mark.parametrize(
    ("measured", "budget", "ok"),
    [
        (1000, 1050, True),  # the policy's own budget
        (1051, 1050, False),  # one request over
        (960, 1050, True),  # within one headroom below
        (800, 1050, False),  # a speed-up that did not lower the budget
        (3, 20, True),  # small stacks: the minimum headroom
    ],
)
def test_headroom_policy(measured, budget, ok):
    assert synth_budget.budget_for(1000) == 1050
    assert (synth_budget.problems({"s": measured}, {"s": budget}) == []) is ok


def test_a_stack_without_a_budget_or_a_budget_without_a_stack_fails():
    assert synth_budget.problems({"new": 10}, {}) == ["new: 10 requests and no budget"]
    assert synth_budget.problems({}, {"gone": 10}) == ["gone: in the budget but not synthesized"]


def test_string_tokens_are_recognized_as_cdktf_recognizes_them(synth_dir):
    """tonebridge.tokens answers for strings in Python what cdktf's Token.is_unresolved answers."""
    from cdktf import App, Fn, TerraformStack, TerraformVariable, Token

    stack = TerraformStack(App(), "tokens")
    variable = TerraformVariable(stack, "v", type="string")
    token = variable.string_value
    samples = [
        token,
        f"arn:aws:iam::{token}:role/x",
        Fn.join(",", [token, "b"]),
        Token.as_string(variable.number_value),
        Token.as_string(Token.as_list(variable.list_value)),
        "${aws_vpc.main.id}",
        "$${TfToken[TOKEN.1]}",
        "${TfToken[TOKEN.1]}",
        "x${TfToken[A-b_c:d.9]}y",
        "${TfToken[]}",
        "${TfToken[a b]}",
        "#{TfToken[TOKEN.1]}",
        "&{TfToken[TOKEN.1]}",
        "%{ if true }x%{ endif }",
        "",
        "plain",
    ]
    assert [is_unresolved(s) for s in samples] == [Token.is_unresolved(s) for s in samples]
    assert is_unresolved(token) and not is_unresolved("plain")
    # not strings: cdktf's own answer
    assert is_unresolved(variable.number_value) == Token.is_unresolved(variable.number_value) is True
    assert is_unresolved(5) is False

"""Every check a construct makes is reachable from configuration validation: none can reach the
operator as a stack trace.

The checks are found by reading the source (every ``raise ValueError/TypeError/KeyError/FieldProblem``
under tonebridge/constructs, features, props, stacks and the rules modules tonebridge/*.py);
each must have an entry in tests/construct_guards.py, in order within its function: a configuration case (the
configuration rule that guards the check, with the exact line) or the reason configuration cannot
reach it. A new check without an entry fails here. Then every case goes through ``python main.py``
at once (one file each): exit 2 within seconds, the exact line for every file, no traceback, every
line under 300 characters, cdktf.out/ untouched.
"""

from __future__ import annotations

import ast
import copy
import time
from pathlib import Path

import pytest

from tests.construct_guards import DROP, GUARDS, LINES, Case, Code
from tests.source_trees import parsed
from tests.test_bad_configs import PRODUCTION, _synth_subprocess, _tree_digest, _yaml
from tonebridge.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "tonebridge"
RAISED = ("ValueError", "TypeError", "KeyError", "FieldProblem")


def construct_checks() -> dict[str, list[int]]:
    """``"<file>:<qualname>"`` -> line numbers of its raises, for the constructs, stacks and rules modules."""
    files = sorted(
        [
            *PACKAGE.glob("constructs/**/*.py"),
            *PACKAGE.glob("props/**/*.py"),
            *PACKAGE.glob("features/**/*.py"),
            *PACKAGE.glob("stacks/*.py"),
            *PACKAGE.glob("*.py"),
        ]
    )
    found: dict[str, list[int]] = {}

    def walk(node: ast.AST, qual: str, rel: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = qual
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{qual}.{child.name}" if qual else child.name
            if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call):
                func = child.exc.func
                if isinstance(func, ast.Name) and func.id in RAISED:
                    found.setdefault(f"{rel}:{qual}", []).append(child.lineno)
            walk(child, name, rel)

    for path in files:
        walk(parsed(path), "", str(path.relative_to(PACKAGE)))
    return found


def test_every_construct_check_has_a_guard_or_a_reason() -> None:
    checks = construct_checks()
    assert sum(len(lines) for lines in checks.values()) > 200  # the scan sees the checks it should
    missing = sorted(set(checks) - set(GUARDS))
    stale = sorted(set(GUARDS) - set(checks))
    assert not missing, f"construct checks without an entry in tests/construct_guards.py: {missing}"
    assert not stale, f"entries for checks that no longer exist: {stale}"
    for key, entries in GUARDS.items():
        whole = len(entries) == 1 and isinstance(entries[0], Code)
        assert whole or len(entries) == len(checks[key]), (
            f"{key}: {len(checks[key])} raises (lines {checks[key]}) but {len(entries)} entries"
        )
        for i, entry in enumerate(entries):
            if isinstance(entry, Case):
                assert f"{key}[{i}]" in LINES, f"{key}[{i}] has no expected line"
    cases = {f"{key}[{i}]" for key, entries in GUARDS.items() for i, e in enumerate(entries) if isinstance(e, Case)}
    assert set(LINES) == cases


def _apply(doc: dict, case: Case) -> None:
    node = doc
    for part in case.path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    if case.value is DROP:
        del node[case.path[-1]]
    else:
        node[case.path[-1]] = copy.deepcopy(case.value)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "environments").mkdir()
    previous = tmp_path / "cdktf.out" / "stacks" / "production-us-west-2"
    previous.mkdir(parents=True)
    (previous / "cdk.tf.json").write_text('{"resource": {"aws_vpc": {}}}\n')
    return tmp_path


@pytest.mark.integration
def test_every_guarded_check_is_a_line_from_main_py(folder: Path) -> None:
    """One file per case (each keeps ``name: production``, so lines naming the environment stay as
    they are; the file-name mismatch is one more line of that file)."""
    expected = []
    cases = [(f"{key}[{i}]", e) for key, entries in GUARDS.items() for i, e in enumerate(entries)]
    for n, (label, case) in enumerate(c for c in cases if isinstance(c[1], Case)):
        doc = copy.deepcopy(PRODUCTION)
        _apply(doc, case)
        (folder / "environments" / f"g{n:03d}.yaml").write_text(_yaml(doc))
        expected.append((label, f"environments/g{n:03d}.yaml: {LINES[label]}"))
    before = _tree_digest(folder / "cdktf.out")
    start = time.monotonic()
    result = _synth_subprocess(folder)
    elapsed = time.monotonic() - start
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    missing = [f"{label}: {line}" for label, line in expected if line not in lines]
    assert not missing, "\n".join(missing)
    assert all(len(line) < 300 for line in lines), max(lines, key=len)
    assert _tree_digest(folder / "cdktf.out") == before, "cdktf.out/ was modified"
    assert elapsed < 60, f"{len(expected)} rejected files took {elapsed:.1f} s (about 40 ms each unloaded)"

"""The product (``tonebridge/``) and the tooling around it (``tools/``) stay apart.

``tonebridge`` is what synthesizes; it may import the standard library, itself and what Pipfile's
``[packages]`` install (with their dependencies). The emulator, demo, policy, validation, fit-check,
failover and budget tooling lives in ``tools/`` and may use the dev packages (moto,
kubernetes_validate, helm_python, celpy, checkov ...). Importing ``tonebridge`` changes nothing
global: the lazy provider hook is installed by the programs that synthesize (main.py, the test session,
tools/synth_budget.py, the benchmark).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.source_trees import nodes
from tonebridge import lazy_providers
from tonebridge.paths import PROJECT_ROOT

PRODUCT = PROJECT_ROOT / "tonebridge"


def _imports(root: Path) -> dict[str, list[str]]:
    """Top-level module name -> ``file:line`` of every absolute import under ``root`` (function-level and
    TYPE_CHECKING imports included: an import is an import)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in nodes(path):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            where = f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
            for name in names:
                found.setdefault(name.split(".")[0], []).append(where)
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_distributions() -> set[str]:
    """Pipfile's [packages] and everything they require (not extras), as installed."""
    pending = [_normalized(name) for name in tomllib.loads((PROJECT_ROOT / "Pipfile").read_text())["packages"]]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement whose marker excludes this Python (exceptiongroup on 3.11)
        for requirement in requirements:
            if "extra ==" in requirement.replace('"', "").replace("'", ""):
                continue
            pending.append(_normalized(re.match(r"[A-Za-z0-9._-]+", requirement).group(0)))
    return seen


def test_the_product_never_imports_the_tooling():
    users = _imports(PRODUCT).get("tools", [])
    assert not users, f"tonebridge/ must not import the tooling package tools/: {users}"


def test_the_tooling_packages_moved_out_of_the_product():
    assert not list((PRODUCT / "ops").rglob("*.py")), "tonebridge/ops/ is back: tooling belongs in tools/"
    assert not list((PRODUCT / "fit").rglob("*.py")), "tonebridge/fit/ is back: the fit check belongs in tools/fit/"


def test_the_product_imports_only_runtime_packages():
    """What tonebridge/ imports is installed by Pipfile's [packages]; a dev package (moto, kubernetes_validate,
    helm_python, celpy, jsonschema, checkov, boto3 ...) there means tooling crept back into the product."""
    runtime = _runtime_distributions()
    distributions = importlib.metadata.packages_distributions()
    wrong = {}
    for name, where in _imports(PRODUCT).items():
        if name in sys.stdlib_module_names or name == "tonebridge":
            continue
        providers = {_normalized(d) for d in distributions.get(name, [])}
        if not providers & runtime:
            wrong[name] = (sorted(providers) or ["not installed"], where[:3])
    assert not wrong, f"tonebridge/ imports packages outside Pipfile's [packages]: {wrong}"


def test_the_runtime_closure_really_excludes_the_dev_packages():
    """The check above can fail: the dev-only packages the tooling imports are outside the runtime set."""
    runtime = _runtime_distributions()
    assert {"cdktf", "jsii", "pydantic", "pyyaml"} <= runtime
    assert not {"moto", "kubernetes-validate", "helm-python-sdk", "cel-python", "checkov", "pytest"} & runtime


_PROBE = """
import json, os, sys
before = ([repr(f) for f in sys.meta_path], os.environ.get("NODE_OPTIONS"))
import tonebridge, tonebridge.config
tonebridge.config.load_selected()
after = ([repr(f) for f in sys.meta_path], os.environ.get("NODE_OPTIONS"))
print(json.dumps({"before": before, "after": after, "heavy": sorted(
    m for m in sys.modules if m.split(".")[0] in ("cdktf", "constructs", "jsii", "tools")
    or m.startswith("cdktf_cdktf_provider_"))}))
"""


@pytest.mark.integration
def test_importing_the_configuration_changes_nothing_global():
    """``import tonebridge.config`` (a fresh interpreter) leaves the import system, NODE_OPTIONS and the jsii
    kernel alone: only the programs that synthesize install the lazy provider hook."""
    environ = {k: v for k, v in os.environ.items() if k != lazy_providers.EAGER_VAR}
    lazy_providers.without_node_preload(environ)
    environ["NODE_OPTIONS"] = "--max-old-space-size=4096"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, check=True
    )
    seen = json.loads(result.stdout)
    assert seen["after"] == seen["before"], "importing tonebridge.config changed sys.meta_path or NODE_OPTIONS"
    assert seen["after"][1] == "--max-old-space-size=4096"
    assert seen["heavy"] == []

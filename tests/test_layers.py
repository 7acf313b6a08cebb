"""The import graph of tonebridge/ runs one way: app → stacks → config / features → constructs → rules (props).

Read with ast (nothing is imported; imports under ``if TYPE_CHECKING:`` are annotations only and do not
count). Configuration never imports a construct (it would load cdktf before a wrong value is reported),
constructs never import configuration or stacks, and the rules layer (``tonebridge/props/`` and the
cdktf-free top-level modules) never imports cdktf, jsii, ``constructs`` or a provider, so configuration
and construct props can share it. Nothing in the product imports the tooling package ``tools``.

The two tables below are the whole layer map; adjust them when a layer moves.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.source_trees import parsed

ROOT = Path(__file__).resolve().parents[1]

#: Layer of each part of the package, by module-name prefix (the longest matching prefix wins). A
#: top-level module not listed here is a rule (cdktf-free) unless it is in CDK_SUPPORT.
LAYERS: dict[str, str] = {
    "tonebridge.app": "app",
    "tonebridge.cli": "app",
    "tonebridge.stacks": "stacks",
    "tonebridge.config": "config",
    "tonebridge.features": "features",
    "tonebridge.constructs": "constructs",
    "tonebridge.props": "rules",
}
#: Top-level modules that import jsii or cdktf on purpose: helpers the constructs (and app) use.
CDK_SUPPORT = {
    "tonebridge",
    "tonebridge.jsii_calls",
    "tonebridge.lazy_providers",
    "tonebridge.references",
    "tonebridge.tokens",
}
#: What each layer may import (its own layer included where listed). ``tooling`` is not checked.
ALLOWED: dict[str, set[str]] = {
    "rules": {"rules"},
    "config": {"config", "rules"},
    "features": {"features", "constructs", "rules", "cdk-support"},
    "constructs": {"constructs", "rules", "cdk-support"},
    "cdk-support": {"cdk-support", "rules"},
    "stacks": {"stacks", "config", "features", "constructs", "rules", "cdk-support"},
    "app": {"app", "stacks", "config", "features", "constructs", "rules", "cdk-support"},
}
#: Import roots that load the CDK: never from the rules layer.
CDK_ROOTS = ("cdktf", "constructs", "jsii", "cdktf_cdktf_provider_", "imports")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _annotation_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    return skipped


def import_graph(
    root: Path, package: str = "tonebridge"
) -> tuple[dict[str, Path], dict[str, set[str]], dict[str, set[str]]]:
    """(modules, edges inside the package, other imported names) of every module under ``root/package``."""
    modules = {_module_name(root, p): p for p in (root / package).rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    external: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        tree = parsed(path)
        skipped = _annotation_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join(here + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                if target == package or target.startswith(package + "."):
                    while target and target not in modules:
                        target = target.rpartition(".")[0]
                    if target and target != name:
                        edges[name].add(target)
                else:
                    external[name].add(target)
    return modules, edges, external


def layer_of(module: str) -> str:
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    if prefixes:
        return LAYERS[max(prefixes, key=len)]
    return "cdk-support" if module in CDK_SUPPORT else "rules"


def violations(root: Path, package: str = "tonebridge") -> list[str]:
    """Every import against the layer map, as ``<file>: <layer> imports <module> (<layer>)``."""
    modules, edges, external = import_graph(root, package)
    found = []
    for module in sorted(modules):
        layer = layer_of(module)
        where = modules[module].relative_to(root)
        for name in sorted(external[module]):
            if name == "tools" or name.startswith("tools."):
                found.append(f"{where}: the product imports the tooling package ({name})")
            if layer == "rules" and name.startswith(CDK_ROOTS):
                found.append(f"{where}: a rules module imports {name} (rules and props stay cdktf-free)")
        if layer == "tooling":
            continue
        for target in sorted(edges[module]):
            if layer_of(target) not in ALLOWED[layer]:
                found.append(f"{where}: {layer} imports {target} ({layer_of(target)})")
    return found


def test_the_import_graph_has_no_arrow_back() -> None:
    assert violations(ROOT) == []


def test_the_graph_is_read() -> None:
    """The scan sees the arrows it guards (an empty graph would pass every check above)."""
    modules, edges, external = import_graph(ROOT)
    assert "tonebridge.props.types" in edges["tonebridge.config.platform_data"]
    assert "tonebridge.props.pools" in edges["tonebridge.config.capacity_rules"]
    assert any(name.startswith("cdktf") for name in external["tonebridge.constructs.kube"])
    assert layer_of("tonebridge.props.pools") == layer_of("tonebridge.quantities") == "rules"
    assert {layer_of(m) for m in modules} >= {"app", "stacks", "config", "constructs", "rules", "cdk-support"}


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        (
            "config/x.py",
            "from tonebridge.constructs.kube import kube_object\n",
            "config imports tonebridge.constructs.kube",
        ),
        ("config/x.py", "from ..stacks import platform\n", "config imports tonebridge.stacks.platform"),
        ("constructs/x.py", "import tonebridge.config.models\n", "constructs imports tonebridge.config.models"),
        ("props/x.py", "from cdktf import Fn\n", "a rules module imports cdktf"),
        ("props/x.py", "from tonebridge.tokens import is_token\n", "rules imports tonebridge.tokens"),
        ("quantities.py", "import jsii\n", "a rules module imports jsii"),
        ("stacks/x.py", "from tools.tf import plan\n", "the product imports the tooling package"),
    ],
)
def test_a_planted_arrow_back_is_reported(tmp_path: Path, path: str, source: str, expected: str) -> None:
    package = tmp_path / "tonebridge"
    for name in ("stacks/platform.py", "constructs/kube.py", "config/models.py", "tokens.py", "quantities.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("import cdktf\n" if name == "tokens.py" else "")
    (package / path).parent.mkdir(parents=True, exist_ok=True)
    (package / path).write_text(source)
    assert [v for v in violations(tmp_path) if expected in v], violations(tmp_path)


def test_annotation_only_imports_do_not_count(tmp_path: Path) -> None:
    package = tmp_path / "tonebridge"
    (package / "config").mkdir(parents=True)
    (package / "stacks").mkdir()
    (package / "stacks" / "platform.py").write_text("")
    (package / "config" / "x.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tonebridge.stacks.platform import P\n"
    )
    assert violations(tmp_path) == []

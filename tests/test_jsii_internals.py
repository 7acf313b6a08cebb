"""Canaries: the jsii, publication and Node.js internals the lazy provider hook relies on, one test each.

tonebridge/lazy_providers.py and lazy_providers.js make provider loading ~10 s (Python) and ~1.5-2 s per
provider (Node.js) faster by relying on details that are not public API. When an upgrade of jsii, of the
prebuilt provider packages, of ``publication`` or of Node.js changes one of them, the hook falls back to
loading everything eagerly (and says so once on stderr) or stops working; the matching test here fails
first and says what changed and what to update.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import MutableMapping
from pathlib import Path
from types import ModuleType

import pytest

from tonebridge import lazy_providers

UPDATE = "update tonebridge/lazy_providers.py"
UPDATE_JS = "update tonebridge/lazy_providers.js"


def _version(distribution: str) -> str:
    return f"{distribution} {importlib.metadata.version(distribution)}"


def _package_dir(package: str) -> Path:
    (location,) = importlib.util.find_spec(package).submodule_search_locations
    return Path(location)


def _python_submodules(package: str) -> set[str]:
    return {
        d.name for d in _package_dir(package).iterdir() if not d.name.startswith("_") and (d / "__init__.py").exists()
    }


@pytest.fixture
def scratch_package(tmp_path, monkeypatch):
    """A throwaway importable package folder; its modules leave sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def make(name: str, files: dict[str, str]) -> str:
        for relative, text in files.items():
            path = tmp_path / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        names.append(name)
        importlib.invalidate_caches()
        return name

    yield make
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        del sys.modules[module]


def test_jsii_reference_map_resolves_submodules_through_submodule_fqn_map(scratch_package, monkeypatch):
    """lazy_providers registers every provider submodule in jsii._reference_map._submodule_fqn_map so that the
    runtime imports a submodule when the kernel hands Python an object of one of its types."""
    from jsii import _reference_map

    fqn_map = getattr(_reference_map, "_submodule_fqn_map", None)
    assert isinstance(fqn_map, MutableMapping), (
        f"{_version('jsii')} removed _reference_map._submodule_fqn_map: provider loading fell back to eager "
        f"(+~10 s); {UPDATE} (find how this jsii resolves a type of a submodule not yet imported)"
    )
    resolve = getattr(_reference_map, "_try_import_type_module", None)
    assert callable(resolve), (
        f"{_version('jsii')} removed _reference_map._try_import_type_module, which imports a submodule from "
        f"_submodule_fqn_map: objects of types from submodules not yet imported may not resolve; {UPDATE}"
    )
    roots = getattr(_reference_map, "_assembly_to_module", None)
    assert isinstance(roots, MutableMapping), (
        f"{_version('jsii')} removed _reference_map._assembly_to_module (assembly name -> root module), which "
        f"_try_import_type_module starts from: read how it resolves submodules now; {UPDATE}"
    )
    scratch_package("tonebridge_canary_root", {"__init__.py": "", "deep/__init__.py": "", "deep/types.py": "X = 1\n"})
    monkeypatch.setitem(roots, "@tonebridge/canary", "tonebridge_canary_root")
    monkeypatch.setitem(fqn_map, "@tonebridge/canary.someSub", "tonebridge_canary_root.deep.types")
    assert resolve("@tonebridge/canary.someSub.SomeType")
    assert "tonebridge_canary_root.deep.types" in sys.modules, (
        f"{_version('jsii')} no longer imports the module _submodule_fqn_map names for a type's FQN: provider "
        f"objects of submodules not yet imported would not resolve to their classes; {UPDATE}"
    )


@pytest.mark.parametrize("package", sorted(lazy_providers.PROVIDER_PACKAGES))
def test_provider_jsii_module_names_its_assembly(package):
    """The FQN map is keyed by ``<pkg>._jsii.__jsii_assembly__.name`` (``@cdktf/provider-aws``): the generated
    ``_jsii/__init__.py`` must still assign it from ``jsii.JSIIAssembly.load(<name>, ...)``."""
    import jsii

    source = _package_dir(package) / "_jsii" / "__init__.py"
    loads = [
        node.value
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["__jsii_assembly__"]
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "jsii.JSIIAssembly.load"
    ]
    assert loads, (
        f"{_version(package.replace('_', '-'))}: {source} no longer sets __jsii_assembly__ = "
        f"jsii.JSIIAssembly.load(...): the hook cannot name the assembly and falls back to eager; {UPDATE}"
    )
    first = loads[0].args[0] if loads[0].args else None
    expected = "@cdktf/provider-" + package.removeprefix("cdktf_cdktf_provider_")
    assert isinstance(first, ast.Constant) and first.value == expected, ast.unparse(loads[0])
    assert "name" in getattr(jsii.JSIIAssembly, "__annotations__", {}), (
        f"{_version('jsii')}: JSIIAssembly has no `name` field any more: the hook reads "
        f"<pkg>._jsii.__jsii_assembly__.name to key the FQN map; {UPDATE}"
    )


def test_the_imported_providers_registered_their_submodules_under_the_assembly_name():
    """Live: a provider imported through the hook (the smallest, helm) put its submodules into the FQN map under
    its assembly's real name, and no provider fell back to eager imports."""
    from jsii import _reference_map

    helm = importlib.import_module("cdktf_cdktf_provider_helm")
    if lazy_providers.eager_requested():
        pytest.skip(f"{lazy_providers.EAGER_VAR} is set: the providers are imported as published")
    assert lazy_providers.loaded_lazily(helm), "conftest.py installs the hook before any provider import"
    assembly = sys.modules["cdktf_cdktf_provider_helm._jsii"].__jsii_assembly__.name
    assert assembly == "@cdktf/provider-helm"
    for sub in _python_submodules("cdktf_cdktf_provider_helm"):
        fqn = f"{assembly}.{lazy_providers.jsii_submodule_name(sub)}"
        assert _reference_map._submodule_fqn_map.get(fqn) == f"cdktf_cdktf_provider_helm.{sub}", fqn
    assert lazy_providers.FELL_BACK == {}, f"provider loading fell back to eager: {lazy_providers.FELL_BACK}"


def test_publication_publish_leaves_a_module_in_sys_modules(scratch_package):
    """Each provider ``__init__`` ends with ``publication.publish()``, which swaps sys.modules[name] for a
    "public" module holding only ``__all__``. The hook gives *that* object a PEP 562 ``__getattr__`` that
    imports the deferred submodules; it must still be a module, and the one importers get."""
    name = scratch_package(
        "tonebridge_canary_pub",
        {
            "__init__.py": """
                import publication
                __all__ = ["visible"]
                visible = 1
                hidden = 2
                publication.publish()
            """
        },
    )
    executed = importlib.import_module(name)
    public = sys.modules[name]
    assert isinstance(public, ModuleType), (
        f"{_version('publication')}: publish() now leaves a {type(public).__name__} in sys.modules, not a module: "
        f"the hook's __getattr__ for provider submodules would not apply and it falls back to eager; {UPDATE}"
    )
    assert executed is public
    assert public.visible == 1
    assert not hasattr(public, "hidden"), (
        f"{_version('publication')}: publish() no longer replaces sys.modules[name] with a public module; the hook "
        f"still works on the package module itself, but read lazy_providers._LazyPackageLoader.exec_module again"
    )
    public.__getattr__ = lambda attr: f"lazy {attr}"
    assert public.anything == "lazy anything", "a module's __getattr__ (PEP 562) no longer serves missing attributes"


def _eager_export() -> re.Pattern[str]:
    """lazy_providers.js's EAGER_EXPORT, compiled by Python (the pattern is in the syntax both share)."""
    source = lazy_providers.NODE_PRELOAD.read_text()
    match = re.search(r"^const EAGER_EXPORT = /(.+)/gm;$", source, re.MULTILINE)
    assert match, f"{lazy_providers.NODE_PRELOAD} no longer defines EAGER_EXPORT as this test reads it"
    return re.compile(match.group(1), re.MULTILINE)


def _published_index(package: str) -> tuple[str, str]:
    """The ``lib/index.js`` the jsii kernel compiles: from the assembly tarball the package ships."""
    (tgz,) = (_package_dir(package) / "_jsii").glob("*.jsii.tgz")
    with tarfile.open(tgz) as tar:
        for member in tar:
            if member.name == "package/lib/index.js":
                return tgz.name, tar.extractfile(member).read().decode()
    raise AssertionError(f"{tgz.name} has no package/lib/index.js: the package layout changed; {UPDATE_JS}")


@pytest.mark.parametrize("package", sorted(lazy_providers.PROVIDER_PACKAGES))
def test_provider_index_requires_each_submodule_on_a_line_of_its_own(package):
    """lazy_providers.js rewrites each ``exports.x = require("./x");`` line of a provider's lib/index.js into a
    getter. Every Python submodule of the package must have such a line, or Node.js loads those eagerly."""
    tgz, index = _published_index(package)
    lines = {m.group(1) for m in _eager_export().finditer(index)}
    expected = {lazy_providers.jsii_submodule_name(sub) for sub in _python_submodules(package)}
    assert expected <= lines, (
        f'{tgz}: lib/index.js no longer has `exports.x = require("./x");` lines for {len(expected - lines)} of '
        f"{len(expected)} submodules (e.g. {sorted(expected - lines)[:3]}): the kernel's Node.js process loads "
        f"them eagerly again (+1.5-2 s per provider); {UPDATE_JS} (EAGER_EXPORT)"
    )


_COMPILE_CHECK = """
const Module = require("module");
const seen = { compile: typeof Module.prototype._compile, node: process.version, compiled: [] };
if (seen.compile === "function") {
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, ...rest) {
    seen.compiled.push([filename, content]);
    return compile.call(this, content.replace("ORIGINAL", "REWRITTEN"), filename, ...rest);
  };
  seen.exported = require(process.argv[1]).value;
}
console.log(JSON.stringify(seen));
"""


@pytest.mark.integration
def test_node_module_compile_hook_sees_and_rewrites_each_required_file(tmp_path):
    """lazy_providers.js wraps ``Module.prototype._compile`` (CommonJS's per-file compile step) to rewrite the
    provider index files as they load. Node.js must still route require() of a .js file through it with the
    source text, and compile what the wrapper returns."""
    target = tmp_path / "target.js"
    target.write_text('exports.value = "ORIGINAL";\n')
    node = os.environ.get("JSII_NODE") or "node"
    result = subprocess.run(
        [node, "-e", _COMPILE_CHECK, str(target)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    seen = json.loads(result.stdout)
    changed = f"Node.js {seen['node']}"
    assert seen["compile"] == "function", (
        f"{changed} has no Module.prototype._compile: lazy_providers.js cannot rewrite the provider index files "
        f"(the kernel fails to start or loads every provider module, +1.5-2 s each); {UPDATE_JS}"
    )
    assert [f for f, _ in seen["compiled"]] == [str(target)], (
        f"{changed} no longer compiles required files through Module.prototype._compile; {UPDATE_JS}"
    )
    assert seen["compiled"][0][1] == target.read_text(), f"{changed} passes _compile something else than the source"
    assert seen["exported"] == "REWRITTEN", f"{changed} ignores the source _compile is given; {UPDATE_JS}"

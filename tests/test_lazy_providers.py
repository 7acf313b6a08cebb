"""Provider submodules load on demand (tonebridge.lazy_providers), and nothing synthesized changes.

The equivalence tests run the synth command twice in fresh interpreters, once with the provider
packages imported as published (every submodule up front) and once lazily, and compare every
file of the two outputs byte for byte: nothing is excluded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_snapshots import STACKS
from tonebridge import lazy_providers
from tonebridge.config import load_selected
from tonebridge.paths import PROJECT_ROOT
from tools.cdktf_out import read_stacks

ENVIRONMENTS = sorted(env.name for env in load_selected(PROJECT_ROOT / "environments"))
JSII_TYPE = re.compile(rb'jsii_type="([^"]+)"')

#: Runs main.py as __main__ and then records which provider modules the run imported.
PROBE = """
import json, runpy, sys
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
finally:
    with open(sys.argv[2], "w") as out:
        json.dump(sorted(m for m in sys.modules if m.startswith("cdktf_cdktf_provider_")), out)
"""


def _first_jsii_type(path: Path) -> str:
    with path.open("rb") as source:
        text = b""
        while chunk := source.read(1 << 16):
            text += chunk
            if match := JSII_TYPE.search(text):
                return match.group(1).decode()
    raise AssertionError(f"no jsii type in {path}")


@pytest.mark.parametrize("package", sorted(lazy_providers.PROVIDER_PACKAGES))
def test_jsii_submodule_names_match_the_generated_code(package):
    """The FQN map handed to the jsii runtime names every submodule of every provider package right."""
    (location,) = importlib.util.find_spec(package).submodule_search_locations
    submodules = [d for d in Path(location).iterdir() if not d.name.startswith("_") and (d / "__init__.py").exists()]
    assert submodules
    wrong = {}
    for sub in submodules:
        _, jsii_sub, *_ = _first_jsii_type(sub / "__init__.py").split(".")
        if jsii_sub != lazy_providers.jsii_submodule_name(sub.name):
            wrong[sub.name] = jsii_sub
    assert not wrong


def test_provider_submodules_load_on_demand(synth_dir):
    """After the session's synthesis: only the submodules used were imported, and the others load
    on attribute access and when the jsii runtime meets one of their types."""
    import cdktf_cdktf_provider_aws as aws
    from jsii import _reference_map

    package = aws.__name__
    names = sorted(aws.__all__)
    if lazy_providers.eager_requested():
        assert not lazy_providers.loaded_lazily(aws)
        assert all(f"{package}.{name}" in sys.modules for name in names)
        return
    assert lazy_providers.loaded_lazily(aws)
    unloaded = [name for name in names if f"{package}.{name}" not in sys.modules]
    assert len(unloaded) > len(names) * 0.9, "most submodules should never have been imported"

    by_attribute, by_type = unloaded[0], unloaded[-1]
    assert getattr(aws, by_attribute).__name__ == f"{package}.{by_attribute}"

    fqn = f"@cdktf/provider-aws.{lazy_providers.jsii_submodule_name(by_type)}.AnyType"
    assert _reference_map._try_import_type_module(fqn)
    assert f"{package}.{by_type}" in sys.modules
    with pytest.raises(AttributeError):
        aws.no_such_submodule  # noqa: B018


def _synthesize(outdir: Path, **env: str) -> subprocess.Popen:
    """main.py in a fresh interpreter, writing to ``outdir`` and, beside it, the Python modules it imported
    and (node.json) the provider modules the kernel's Node.js process required (lazy_providers.js)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("TONEBRIDGE_ENVIRONMENTS", lazy_providers.EAGER_VAR)}
    environ.update(CDKTF_OUTDIR=str(outdir), TONEBRIDGE_NODE_MODULES_REPORT=str(outdir.parent / "node.json"), **env)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, str(PROJECT_ROOT / "main.py"), str(outdir.parent / "modules.json")],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen, outdir: Path) -> tuple[Path, list[str]]:
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, f"synthesis into {outdir} failed:\n{output}"
    return outdir, json.loads((outdir.parent / "modules.json").read_text())


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory) -> dict[str, tuple[Path, list[str]]]:
    """Every environment synthesized by main.py, lazily and eagerly, side by side in two processes."""
    root = tmp_path_factory.mktemp("equivalence")
    runs = {
        "lazy": _synthesize(root / "lazy" / "cdktf.out"),
        "eager": _synthesize(root / "eager" / "cdktf.out", **{lazy_providers.EAGER_VAR: "1"}),
    }
    return {mode: _finish(process, root / mode / "cdktf.out") for mode, process in runs.items()}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.equivalence
def test_the_two_runs_really_differ_in_what_they_import(both_ways):
    (_, lazy), (_, eager) = both_ways["lazy"], both_ways["eager"]
    assert set(lazy) < set(eager)
    for package in {m.split(".")[0] for m in eager}:
        spec = importlib.util.find_spec(package)
        submodules = {d.name for d in Path(*spec.submodule_search_locations).iterdir() if (d / "__init__.py").exists()}
        submodules -= {"_jsii"}
        assert {f"{package}.{s}" for s in submodules} <= set(eager), f"eager run did not import all of {package}"
        used = len([m for m in lazy if m.startswith(f"{package}.") and "._" not in m])
        # Large packages (aws, google, kubernetes): a small fraction; helm has three submodules in all.
        assert used < (len(submodules) / 10 if len(submodules) > 100 else len(submodules)), package


@pytest.mark.equivalence
def test_node_requires_only_the_provider_modules_used(both_ways):
    """In the lazy run the kernel's Node.js process compiled each provider's index with lazy exports and
    required a small fraction of their modules; the eager run did not preload lazy_providers.js at all."""
    lazy = json.loads((both_ways["lazy"][0].parent / "node.json").read_text())
    assert not (both_ways["eager"][0].parent / "node.json").exists()
    assert set(lazy) == {package.removeprefix("cdktf_cdktf_provider_") for package in lazy_providers.PROVIDER_PACKAGES}
    for provider, counts in lazy.items():
        assert counts["exports"] > 0, f"no eager export line of {provider}'s index was made lazy"
        assert 0 < counts["required"] < (counts["exports"] / 10 if counts["exports"] > 100 else counts["exports"] + 1)


_NODE_CHECK = """
const preload = require(process.argv[1]);
const root = process.argv[2];
const index = require(root + "/node_modules/@cdktf/provider-aws/lib/index.js");
const before = Object.keys(require.cache).filter(f => f.includes("/lib/vpc/")).length;
const vpc = index.vpc.Vpc;
const after = Object.keys(require.cache).filter(f => f.includes("/lib/vpc/")).length;
console.log(JSON.stringify({
  providers: preload.PROVIDERS, before, after, vpc, again: index.vpc.Vpc, keys: Object.keys(index),
  other: preload.INDEX.test(root + "/node_modules/@cdktf/provider-null/lib/index.js"),
  cached: preload.INDEX.test("/c/package-cache/@cdktf/provider-aws/20.1.0/0a1b/lib/index.js"),
}));
"""


@pytest.mark.integration
def test_node_preload_makes_provider_index_exports_lazy(tmp_path):
    """lazy_providers.js on a package shaped like the generated ones: the submodule loads on first access,
    stays loaded, and the export is still listed (in the published order); other packages are left alone."""
    package = tmp_path / "node_modules" / "@cdktf" / "provider-aws" / "lib"
    (package / "vpc").mkdir(parents=True)
    (package / "vpc" / "index.js").write_text('exports.Vpc = "the vpc class";\n')
    (package / "index.js").write_text(
        '"use strict";\nexports.vpc = exports.subnet = void 0;\n'
        'exports.subnet = require("./subnet");\nexports.vpc = require("./vpc");\n'
    )  # ./subnet does not exist: requiring it eagerly would fail
    node = os.environ.get("JSII_NODE") or "node"
    result = subprocess.run(
        [node, "-e", _NODE_CHECK, str(lazy_providers.NODE_PRELOAD), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(result.stdout)
    assert sorted(seen.pop("providers")) == sorted(
        p.removeprefix("cdktf_cdktf_provider_") for p in lazy_providers.PROVIDER_PACKAGES
    )
    assert seen == {
        "before": 0,
        "after": 1,
        "vpc": "the vpc class",
        "again": "the vpc class",
        "keys": ["subnet", "vpc"],
        "other": False,
        "cached": True,
    }


def test_install_puts_the_node_preload_in_node_options_once_and_eager_takes_it_out():
    environ = {"NODE_OPTIONS": "--max-old-space-size=100"}
    assert lazy_providers.install(environ)
    assert lazy_providers.install(environ)
    assert environ["NODE_OPTIONS"] == f"--max-old-space-size=100 {lazy_providers.NODE_OPTION}"
    environ[lazy_providers.EAGER_VAR] = "1"
    assert not lazy_providers.install(environ)
    assert environ["NODE_OPTIONS"] == "--max-old-space-size=100"
    assert lazy_providers.NODE_OPTION in os.environ["NODE_OPTIONS"] or lazy_providers.eager_requested()


@pytest.mark.equivalence
def test_whole_output_is_byte_identical(both_ways):
    lazy, eager = _files(both_ways["lazy"][0]), _files(both_ways["eager"][0])
    assert sorted(lazy) == sorted(eager)
    assert [name for name in lazy if lazy[name] != eager[name]] == []


@pytest.mark.equivalence
@pytest.mark.parametrize("name", STACKS)
def test_stack_is_byte_identical(both_ways, name):
    lazy = _files(both_ways["lazy"][0] / "stacks" / name)
    eager = _files(both_ways["eager"][0] / "stacks" / name)
    assert "cdk.tf.json" in lazy
    assert sorted(lazy) == sorted(eager)
    for file, content in lazy.items():
        assert content == eager[file], f"stacks/{name}/{file} differs with lazy provider imports"


@pytest.mark.equivalence
@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_an_environment_loads_only_the_providers_its_stacks_use(tmp_path, env_name):
    """Synthesizing one environment imports no provider package that none of its stacks requires
    (a stack module whose provider not every environment uses is imported only where it is needed)."""
    outdir, modules = _finish(
        _synthesize(tmp_path / "cdktf.out", TONEBRIDGE_ENVIRONMENTS=env_name), tmp_path / "cdktf.out"
    )
    required = {
        provider for stack in read_stacks(outdir).values() for provider in stack["terraform"]["required_providers"]
    }
    loaded = {m for m in modules if m in lazy_providers.PROVIDER_PACKAGES}
    assert loaded
    assert loaded <= {f"cdktf_cdktf_provider_{provider}" for provider in required}


# --- the hook on a package shaped like the generated ones: lazy when jsii has what it relies on, else eager, loudly


@pytest.fixture
def fake_provider(tmp_path, monkeypatch):
    """A provider-shaped package (``_jsii`` naming its assembly, ``publication.publish()``, then one
    ``from . import <submodule>`` per submodule) that the hook treats as a provider package."""
    name = "tonebridge_fake_provider"
    root = tmp_path / name
    for sub in ("alpha", "beta_gamma"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text(f"LOADED = {sub!r}\n")
    (root / "_jsii").mkdir()
    (root / "_jsii" / "__init__.py").write_text(
        "class _Assembly:\n    name = '@tonebridge/provider-fake'\n\n__jsii_assembly__ = _Assembly()\n"
    )
    (root / "__init__.py").write_text(
        "from ._jsii import *\nimport publication\n__all__ = ['alpha', 'beta_gamma']\npublication.publish()\n\n"
        "from . import alpha\nfrom . import beta_gamma\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(lazy_providers, "PROVIDER_PACKAGES", lazy_providers.PROVIDER_PACKAGES | {name})
    monkeypatch.setattr(lazy_providers, "FELL_BACK", {})
    monkeypatch.setattr(sys, "meta_path", [lazy_providers._FINDER, *sys.meta_path])
    importlib.invalidate_caches()
    yield name
    for module in [m for m in sys.modules if m.split(".")[0] == name]:
        del sys.modules[module]
    from jsii import _reference_map

    fqn_map = getattr(_reference_map, "_submodule_fqn_map", {})  # a test may have taken it away (restored later)
    for fqn in [k for k in fqn_map if k.startswith("@tonebridge/provider-fake.")]:
        del fqn_map[fqn]


def test_the_hook_defers_submodules_and_registers_them_with_jsii(fake_provider, capsys):
    from jsii import _reference_map

    package = importlib.import_module(fake_provider)
    assert lazy_providers.loaded_lazily(package)
    assert f"{fake_provider}.alpha" not in sys.modules
    assert _reference_map._submodule_fqn_map["@tonebridge/provider-fake.betaGamma"] == f"{fake_provider}.beta_gamma"
    assert package.alpha.LOADED == "alpha"
    assert lazy_providers.FELL_BACK == {}
    assert capsys.readouterr().err == ""


def test_a_jsii_without_the_submodule_map_makes_the_hook_import_eagerly_and_say_so_once(
    fake_provider, monkeypatch, capsys
):
    """The fallback is correct (every submodule imported, as published) but slow: it is never silent."""
    from jsii import _reference_map

    monkeypatch.delattr(_reference_map, "_submodule_fqn_map")
    importlib.import_module(fake_provider)
    assert {f"{fake_provider}.alpha", f"{fake_provider}.beta_gamma"} <= set(sys.modules)
    assert "_submodule_fqn_map is gone" in lazy_providers.FELL_BACK[fake_provider]
    err = capsys.readouterr().err
    assert "provider loading fell back to eager" in err
    assert "update tonebridge/lazy_providers.py" in err
    lazy_providers._fell_back("another_provider", lazy_providers.FELL_BACK[fake_provider])
    assert capsys.readouterr().err == ""  # once per reason, not once per package


def test_a_jsii_module_without_its_assembly_name_makes_the_hook_import_eagerly(fake_provider, tmp_path, capsys):
    (tmp_path / fake_provider / "_jsii" / "__init__.py").write_text("ASSEMBLY = None\n")
    importlib.invalidate_caches()
    importlib.import_module(fake_provider)
    assert f"{fake_provider}.beta_gamma" in sys.modules
    assert "__jsii_assembly__.name is gone" in lazy_providers.FELL_BACK[fake_provider]
    assert "fell back to eager" in capsys.readouterr().err

"""Shared fixtures: one synthesis of every environment per test session.

Provider bindings are imported once, by this process; tests read the synthesized JSON.
While pytest collects and runs the tests that need no synthesis, the jsii kernel already loads
the provider assemblies the project uses (tests/jsii_warmup.py).
"""

from __future__ import annotations

import functools
import gc
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.jsii_warmup import KernelWarmUp, imported_packages, may_use_bindings
from tonebridge import lazy_providers
from tonebridge.config import load_selected
from tonebridge.jsii_calls import Calls, counting
from tonebridge.lazy_providers import PROVIDER_PACKAGES
from tonebridge.paths import PROJECT_ROOT
from tools.cdktf_out import manifest_stacks, read_stack
from tools.terraform_cli import terraform_environment

os.environ.update({k: v for k, v in terraform_environment().items() if k in ("JSII_NODE", "TF_CLI_CONFIG_FILE")})


def require_tool(name: str) -> str:
    """Path of a command-line tool the test needs; a missing tool fails, it never skips."""
    path = shutil.which(name, path=terraform_environment()["PATH"])
    if not path:
        pytest.fail(f"{name} is required for this test but is not on PATH (run `make install`)")
    return path


_warm_up = KernelWarmUp(["constructs", "cdktf", *imported_packages(PROJECT_ROOT / "tonebridge", PROVIDER_PACKAGES)])


#: What marks a test file as one that loads the bindings (only decides whether to warm up).
_SYNTH_FIXTURES = frozenset({"synth_dir", "synth_calls", "manifest", "stacks"})
_BINDING_MODULES = ("cdktf", "constructs", "tonebridge.app", "tonebridge.stacks", "tonebridge.constructs")


def pytest_configure(config: pytest.Config) -> None:
    # As main.py does before it imports cdktf: the provider packages load lazily, in this process and in the
    # jsii kernel's Node.js process (NODE_OPTIONS), which the warm-up below or the first cdktf import starts.
    lazy_providers.install()
    gc.disable()  # until collection is done: imports leave little cyclic garbage, and full passes cost 0.1 s each
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]) for arg in config.args]
    if not config.option.collectonly and may_use_bindings(paths, _SYNTH_FIXTURES, _BINDING_MODULES):
        _warm_up.start()


# --- kinds of tests -------------------------------------------------------------------------------------------
# Unit and snapshot tests run in this process, on the session's one synthesis and on pure functions. A test
# that runs another program (python main.py, make, PostgreSQL, moto server, network-config-analyzer,
# terraform, checkov) or renders every chart of the synthesized stacks is an integration test and carries a
# marker saying so: `integration`, or the narrower `emulator`, `external`, `equivalence` (pyproject.toml).
# All of them run in `make test` and CI; the benchmark's unit-test figure (d) leaves them out (bench/synth.py).

#: Markers of tests allowed to start other programs.
SPAWNING_MARKERS = ("integration", "emulator", "external", "equivalence")

#: Fixtures that make every test using them an integration test: the fit check's clusters render every
#: chart of every platform stack with Helm (in-process, so the spawn guard below cannot see it) and run
#: network-config-analyzer.
INTEGRATION_FIXTURES = frozenset({"clusters"})


class UnmarkedSpawn(RuntimeError):
    """A test without an integration marker started another program."""


class _SpawnGuard:
    """Makes a test that starts a program fail unless it is marked as a kind allowed to (SPAWNING_MARKERS),
    so that a new integration test cannot slip into the unit-test figure unnoticed. The jsii kernel that
    the session synthesis (and its warm-up thread) starts is the one program a unit test may cause."""

    def __init__(self) -> None:
        self.item: pytest.Item | None = None  # the unmarked test being set up or run, if any
        self._popen_init = subprocess.Popen.__init__
        guard = self

        def __init__(popen, args, *rest, **kwargs):  # replaces Popen.__init__
            guard.check(args)
            guard._popen_init(popen, args, *rest, **kwargs)

        subprocess.Popen.__init__ = __init__  # type: ignore[method-assign]

    def check(self, args) -> None:
        item = self.item
        if item is None:
            return
        argv = [str(args)] if isinstance(args, str | bytes | os.PathLike) else [str(a) for a in args]
        if any(a.endswith("jsii-runtime.js") for a in argv):
            return
        raise UnmarkedSpawn(
            f"{item.nodeid} runs {' '.join(argv)[:200]!r}: a test that starts another program is an integration"
            " test; mark it `integration` (pytestmark / @pytest.mark.integration, pyproject.toml)"
        )

    def watching(self, item: pytest.Item):
        marked = any(item.get_closest_marker(name) for name in SPAWNING_MARKERS)
        self.item = None if marked else item


_spawns = _SpawnGuard()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    _spawns.watching(item)
    try:
        return (yield)
    finally:
        _spawns.item = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    _spawns.watching(item)
    try:
        return (yield)
    finally:
        _spawns.item = None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: the markers added here count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests using an integration fixture are marked `integration`. Then the tests of files that cannot load
    the bindings first, so that they run while the kernel loads them."""
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    uses = functools.cache(lambda path: may_use_bindings([path], _SYNTH_FIXTURES, _BINDING_MODULES))
    items.sort(key=lambda item: uses(item.path))  # stable: the order within each group is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.freeze()  # what the imports built lives as long as the session: out of the collector's sight
    gc.enable()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """One collection, so that pytest still reports what a test left unraisable; then every object
    is moved out of the collector's sight: pytest collects five times more as it unconfigures, and
    the interpreter again as it exits, each a walk of everything the session created (up to 1 s)."""
    gc.collect()
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    _warm_up.wait()  # never leave the thread talking to the kernel while the interpreter exits


@pytest.fixture(scope="session")
def environments():
    """Every environment file in environments/, validated."""
    return {env.name: env for env in load_selected(PROJECT_ROOT / "environments")}


_session_calls: list[Calls] = []


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """Synthesize all environments once, into a temporary cdktf.out, counting its jsii requests."""
    os.environ.pop("TONEBRIDGE_ENVIRONMENTS", None)
    from tonebridge.app import build_app  # provider bindings load here, once per session

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    gc.disable()  # the jsii runtime keeps every object it creates for good: nothing for the collector to find
    try:
        with counting() as calls:
            build_app(list(environments.values()), outdir=str(outdir)).synth()
    finally:
        gc.freeze()
        gc.enable()
    _session_calls.append(calls)
    return outdir


@pytest.fixture(scope="session")
def synth_calls(synth_dir) -> Calls:
    """The jsii kernel requests of the session's synthesis, by stack (tonebridge.jsii_calls)."""
    return _session_calls[0]


@pytest.fixture(scope="session")
def manifest(synth_dir) -> dict:
    return manifest_stacks(synth_dir)


@pytest.fixture(scope="session")
def stacks(synth_dir, manifest) -> dict[str, dict]:
    """Stack name -> parsed cdk.tf.json."""
    return {name: read_stack(synth_dir, name, manifest) for name in manifest}


def resources(stack: dict, kind: str) -> dict[str, dict]:
    """Resources of one Terraform type in a synthesized stack, by logical id."""
    return stack.get("resource", {}).get(kind, {})


def by_name_tag(stack: dict, kind: str) -> dict[str, dict]:
    """Resources of one type keyed by their Name tag."""
    return {r["tags"]["Name"]: r for r in resources(stack, kind).values() if "Name" in r.get("tags", {})}


def objects_by_name(stack: dict) -> dict[tuple[str, str], dict]:
    """Every Kubernetes object a platform stack applies, keyed by (kind, name)."""
    from tools.kube_objects import objects_of

    return {(o["kind"], o["metadata"]["name"]): o for o in objects_of(stack)}


def chart_release(stack: dict, chart: str) -> tuple[str, dict]:
    """The one helm_release of ``chart`` in a stack, with its logical id."""
    (found,) = [(k, r) for k, r in resources(stack, "helm_release").items() if r["chart"] == chart]
    return found

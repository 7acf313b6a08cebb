"""Shared fixtures: one synthesis of every environment per test session.

Provider bindings are imported once, by this process; tests read the synthesized JSON.
While pytest collects and runs the tests that need no synthesis, the jsii kernel already loads
the provider assemblies the project uses (see ``_KernelWarmUp``).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from tonebridge.config import load_selected
from tonebridge.lazy_providers import PROVIDER_PACKAGES
from tonebridge.ops.terraform_cli import terraform_environment
from tonebridge.paths import PROJECT_ROOT

os.environ.update({k: v for k, v in terraform_environment().items() if k in ("JSII_NODE", "TF_CLI_CONFIG_FILE")})


def require_tool(name: str) -> str:
    """Path of a command-line tool the test needs; a missing tool fails, it never skips."""
    path = shutil.which(name, path=terraform_environment()["PATH"])
    if not path:
        pytest.fail(f"{name} is required for this test but is not on PATH (run `make install`)")
    return path


class _KernelWarmUp:
    """Load the provider assemblies the project imports into the jsii kernel on a background thread.

    Most of importing a provider package is the kernel (Node.js) loading its assembly while Python
    waits: about 2 s for aws. The thread sends only those ``load`` requests and imports nothing, so
    Python's import machinery is never used from two threads at once. When the session's synthesis
    later imports the package, its own ``load`` finds the assembly loaded and returns at once.
    Each request and its response become one exchange no other thread can split (the kernel serves
    a request that arrives while it waits for a callback's result, so nothing else is needed).
    """

    ASSEMBLY = re.compile(r'JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",\s*[^,]+,\s*"([^"]+)"\s*\)')

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    @staticmethod
    def used_provider_packages() -> list[str]:
        """Provider packages imported anywhere in the project's code (not the tests)."""
        used = set()
        for path in (PROJECT_ROOT / "tonebridge").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    used.add(node.module.split(".")[0])
                elif isinstance(node, ast.Import):
                    used.update(alias.name.split(".")[0] for alias in node.names)
        return sorted(used & PROVIDER_PACKAGES)

    @classmethod
    def assembly(cls, package: str) -> tuple[str, str, str]:
        """(name, version, tarball) as the package's ``_jsii`` module would load it."""
        (location,) = importlib.util.find_spec(package).submodule_search_locations
        jsii_dir = Path(location) / "_jsii"
        name, version, tarball = cls.ASSEMBLY.search((jsii_dir / "__init__.py").read_text()).groups()
        return name, version, str(jsii_dir / tarball)

    def start(self) -> None:
        from jsii._kernel.providers import process
        from jsii._runtime import kernel

        send = process._NodeProcess.send
        lock = threading.Lock()

        @functools.wraps(send)
        def one_exchange_at_a_time(self, *args, **kwargs):
            with lock:
                return send(self, *args, **kwargs)

        process._NodeProcess.send = one_exchange_at_a_time
        import cdktf  # noqa: F401 - starts the kernel and loads what the providers depend on, on this thread

        assemblies = [self.assembly(package) for package in self.used_provider_packages()]

        def load() -> None:
            with contextlib.suppress(Exception):  # the import that needs it fails the same way, in its test
                for assembly in assemblies:
                    kernel.load(*assembly)

        self.thread = threading.Thread(target=load, name="jsii-warm-up", daemon=True)
        self.thread.start()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()  # never leave the thread talking to the kernel while the interpreter exits


_warm_up = _KernelWarmUp()


def pytest_configure(config: pytest.Config) -> None:
    if not config.option.collectonly:
        _warm_up.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _warm_up.join()


@pytest.fixture(scope="session")
def environments():
    """Every environment file in environments/, validated."""
    return {env.name: env for env in load_selected(PROJECT_ROOT / "environments")}


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """Synthesize all environments once, into a temporary cdktf.out."""
    os.environ.pop("TONEBRIDGE_ENVIRONMENTS", None)
    from tonebridge.app import build_app  # provider bindings load here, once per session

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    build_app(list(environments.values()), outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def manifest(synth_dir) -> dict:
    return json.loads((synth_dir / "manifest.json").read_text())["stacks"]


@pytest.fixture(scope="session")
def stacks(synth_dir, manifest) -> dict[str, dict]:
    """Stack name -> parsed cdk.tf.json."""
    return {name: json.loads((synth_dir / m["synthesizedStackPath"]).read_text()) for name, m in manifest.items()}


def resources(stack: dict, kind: str) -> dict[str, dict]:
    """Resources of one Terraform type in a synthesized stack, by logical id."""
    return stack.get("resource", {}).get(kind, {})


def by_name_tag(stack: dict, kind: str) -> dict[str, dict]:
    """Resources of one type keyed by their Name tag."""
    return {r["tags"]["Name"]: r for r in resources(stack, kind).values() if "Name" in r.get("tags", {})}

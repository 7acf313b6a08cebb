"""Load the project's provider assemblies into the jsii kernel while pytest does other work.

Most of importing a provider package is the jsii kernel (Node.js) loading the package's assembly
while Python waits: about 2 s for aws. ``KernelWarmUp`` sends those ``load`` requests from a
background thread as the session starts, while the main thread collects and runs the tests that
need no synthesis. The thread imports no Python module, so Python's import machinery is never used
from two threads at once (concurrent imports of a package and its submodules can fail).

While the thread runs it is the only one that talks to the kernel: any request from another thread
first waits for it to finish. A ``load`` of one of its assemblies from another thread (what
importing the package does) is not sent again, so the main thread can import the packages' Python
modules while the kernel is still loading them; it waits at its first real request instead.
If a warm-up load failed, that first request repeats it, and the error surfaces there.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import threading
import warnings
from pathlib import Path

from tests.source_trees import nodes

_ASSEMBLY = re.compile(r'JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",\s*[^,]+,\s*"([^"]+)",?\s*\)')


def imported_packages(source_dir: Path, candidates: frozenset[str]) -> list[str]:
    """Those of ``candidates`` that some module under ``source_dir`` imports."""
    used = set()
    for path in source_dir.rglob("*.py"):
        for node in nodes(path):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                used.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                used.update(alias.name.split(".")[0] for alias in node.names)
    return sorted(used & candidates)


def may_use_bindings(test_paths: list[Path], fixtures: frozenset[str], modules: tuple[str, ...]) -> bool:
    """Whether a test file under these paths imports one of ``modules`` (prefixes) or takes one of
    ``fixtures``: a cheap look, so that a run of a few unrelated tests does not wait for a warm-up it
    never uses. Only speed depends on the answer."""
    for path in test_paths:
        for file in sorted(path.rglob("test_*.py")) if path.is_dir() else [path]:
            if not file.is_file():
                continue
            for node in ast.walk(ast.parse(file.read_text(), str(file))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(modules):
                    return True
                if isinstance(node, ast.Import) and any(a.name.startswith(modules) for a in node.names):
                    return True
                if isinstance(node, ast.FunctionDef) and fixtures & {a.arg for a in node.args.args}:
                    return True
    return False


def assembly_of(package: str) -> tuple[str, str, str]:
    """(name, version, tarball) exactly as the package's generated ``_jsii`` module loads it."""
    (location,) = importlib.util.find_spec(package).submodule_search_locations
    jsii_dir = Path(location) / "_jsii"
    found = _ASSEMBLY.search((jsii_dir / "__init__.py").read_text())
    if found is None:
        raise ValueError(f"no JSIIAssembly.load(...) in {jsii_dir / '__init__.py'}")
    name, version, tarball = found.groups()
    return name, version, str(jsii_dir / tarball)


class KernelWarmUp:
    """Loads the assemblies of ``packages`` (dependencies first) into the kernel on a thread."""

    def __init__(self, packages: list[str]) -> None:
        self.packages = packages
        self.thread: threading.Thread | None = None
        self.failed: list[tuple[str, str, str]] = []
        self.to_retry: list[tuple[str, str, str]] = []

    def start(self) -> None:
        try:  # jsii internals: without them the session is only slower, so warn and go on
            from jsii._kernel.providers import process
            from jsii._runtime import kernel

            assemblies = [assembly_of(package) for package in self.packages]
            load, send = kernel.load, process._NodeProcess.send
            kernel.provider._process  # noqa: B018 - starts the kernel process on this thread, the only one ever
        except (ImportError, AttributeError, ValueError) as exc:
            warnings.warn(f"jsii warm-up off: {exc!r}", stacklevel=1)
            return
        pending = {(name, version) for name, version, _ in assemblies}

        @functools.wraps(load)
        def load_unless_warming(name, version, tarball):
            if self._other_thread() and (name, version) in pending and not self._failed(name, version):
                return None  # the warm-up thread loads it; this thread's next request waits for that
            return load(name, version, tarball)

        @functools.wraps(send)
        def send_after_warm_up(process_, *args, **kwargs):
            if self._other_thread():
                self.wait(load)
            return send(process_, *args, **kwargs)

        def warm_up() -> None:
            for assembly in assemblies:
                try:
                    load(*assembly)
                except Exception:  # repeated, and reported, by the first request that needs it
                    self.failed.append(assembly)
                    self.to_retry.append(assembly)

        kernel.load = load_unless_warming
        process._NodeProcess.send = send_after_warm_up
        self.thread = threading.Thread(target=warm_up, name="jsii-warm-up", daemon=True)
        self.thread.start()

    def _other_thread(self) -> bool:
        return self.thread is not None and threading.current_thread() is not self.thread

    def _failed(self, name: str, version: str) -> bool:
        return any(f[:2] == (name, version) for f in self.failed)

    def wait(self, load=None) -> None:
        """Until the warm-up is over; then load again, here, whatever it failed to load."""
        if self.thread is None:
            return
        self.thread.join()
        while self.to_retry and load is not None:
            load(*self.to_retry.pop(0))  # raises the kernel's error where the assembly is needed

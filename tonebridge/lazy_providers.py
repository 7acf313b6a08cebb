"""Import the prebuilt provider bindings without their eager submodule imports.

Each prebuilt provider package (``cdktf_cdktf_provider_aws`` and friends) ends its ``__init__``
with one ``from . import <submodule>`` per Terraform resource and data source: 2,135 of them for
aws alone, about 10 s of Python on every run. Submodules never import each other (each needs only
the package's ``_jsii`` module, which loads the assembly into the jsii kernel), so this module
runs the package ``__init__`` without those lines and lets each submodule load on first use:

- ``from cdktf_cdktf_provider_aws.vpc import Vpc`` imports ``vpc`` as it always did;
- ``cdktf_cdktf_provider_aws.vpc`` (attribute access) and ``from cdktf_cdktf_provider_aws import
  vpc`` import it on demand;
- when the jsii kernel hands Python an object whose type lives in a submodule not yet imported,
  the jsii runtime imports that submodule first (through the FQN map registered here), so
  objects resolve to the same classes as with the eager imports.

The jsii kernel's Node.js process has the same problem one level down: requiring a provider
package's ``lib/index.js`` requires every submodule (1.4-2.1 s each for aws, kubernetes and
google). :func:`install` also puts ``lazy_providers.js`` into ``NODE_OPTIONS`` (``--require``) for
the kernel that starts later, which compiles those index files with lazy exports.

What the kernel synthesizes does not depend on which Python or JavaScript modules were loaded; a
test synthesizes every stack with and without this and compares the files byte for byte.
``TONEBRIDGE_EAGER_PROVIDERS=1`` turns both off.

:func:`install` is called by the programs that synthesize, before they import cdktf: ``main.py``
(:func:`tonebridge.cli.main`), the test session (``tests/conftest.py``), ``tools/synth_budget.py``
and the benchmark. Importing ``tonebridge`` or its configuration changes nothing global.

It relies on jsii, ``publication`` and Node.js internals (``jsii._reference_map._submodule_fqn_map``,
``<pkg>._jsii.__jsii_assembly__.name``, the module ``publication.publish()`` leaves in
``sys.modules``, ``Module.prototype._compile`` and the ``exports.x = require("./x");`` index lines);
tests/test_jsii_internals.py checks each one. Should one change, provider loading falls back to
eager imports, which is correct but slow, and says so once on stderr (:data:`FELL_BACK`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import json
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from types import ModuleType

#: The prebuilt provider packages whose ``__init__`` imports every submodule eagerly.
PROVIDER_PACKAGES = frozenset(
    {
        "cdktf_cdktf_provider_aws",
        "cdktf_cdktf_provider_google",
        "cdktf_cdktf_provider_kubernetes",
        "cdktf_cdktf_provider_helm",
    }
)
#: Set to 1 (or true/yes) to import the providers as published, every submodule up front.
EAGER_VAR = "TONEBRIDGE_EAGER_PROVIDERS"
#: Preloaded into the jsii kernel's Node.js process: provider index files compiled with lazy exports.
NODE_PRELOAD = Path(__file__).with_name("lazy_providers.js")
#: The NODE_OPTIONS entry that preloads it (quoted as Node.js parses NODE_OPTIONS).
NODE_OPTION = f"--require {json.dumps(str(NODE_PRELOAD))}"


def eager_requested(environ=os.environ) -> bool:
    return environ.get(EAGER_VAR, "").strip().lower() in ("1", "true", "yes")


def _is_submodule_import(node: ast.stmt) -> bool:
    """``from . import x`` at the top level of a package ``__init__``."""
    return isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None


def jsii_submodule_name(python_name: str) -> str:
    """The jsii name of a submodule from its Python name (``data_aws_vpc`` -> ``dataAwsVpc``)."""
    first, *rest = python_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


class _LazyPackageLoader(importlib.abc.Loader):
    """Runs a provider package's ``__init__`` minus its ``from . import <submodule>`` lines."""

    def __init__(self, wrapped: importlib.machinery.SourceFileLoader):
        self.wrapped = wrapped

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        path = self.wrapped.get_filename(name)
        tree = ast.parse(self.wrapped.get_source(name), path)
        deferred = [node for node in tree.body if _is_submodule_import(node)]
        tree.body = [node for node in tree.body if not _is_submodule_import(node)]
        exec(compile(tree, path, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - the package's own code
        submodules = frozenset(alias.name for node in deferred for alias in node.names)
        # publication.publish() in the __init__ has replaced sys.modules[name] with a "public" module
        # holding only __all__; give that module lazy attribute access to the deferred submodules.
        public = sys.modules[name]
        if not isinstance(public, ModuleType):  # a module's __getattr__ (PEP 562) is what makes this work
            problem = f"sys.modules[{name!r}] after publication.publish() is a {type(public).__name__}, not a module"
        else:
            public.__getattr__ = _submodule_getattr(name, submodules)
            problem = _register_submodules(name, submodules)
        if problem:
            _fell_back(name, problem)
            for submodule in sorted(submodules):  # a jsii runtime that cannot import on demand: as published
                importlib.import_module(f"{name}.{submodule}")

    # importlib.resources (jsii loads the .tgz through it) asks the package's loader for files.
    def get_resource_reader(self, fullname):
        return self.wrapped.get_resource_reader(fullname)

    def get_filename(self, fullname):
        return self.wrapped.get_filename(fullname)

    def get_source(self, fullname):
        return self.wrapped.get_source(fullname)

    def is_package(self, fullname):
        return True


def _submodule_getattr(package: str, submodules: frozenset[str]):
    def __getattr__(attr: str):
        if attr in submodules:
            return importlib.import_module(f"{package}.{attr}")
        raise AttributeError(f"module {package!r} has no attribute {attr!r}")

    return __getattr__


def _register_submodules(package: str, submodules: frozenset[str]) -> str | None:
    """Tell the jsii runtime which Python module holds each jsii submodule, so that an object of a
    type from a submodule not yet imported makes the runtime import that submodule first (as the
    jsii runtime in Pipfile.lock does). None when done; else what this jsii runtime lacks."""
    from jsii import _reference_map

    fqn_map = getattr(_reference_map, "_submodule_fqn_map", None)
    if not isinstance(fqn_map, MutableMapping):
        return "jsii._reference_map._submodule_fqn_map is gone (the map of jsii submodules to Python modules)"
    assembly = getattr(sys.modules.get(f"{package}._jsii"), "__jsii_assembly__", None)
    if not isinstance(getattr(assembly, "name", None), str):
        return f"{package}._jsii.__jsii_assembly__.name is gone (the assembly name the FQN map is keyed by)"
    fqn_map.update({f"{assembly.name}.{jsii_submodule_name(sub)}": f"{package}.{sub}" for sub in submodules})
    return None


#: Provider package -> why it was imported as published after all: a jsii/publication internal this module
#: relies on changed (tests/test_jsii_internals.py checks each one). Said once per reason on stderr.
FELL_BACK: dict[str, str] = {}


def _fell_back(package: str, problem: str) -> None:
    if problem not in FELL_BACK.values():
        print(
            f"tonebridge.lazy_providers: {problem} in jsii {_jsii_version()}: provider loading fell back to eager "
            f"imports ({package} and any like it: +~10 s per synthesis for aws); update tonebridge/lazy_providers.py",
            file=sys.stderr,
        )
    FELL_BACK[package] = problem


def _jsii_version() -> str:
    try:
        return importlib.metadata.version("jsii")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


class _LazyProviderFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in PROVIDER_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec  # not a plain source package: import it as published
        spec.loader = _LazyPackageLoader(spec.loader)
        return spec


_FINDER = _LazyProviderFinder()


def loaded_lazily(package: ModuleType) -> bool:
    """Whether this provider package was imported without its eager submodule imports."""
    return isinstance(getattr(package.__spec__, "loader", None), _LazyPackageLoader)


def without_node_preload(environ) -> None:
    """Take the Node.js preload out of ``environ``'s NODE_OPTIONS (for a process that must load the
    providers as published, such as the benchmark's floor, or an eager run started by a lazy one)."""
    options = environ.get("NODE_OPTIONS", "").replace(NODE_OPTION, "").strip()
    if options:
        environ["NODE_OPTIONS"] = options
    else:
        environ.pop("NODE_OPTIONS", None)


def with_node_preload(environ) -> None:
    """Add the Node.js preload to ``environ``'s NODE_OPTIONS (idempotent)."""
    options = environ.get("NODE_OPTIONS", "")
    if NODE_OPTION not in options:
        environ["NODE_OPTIONS"] = f"{options} {NODE_OPTION}".strip()


def install(environ=os.environ) -> bool:
    """Put the lazy finder in front of the import system and the Node.js preload into NODE_OPTIONS
    (idempotent); False if eager was asked for (then the preload is taken out, should a lazy parent
    process have left it there).

    Must run before the first provider import and before the jsii kernel starts (the first import of
    cdktf or constructs); a provider package already imported stays as it is.
    """
    if eager_requested(environ):
        without_node_preload(environ)
        return False
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    with_node_preload(environ)
    return True

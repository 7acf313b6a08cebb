"""The project's Python sources parsed once per test session.

Several tests read the whole source tree as syntax (the layer graph, the tooling boundary, the construct
checks, the shared types, the Vault roles, the jsii warm-up's import scan); each parsed and walked every file
again. The trees are only read, so one parse per file serves them all.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path


def parsed(path: Path) -> ast.Module:
    """The syntax tree of ``path`` (read-only: the tree is shared between tests). A file rewritten since (a
    test's own temporary sources) is parsed again."""
    return _parsed(path, *_version(path))


def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of ``path``'s tree in :func:`ast.walk` order."""
    return _nodes(path, *_version(path))


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.cache
def _parsed(path: Path, _mtime: int, _size: int) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


@functools.cache
def _nodes(path: Path, mtime: int, size: int) -> tuple[ast.AST, ...]:
    return tuple(ast.walk(_parsed(path, mtime, size)))

"""``make docs``: the architecture picture (docs/architecture.svg), drawn from production's synthesized stacks.

    python -m tools.docs.architecture [--check]

Every label is read from the synthesized Terraform JSON (tools/docs/architecture_graph.py), never from
configuration: what the picture shows is what Terraform would create. The picture is Graphviz DOT rendered
by ``dot`` (Debian's ``graphviz``, installed by scripts/install.sh) through the ``graphviz`` package; the
sha256 of the DOT text goes into the SVG as a comment, so that tests/test_docs_architecture.py can tell a
stale picture from the session's synthesis without running ``dot``. Same stacks, same bytes.

``--check`` writes nothing and exits 1 when the SVG differs from what would be rendered now.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from pathlib import Path

import graphviz

from tonebridge.paths import PROJECT_ROOT
from tools.docs.architecture_graph import dot_source

SVG_PATH = PROJECT_ROOT / "docs" / "architecture.svg"
#: The environment drawn: the one with every part (two AWS regions, DR, global edge).
ENVIRONMENT = "production"
_DIGEST = re.compile(rb"<!-- dot source sha256 ([0-9a-f]{64}) -->")


def digest(dot: str) -> str:
    return hashlib.sha256(dot.encode()).hexdigest()


def recorded_digest(svg: bytes) -> str | None:
    """The sha256 of the DOT text an SVG written by :func:`render` was rendered from."""
    found = _DIGEST.search(svg)
    return found.group(1).decode() if found else None


def render(dot: str) -> bytes:
    """The SVG of ``dot`` with its digest as a graph comment (``dot`` writes it into the SVG as an XML comment)."""
    head, brace, body = dot.partition("{\n")
    stamped = f'{head}{brace}\tcomment="dot source sha256 {digest(dot)}"\n{body}'
    try:
        return graphviz.pipe("dot", "svg", stamped.encode())
    except graphviz.ExecutableNotFound as exc:
        raise SystemExit(
            "make docs: Graphviz's `dot` is not on PATH; install it (Debian: apt-get install graphviz, "
            "or `make install`)"
        ) from exc


def synthesize(environment: str = ENVIRONMENT) -> dict[str, dict]:
    """The environment's stacks, synthesized in this process into a scratch folder (cdktf.out is not touched)."""
    import os

    from tonebridge import lazy_providers
    from tonebridge.config import load_selected
    from tonebridge.paths import prefer_project_node
    from tools.cdktf_out import read_stacks

    (env,) = [e for e in load_selected(PROJECT_ROOT / "environments") if e.name == environment]
    prefer_project_node(os.environ)
    lazy_providers.install()
    from tonebridge.app import build_app

    with tempfile.TemporaryDirectory(prefix="architecture-") as scratch:
        outdir = Path(scratch) / "cdktf.out"
        build_app([env], outdir=str(outdir)).synth()
        return read_stacks(outdir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs.architecture", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the SVG is stale")
    args = parser.parse_args(argv)
    svg = render(dot_source(synthesize()))
    current = SVG_PATH.read_bytes() if SVG_PATH.exists() else b""
    if args.check:
        if svg != current:
            print(f"{SVG_PATH.relative_to(PROJECT_ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if svg != current:
        SVG_PATH.write_bytes(svg)
        print(f"wrote {SVG_PATH.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

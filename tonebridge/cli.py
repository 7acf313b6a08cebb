"""Entry point of ``main.py``: validate configuration first, then synthesize.

A configuration problem exits with status 2 and one line per problem, before cdktf or any
provider is imported and before anything under the output directory is touched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tonebridge.config import ConfigError, load_selected

EXIT_CONFIG = 2
PROJECT_NODE = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "node"


def _prefer_project_node() -> None:
    """Run jsii on the Node 22 that package-lock.json installs (the machine's Node may be end of life)."""
    if "JSII_NODE" not in os.environ and PROJECT_NODE.exists():
        os.environ["JSII_NODE"] = str(PROJECT_NODE)


def main() -> int:
    try:
        envs = load_selected()
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        print(f"configuration rejected ({len(exc.lines)} problem(s)); nothing was synthesized", file=sys.stderr)
        return EXIT_CONFIG

    _prefer_project_node()
    from tonebridge.app import build_app  # heavy: loads cdktf and the provider bindings

    build_app(envs).synth()
    return 0

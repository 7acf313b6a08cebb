"""Entry point of ``main.py``: validate configuration first, then synthesize.

A configuration problem exits with status 2 and one line per problem, before cdktf or any
provider is imported and before anything under the output directory is touched.
"""

from __future__ import annotations

import os
import sys

from tonebridge.config import ConfigError, load_selected
from tonebridge.paths import prefer_project_node

EXIT_CONFIG = 2


def report(exc: ConfigError) -> int:
    """Print a rejected configuration, one line per problem, and return the exit status."""
    for line in exc.lines:
        print(line, file=sys.stderr)
    print(f"configuration rejected ({len(exc.lines)} problem(s)); nothing was synthesized", file=sys.stderr)
    return EXIT_CONFIG


def main() -> int:
    try:
        envs = load_selected()
    except ConfigError as exc:
        return report(exc)

    prefer_project_node(os.environ)
    from tonebridge.app import build_app  # heavy: loads cdktf and the provider bindings

    build_app(envs).synth()
    return 0

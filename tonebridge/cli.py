"""Entry point of ``main.py``: validate configuration first, then synthesize.

A configuration problem exits with status 2 and one line per problem, before cdktf or any
provider is imported and before anything under the output directory is touched. Anything else
that goes wrong is a bug of the project, not of the configuration: it exits 3 with one line that
says so and names the log file holding the traceback.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

from tonebridge import lazy_providers
from tonebridge.config import ConfigError, load_selected
from tonebridge.config.errors import shorten
from tonebridge.paths import PROJECT_ROOT, prefer_project_node

EXIT_CONFIG = 2
EXIT_BUG = 3
#: Where the traceback of an internal error goes (git-ignored).
ERROR_LOG_DIR = PROJECT_ROOT / ".cache" / "errors"


def report(exc: ConfigError) -> int:
    """Print a rejected configuration, one line per problem, and return the exit status."""
    for line in exc.lines:
        print(line, file=sys.stderr)
    print(f"configuration rejected ({len(exc.lines)} problem(s)); nothing was synthesized", file=sys.stderr)
    return EXIT_CONFIG


def report_bug(exc: BaseException) -> int:
    """One line for an unexpected error; its traceback goes to a log file under .cache/errors/."""
    where = "the traceback could not be written"
    try:
        ERROR_LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = ERROR_LOG_DIR / f"main-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
        log.write_text("".join(traceback.format_exception(exc)))
        where = f"traceback in {_shown(log)}"
    except OSError:
        pass
    message = shorten(f"{type(exc).__name__}: {exc}", 120)
    print(f"internal error (a bug in tonebridge, not in the configuration): {message}; {where}", file=sys.stderr)
    return EXIT_BUG


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> int:
    try:
        envs = load_selected()
    except ConfigError as exc:
        return report(exc)
    except Exception as exc:  # anything but a ConfigError is a bug: one line, traceback logged
        return report_bug(exc)

    try:
        outdir = os.environ.get("CDKTF_OUTDIR")
        if outdir:  # cdktf creates the output folder but not its parents
            Path(outdir).parent.mkdir(parents=True, exist_ok=True)
        prefer_project_node(os.environ)
        lazy_providers.install()  # before cdktf and the providers are imported and the jsii kernel starts
        from tonebridge.app import build_app  # heavy: loads cdktf and the provider bindings

        build_app(envs).synth()
    except Exception as exc:  # configuration passed, so this is a bug of the project
        return report_bug(exc)
    return 0

"""``make fit``: the cluster-fit check over a synthesized ``cdktf.out``.

    python -m tools.fit [cdktf.out]

Charts are rendered from the Helm chart repository folder named by ``TONEBRIDGE_CHART_REPOSITORY``
(an offline copy of the upstream repositories: ``index.yaml`` and the archives). Prints one line
per problem (``<env>/<region>: <namespace>/<object>: <rule>: <why>``), then each cluster's node
pool capacity; exits 1 when there is a problem, 2 when it cannot run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tonebridge.config import load_selected
from tonebridge.config.errors import ConfigError
from tools.fit.check import fit_problems
from tools.fit.scheduling import capacity_table, format_table
from tools.fit.view import build_clusters

REPOSITORY_VARIABLE = "TONEBRIDGE_CHART_REPOSITORY"


def chart_repository() -> Path:
    """The chart repository folder; a missing or unusable setting is an error, never a silent skip."""
    value = os.environ.get(REPOSITORY_VARIABLE)
    if not value:
        raise RuntimeError(
            f"{REPOSITORY_VARIABLE} is not set: point it at a Helm chart repository folder "
            "(index.yaml and the chart archives the platform pins)"
        )
    path = Path(value)
    if not (path / "index.yaml").is_file():
        raise RuntimeError(f"{REPOSITORY_VARIABLE}={value}: no index.yaml there")
    return path


def main(argv: list[str]) -> int:
    outdir = Path(argv[0]) if argv else Path("cdktf.out")
    try:
        repository = chart_repository()
        envs = load_selected()
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"fit: {error}", file=sys.stderr)
        return 2
    if not (outdir / "manifest.json").is_file():
        print(f"fit: {outdir}/manifest.json not found: synthesize first (make synth)", file=sys.stderr)
        return 2
    total = 0
    for cluster in build_clusters(outdir, envs, repository):
        view = cluster.view
        problems = fit_problems(cluster)
        total += len(problems)
        print(f"== {view.env}/{view.region}: {len(problems)} problems")
        for problem in problems:
            print(problem.line())
        print(format_table(capacity_table(view)))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

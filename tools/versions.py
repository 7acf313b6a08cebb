"""``make versions``: the version table with each component's upstream support status on a given day.

    python -m tools.versions [--date YYYY-MM-DD]

Reads tonebridge/versions.yaml (no synthesis). One row per component: its version, charts, end of life and
status (``supported``, ``ends in N days``, ``END OF LIFE since …``); then the EKS add-on versions per
Kubernetes minor; then every image with its digest state (``by digest`` with where upstream published it, or
``tag only``). Exits 1 when a component is past its end of life on that day (the date defaults to today),
so CI can run it as a reminder; tests pass a fixed date, so no test fails because the calendar moved on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from tonebridge import versions


def rows(table: versions.VersionTable, today: dt.date) -> list[list[str]]:
    out = []
    for c in table.components:
        charts = ", ".join(f"{p.chart} {p.version} (crds: {p.crds})" for p in c.charts) or "-"
        end = c.support.end_of_life.isoformat() + (" (est.)" if c.support.estimated else "")
        out.append([c.name, c.version, charts, end, versions.support_status(c, today)])
    return out


def render(table: versions.VersionTable, today: dt.date) -> str:
    header = ["component", "version", "charts", "end of life", f"status on {today.isoformat()}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(table, today)]
    lines.append("")
    lines.append(f"EKS add-ons (table checked {table.checked.isoformat()}):")
    for minor, pins in sorted(table.eks_addons.items()):
        lines.append(f"  Kubernetes {minor}: " + ", ".join(f"{name} {version}" for name, version in pins.items()))
    lines.append("")
    lines += image_lines(table)
    lines.append("")
    lines.append("Sources: tonebridge/versions.yaml")
    return "\n".join(lines)


def image_lines(table: versions.VersionTable) -> list[str]:
    """Each image with its digest state: ``by digest`` (and where upstream published it) or ``tag only``."""
    pins = table.images()
    by_digest = sum(1 for _, pin in pins if pin.digest)
    out = [
        f"Images ({by_digest} of {len(pins)} by digest: only where the pinned chart publishes one; the others by tag",
        "until a digest can be verified. The services' own images run in production by digest: the release job",
        "writes repository@sha256:…, and production's application namespace admits nothing else):",
    ]
    for component, pin in pins:
        state = f"by digest {pin.digest} ({pin.digest_source})" if pin.digest else "tag only (no published digest)"
        out.append(f"  {component}: {pin.repository}:{pin.tag}: {state}")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make versions", description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today(), help="status as of this day")
    args = parser.parse_args(argv)
    try:
        table = versions.table()
    except (OSError, versions.VersionTableError) as error:
        print(f"{versions.TABLE_PATH.name}: {error}", file=sys.stderr)
        return 2
    print(render(table, args.date))
    ended = [c.name for c in table.components if versions.is_end_of_life(c, args.date)]
    if ended:
        print(f"\npast end of life on {args.date.isoformat()}: {', '.join(ended)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What a cdktf synthesis wrote into its output folder: the manifest's stacks and each stack's Terraform JSON.

One reader for the tools that work from a synthesized ``cdktf.out`` (deploy order, cluster-fit check,
Kubernetes schema validation, architecture picture) and for the tests' session synthesis.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def manifest_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> its manifest entry (``synthesizedStackPath``, ``dependencies``, ...)."""
    return json.loads((outdir / "manifest.json").read_text())["stacks"]


def read_stack(outdir: Path, name: str, entries: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One stack's parsed ``cdk.tf.json``; ``entries`` saves re-reading the manifest."""
    entry = (entries if entries is not None else manifest_stacks(outdir))[name]
    return json.loads((outdir / entry["synthesizedStackPath"]).read_text())


def read_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> parsed ``cdk.tf.json`` of every stack the manifest names, in name order."""
    entries = manifest_stacks(outdir)
    return {name: read_stack(outdir, name, entries) for name in sorted(entries)}

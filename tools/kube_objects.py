"""The Kubernetes objects a synthesized platform stack sends to its cluster, and their validation.

Objects come from two places in ``cdk.tf.json``: ``kubernetes_manifest`` resources (core objects)
and the values of the releases of charts/tonebridge-resources (custom resources). Core objects
are checked with kubernetes-validate's offline OpenAPI schemas in strict mode (unknown fields are
errors) for the cluster's Kubernetes version; a core kind without a schema is an error, not a skip.

    python -m tools.kube_objects cdktf.out [version]
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kubernetes_validate
from kubernetes_validate import utils as _kv_utils
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

from tonebridge.kubeapi import is_core
from tools.cdktf_out import read_stacks

# kubernetes-validate opens and parses the kind's schema and the shared _definitions.json (several MB)
# again for every object it validates: 1.8 s for the platform stacks' ~300 objects, 0.2 s with each file
# parsed once. The files never change within a process and jsonschema only reads them.
if not hasattr(_kv_utils.schema_contents, "cache_info"):
    _kv_utils.schema_contents = functools.lru_cache(maxsize=None)(_kv_utils.schema_contents)


def objects_of(stack: dict) -> list[dict[str, Any]]:
    """Every object the stack applies, in the order of its resources."""
    resources = stack.get("resource", {})
    objects = [r["manifest"] for r in resources.get("kubernetes_manifest", {}).values()]
    for release in resources.get("helm_release", {}).values():
        if release.get("repository") is None and str(release.get("chart", "")).startswith("assets/"):
            for document in release.get("values", []):
                objects.extend(json.loads(document).get("resources", []))
    return objects


def describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')} ({obj.get('apiVersion')})"


def validation_problems(objects: Iterable[dict[str, Any]], version: str) -> list[str]:
    """Why each core object would be rejected by a Kubernetes ``version`` API server (strict)."""
    problems = []
    for obj in objects:
        if not is_core(obj):
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            problems.append(f"{describe(obj)}: {path}: {error.message}")
        except SchemaNotFoundError:
            problems.append(f"{describe(obj)}: no schema for this kind in Kubernetes {version}")
    return problems


def main(argv: list[str]) -> int:
    outdir = Path(argv[0]) if argv else Path("cdktf.out")
    version = argv[1] if len(argv) > 1 else "1.35"
    failed = 0
    for name, stack in read_stacks(outdir).items():
        objects = objects_of(stack)
        problems = validation_problems(objects, version)
        print(f"{name}: {len(objects)} objects, {len(problems)} problems")
        for problem in problems:
            print(f"  {problem}")
        failed += len(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

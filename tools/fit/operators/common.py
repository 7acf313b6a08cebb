"""What every operator derivation reads: the custom resource's fields and the operator's own Deployment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def origin(cr: dict[str, Any]) -> str:
    """``operator <Kind> <ns>/<name>``, the origin of everything an operator makes from ``cr``."""
    meta = cr["metadata"]
    return f"operator {cr['kind']} {meta.get('namespace', 'default')}/{meta['name']}"


def present(**fields: Any) -> dict[str, Any]:
    """The fields that are set: what a Go struct with ``omitempty`` serializes."""
    return {k: v for k, v in fields.items() if v not in (None, {}, [])}


def operator_containers(objects: list[dict[str, Any]], image: str) -> Iterator[dict[str, Any]]:
    """Containers of the rendered Deployments whose image repository ends with ``image`` (the operator itself)."""
    for obj in objects:
        if obj.get("kind") != "Deployment":
            continue
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []) or []:
            repository = str(container.get("image", "")).split("@")[0].rpartition(":")[0]
            if repository.endswith(image):
                yield container


def container_env(container: dict[str, Any], name: str) -> str | None:
    """A plain ``value`` environment variable of ``container``."""
    return next((e.get("value") for e in container.get("env", []) or [] if e.get("name") == name), None)


def container_flags(container: dict[str, Any]) -> dict[str, str]:
    """``--name=value`` arguments of ``container`` as a mapping."""
    flags = {}
    for arg in [*(container.get("command") or []), *(container.get("args") or [])]:
        name, sep, value = str(arg).partition("=")
        if name.startswith("--") and sep:
            flags[name[2:]] = value
    return flags

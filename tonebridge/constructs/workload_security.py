"""Security contexts that meet Pod Security ``restricted`` (spec §8.3), for chart values."""

from __future__ import annotations

from typing import Any


def restricted_container() -> dict[str, Any]:
    """Container: non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod(**extra: Any) -> dict[str, Any]:
    """Pod: non-root with the runtime's default seccomp profile."""
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}, **extra}

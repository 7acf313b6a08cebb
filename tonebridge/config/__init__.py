"""Typed, validated environment configuration (one YAML file per environment).

Nothing in this package imports cdktf or a provider binding: a bad file is rejected
in milliseconds, before the expensive imports and before anything is written.

The names below are loaded on first use (PEP 562), so that the cdktf-free props modules
(tonebridge/props), which the models use as field types, may import ``tonebridge.config.types``
without importing the loader and the models first (a cycle).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ConfigError": "tonebridge.config.errors",
    "Problem": "tonebridge.config.errors",
    "load_environment": "tonebridge.config.loader",
    "load_selected": "tonebridge.config.loader",
    "selected_environment_names": "tonebridge.config.loader",
    "EnvironmentConfig": "tonebridge.config.models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

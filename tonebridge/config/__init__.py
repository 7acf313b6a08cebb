"""Typed, validated environment configuration (one YAML file per environment).

Nothing in this package imports cdktf or a provider binding: a bad file is rejected
in milliseconds, before the expensive imports and before anything is written.
"""

from tonebridge.config.errors import ConfigError, Problem
from tonebridge.config.loader import load_environment, load_selected, selected_environment_names
from tonebridge.config.models import EnvironmentConfig

__all__ = [
    "ConfigError",
    "EnvironmentConfig",
    "Problem",
    "load_environment",
    "load_selected",
    "selected_environment_names",
]

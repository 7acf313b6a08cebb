"""Read environment files, validate them completely, and report every problem at once."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from tonebridge.config.errors import ConfigError, Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.semantics import check_environment
from tonebridge.paths import PROJECT_ROOT

ENVIRONMENTS_DIR_VAR = "TONEBRIDGE_ENVIRONMENTS_DIR"
SELECTION_VAR = "TONEBRIDGE_ENVIRONMENTS"
DEFAULT_DIR = PROJECT_ROOT / "environments"


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one.

    libyaml's parser when PyYAML has it (about eight times faster; same constructors, same data).
    """


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def environments_dir() -> Path:
    return Path(os.environ.get(ENVIRONMENTS_DIR_VAR) or DEFAULT_DIR)


def display_path(path: Path) -> str:
    """The path as an operator would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _pydantic_problem(error: dict) -> Problem:
    path = tuple(part for part in error["loc"] if part != "[key]")  # a mapping key's own error
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(path, "unknown key")
    message = error["msg"].removeprefix("Value error, ")
    if kind not in ("value_error", "missing") and not isinstance(error.get("input"), (dict, list)):
        message = f"{message} (got {error.get('input')!r})"
    return Problem(path, message)


def load_environment(path: Path) -> EnvironmentConfig:
    """Parse and validate one environment file; raise ConfigError listing every problem."""
    source = display_path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except FileNotFoundError:
        raise ConfigError.of(source, [Problem((), "file not found")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError.of(source, [Problem((), f"invalid YAML: {where}{reason}")]) from None
    if not isinstance(raw, dict):
        raise ConfigError.of(source, [Problem((), "the file must hold a mapping of sections")])
    try:
        cfg = EnvironmentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError.of(source, [_pydantic_problem(e) for e in exc.errors()]) from None
    problems = check_environment(cfg, expected_name=path.stem)
    if problems:
        raise ConfigError.of(source, problems)
    return cfg


def selected_environment_names(directory: Path | None = None) -> list[str]:
    """Environments named in TONEBRIDGE_ENVIRONMENTS (comma separated), else every file in the folder."""
    directory = directory or environments_dir()
    wanted = [n.strip() for n in os.environ.get(SELECTION_VAR, "").split(",") if n.strip()]
    available = sorted(p.stem for p in directory.glob("*.yaml"))
    if not wanted:
        return available
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ConfigError.of(
            SELECTION_VAR,
            [
                Problem(
                    (), f"no environment file {display_path(directory / (n + '.yaml'))} (have: {', '.join(available)})"
                )
                for n in unknown
            ],
        )
    return wanted


def load_selected(directory: Path | None = None) -> list[EnvironmentConfig]:
    """Load every selected environment; problems of all files are reported together."""
    directory = directory or environments_dir()
    names = selected_environment_names(directory)
    if not names:
        raise ConfigError.of(display_path(directory), [Problem((), "no environment files (*.yaml) found")])
    configs, errors = [], []
    for name in names:
        try:
            configs.append(load_environment(directory / f"{name}.yaml"))
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        raise ConfigError(line for e in errors for line in e.lines)
    return configs

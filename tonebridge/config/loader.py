"""Read environment files, validate them completely, and report every problem at once."""

from __future__ import annotations

import difflib
import os
import re
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from tonebridge.config.cross_env import collisions
from tonebridge.config.errors import ConfigError, PathPart, Problem, shorten
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.semantics import check_environment
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.problems import COLLECTED

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
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            )
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


# --- YAML 1.1 typing surprises -------------------------------------------------------------------
#
# PyYAML reads YAML 1.1, where an unquoted 12:30 is the base-60 number 750, 0755 an octal 493,
# no/yes/on/off booleans, 1.30 the number 1.3 and 2026-12-01 a date. Sexagesimal and octal
# numbers are never what an operator means here and are always reported; the others are reported
# where the model wanted text, with the fix.

_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")
_KINDS = {
    "tag:yaml.org,2002:int": "the number",
    "tag:yaml.org,2002:float": "the number",
    "tag:yaml.org,2002:bool": "the boolean",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:null": "null",
}
#: Pydantic error types that mean "text was wanted here".
_WANTED_TEXT = frozenset({"string_type", "literal_error", "enum", "string_pattern_mismatch"})

_Plain = dict[tuple[PathPart, ...], tuple[str, str]]


def _plain_scalars(node: yaml.Node, path: tuple[PathPart, ...], found: _Plain) -> None:
    """Every unquoted scalar that YAML did not read as text: path -> (source text, tag)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _plain_scalars(value, (*path, key.value), found)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _plain_scalars(item, (*path, i), found)
    elif isinstance(node, yaml.ScalarNode) and not node.style and node.tag in _KINDS:
        found[path] = (node.value, node.tag)


def _quote_it(text: str, value: object, tag: str) -> str:
    if tag.endswith("null"):
        return "the value is empty (YAML reads it as null); write one"
    shown = shorten(text, 40)
    value = value.isoformat() if isinstance(value, date) else str(value).lower() if tag.endswith("bool") else value
    return f'YAML 1.1 reads the unquoted {shown} as {_KINDS[tag]} {value}; quote it: "{shown}"'


def _surprises(plain: _Plain) -> list[Problem]:
    """Sexagesimal and octal numbers: reported wherever they are (no field of this project means one)."""
    problems = []
    for path, (text, tag) in plain.items():
        if tag.endswith(("int", "float")) and (_SEXAGESIMAL.match(text) or _OCTAL.match(text)):
            base = "base-60" if ":" in text else "octal"
            value = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
            problems.append(
                Problem(
                    path,
                    f'YAML 1.1 reads the unquoted {text} as the {base} number {value}; quote it ("{text}") '
                    f"or write the number you mean",
                )
            )
    return problems


def _pydantic_problem(error: dict, plain: _Plain | None = None) -> Problem:
    path = tuple(part for part in error["loc"] if part != "[key]")  # a mapping key's own error
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(path, "unknown key")
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if kind not in ("value_error", "missing") and not isinstance(given, (dict, list)):
        message = f"{message} (got {shorten(repr(given))})"
    scalar = (plain or {}).get(path)
    wants_text = kind != "literal_error" or "'" in str(error.get("ctx", {}).get("expected", ""))
    if scalar and kind in _WANTED_TEXT and wants_text and not isinstance(given, str):
        message = f"{message}: {_quote_it(scalar[0], given, scalar[1])}"
    elif kind in ("int_parsing", "int_from_float") and isinstance(given, str) and _EXPONENT.match(given):
        number = float(given)
        whole = f"write {int(number)}" if number.is_integer() else "write a whole number"
        message = f"{message}: YAML 1.1 reads {given} as text, not a number; {whole}"
    return Problem(path, message)


def _read(path: Path, source: str) -> tuple[object, _Plain]:
    """The YAML document of ``path`` and its unquoted non-text scalars; ConfigError for what cannot be read as one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError.of(source, [Problem((), "file not found")]) from None
    except OSError as exc:
        raise ConfigError.of(source, [Problem((), f"cannot be read: {exc.strerror or exc}")]) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError.of(source, [Problem((), "is UTF-16 text; save it as UTF-8")])
    try:
        text = data.decode("utf-8-sig")  # an editor's byte-order mark is harmless: accepted
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError.of(
            source,
            [Problem((), f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8")],
        ) from None
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        plain: _Plain = {}
        if node is not None:
            _plain_scalars(node, (), plain)
        surprises = _surprises(plain)
        if surprises:
            raise ConfigError.of(source, surprises)
        return (loader.construct_document(node) if node is not None else None), plain
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError.of(source, [Problem((), f"invalid YAML: {where}{reason}")]) from None
    except RecursionError:
        raise ConfigError.of(source, [Problem((), "invalid YAML: nested too deeply")]) from None
    finally:
        loader.dispose()


def load_environment(path: Path) -> EnvironmentConfig:
    """Parse and validate one environment file; raise ConfigError listing every problem."""
    source = display_path(path)
    raw, plain = _read(path, source)
    if not isinstance(raw, dict):
        raise ConfigError.of(source, [Problem((), "the file must hold a mapping of sections")])
    try:
        cfg = EnvironmentConfig.model_validate(raw, context={COLLECTED: True})
    except ValidationError as exc:
        raise ConfigError.of(source, [_pydantic_problem(e, plain) for e in exc.errors()]) from None
    problems = check_environment(cfg, expected_name=path.stem)
    if problems:
        raise ConfigError.of(source, problems)
    return cfg


def _suggest(name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name.removesuffix(".yaml"), available, n=2, cutoff=0.6)
    return f"did you mean {' or '.join(close)}? " if close else ""


def selected_environment_names(directory: Path | None = None) -> list[str]:
    """Environments named in TONEBRIDGE_ENVIRONMENTS (comma separated), else every file in the folder.

    A name given twice or one without a file is rejected (with the nearest file's name): each
    environment is synthesized once, and only as named.
    """
    directory = directory or environments_dir()
    wanted = [n.strip() for n in os.environ.get(SELECTION_VAR, "").split(",") if n.strip()]
    available = sorted(p.stem for p in directory.glob("*.yaml"))
    if not wanted:
        return available
    problems = []
    for i, name in enumerate(wanted):
        if name in wanted[:i]:
            problems.append(Problem((), f"{shorten(name)} is named twice; name each environment once"))
        elif name not in available:
            where = display_path(directory / (name + ".yaml")) if "/" not in name else shorten(name)
            problems.append(
                Problem((), f"no environment file {where} ({_suggest(name, available)}have: {', '.join(available)})")
            )
    if problems:
        raise ConfigError.of(SELECTION_VAR, problems)
    return wanted


def load_selected(directory: Path | None = None) -> list[EnvironmentConfig]:
    """Load every selected environment; problems of all files are reported together."""
    directory = directory or environments_dir()
    names = selected_environment_names(directory)
    if not names:
        raise ConfigError.of(display_path(directory), [Problem((), "no environment files (*.yaml) found")])
    configs, errors, loaded = [], [], []
    for name in names:
        path = directory / f"{name}.yaml"
        try:
            configs.append(load_environment(path))
            loaded.append((display_path(path), configs[-1]))
        except ConfigError as exc:
            errors.append(exc)
    clashes = [problem.render(source) for source, problem in collisions(loaded)]
    if errors or clashes:
        raise ConfigError([*(line for e in errors for line in e.lines), *clashes])
    return configs

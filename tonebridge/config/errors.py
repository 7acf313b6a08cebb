"""Configuration problems, reported as ``<file>: <field path>: <reason>`` lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int

#: A problem line stays readable: an echoed value is cut, and no line reaches this length.
MAX_LINE = 299
#: Longest echo of one value (a key, a quoted value) inside a line.
MAX_ECHO = 60
_QUOTED = re.compile(rf"'[^']{{{MAX_ECHO},}}'|\"[^\"]{{{MAX_ECHO},}}\"")


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut in the middle to at most ``limit`` characters, saying how long it was."""
    text = " ".join(text.split()) if "\n" in text else text
    if len(text) <= limit:
        return text
    keep = limit - 20
    return f"{text[: keep - 8]}…{text[-8:]} ({len(text)} chars)"


def _shorten_quoted(reason: str) -> str:
    return _QUOTED.sub(lambda m: m.group(0)[0] + shorten(m.group(0)[1:-1]) + m.group(0)[-1], reason)


def format_path(parts: Sequence[PathPart]) -> str:
    """Render ``("network", "us-west-2", "subnets", "data", 1)`` as ``network.us-west-2.subnets.data[1]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = shorten(str(part))
            out += f".{part}" if out else part
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one file."""

    path: tuple[PathPart, ...]
    reason: str

    def render(self, source: str) -> str:
        """One line under :data:`MAX_LINE` characters: long echoed values are cut, never the reason's start."""
        head, reason = f"{source}: {format_path(self.path)}: ", re.sub(r"\s*\n\s*", " ", self.reason)
        if len(head) + len(reason) > MAX_LINE:
            reason = _shorten_quoted(reason)
        line = head + reason
        return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


class ConfigError(Exception):
    """One or more configuration files cannot be used.

    ``lines`` holds one ``<file>: <field path>: <reason>`` line per problem; the CLI prints
    them and exits 2.
    """

    def __init__(self, lines: Iterable[str]):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))

    @classmethod
    def of(cls, source: str, problems: Iterable[Problem]) -> ConfigError:
        return cls(p.render(source) for p in problems)

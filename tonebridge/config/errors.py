"""Configuration problems, reported as ``<file>: <field path>: <reason>`` lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int


def format_path(parts: Sequence[PathPart]) -> str:
    """Render ``("network", "us-west-2", "subnets", "data", 1)`` as ``network.us-west-2.subnets.data[1]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one file."""

    path: tuple[PathPart, ...]
    reason: str

    def render(self, source: str) -> str:
        return f"{source}: {format_path(self.path)}: {self.reason}"


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

"""Kubernetes resource quantities (``500m``, ``4Gi``, ``100``), parsed exactly.

Pure Python (no cdktf): configuration checks quantities with these before any provider is
imported, and the constructs apply the same functions so that they fail early on their own too.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

# The API server's grammar (k8s.io/apimachinery resource.Quantity), without a sign: a resource
# amount is never negative.
_QUANTITY_RE = re.compile(r"^(?P<number>\d+(\.\d*)?|\.\d+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def quantity_problem(value: str) -> str | None:
    """Why ``value`` is not a non-negative Kubernetes quantity, or None."""
    if not isinstance(value, str) or not _QUANTITY_RE.match(value):
        return f"{value!r} is not a Kubernetes quantity (for example 500m, 2, 512Mi, 4Gi)"
    return None


def parse_quantity(value: str) -> Decimal:
    """The exact amount a quantity names: ``parse_quantity("500m") == Decimal("0.5")``."""
    match = _QUANTITY_RE.match(value)
    if not match:
        raise ValueError(quantity_problem(value))
    number, suffix = Decimal(match["number"]), match["suffix"] or ""
    if suffix in _BINARY:
        return number * (1024 ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    if suffix:
        return number.scaleb(int(suffix[1:]))
    return number


def ordering_problems(values: dict[str, str], order: tuple[str, ...]) -> list[tuple[str, str]]:
    """Where ``values`` (name -> quantity) break ``order`` (each at most the next): ``(name, reason)``.

    Names missing from ``values`` are skipped, so an optional bound simply does not take part.
    """
    present = [name for name in order if values.get(name) is not None]
    problems = []
    for lower, upper in itertools.pairwise(present):
        if parse_quantity(values[lower]) > parse_quantity(values[upper]):
            problems.append((lower, f"{lower} {values[lower]} is greater than {upper} {values[upper]}"))
    return problems

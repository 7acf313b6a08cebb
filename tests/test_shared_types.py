"""Each shared field type is defined once: ``tonebridge/props/types.py`` (issue 21, "shared types once").

An ast scan of tonebridge/ fails on any of these outside the files that own the rule:

* a name ``Quantity`` or ``DnsLabel`` bound anywhere (an assignment, an annotated alias, a class, an
  import alias: ``from x import Y as Quantity``);
* a container-resources type: a class with ``cpu_request`` and ``memory_request`` fields, or a pydantic
  model with ``requests`` and ``limits`` fields;
* a string that works as a DNS-label regex (accepts ``a``, ``a-b`` and 63 characters, refuses 64, an
  upper-case letter, a leading or trailing ``-``, a dot) or as a quantity regex (accepts ``512Mi`` or ``4Gi``,
  refuses ``Gi4``, ``4x`` and ``1.2.3``). The regexes are recognised by what they match, so a rewritten copy counts too.

Owners: props/types.py (the types), kubeapi.py (``DNS_LABEL``), quantities.py (the API server's grammar).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWNERS = {"tonebridge/props/types.py", "tonebridge/kubeapi.py", "tonebridge/quantities.py"}
#: Copies left in files another part of issue 21 owns, each with the reason; the test also fails when
#: an entry here no longer has a copy (delete the entry then).
PENDING = {}
NAMES = {"Quantity", "DnsLabel"}


def _dns_label_like(pattern: str) -> bool:
    accepts = ("a", "a-b", "0", "x" * 63)
    refuses = ("x" * 64, "A", "-a", "a-", "a.b", "a_b", "")
    return all(re.fullmatch(pattern, s) for s in accepts) and not any(re.fullmatch(pattern, s) for s in refuses)


def _quantity_like(pattern: str) -> bool:
    accepts = any(re.fullmatch(pattern, s) for s in ("512Mi", "4Gi"))
    return accepts and not any(re.fullmatch(pattern, s) for s in ("Gi4", "abc", "4x", "1.2.3", "4 Gi"))


def _regex_kind(value: str) -> str | None:
    if not any(c in value for c in "^$[](|*+?{\\"):
        return None  # a plain value ("4Gi"), not a pattern
    try:
        re.compile(value)
    except re.error:
        return None
    if _dns_label_like(value):
        return "a DNS-label regex"
    if _quantity_like(value):
        return "a quantity regex"
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def _fields(node: ast.ClassDef) -> set[str]:
    return {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


def _is_model(node: ast.ClassDef) -> bool:
    return any(ast.unparse(base).rpartition(".")[2] in ("BaseModel", "StrictModel") for base in node.bases)


def definitions(source: str, filename: str = "<string>") -> list[str]:
    """The shared-type definitions in one module's source, as ``<line>: <what>``."""
    tree = ast.parse(source, filename)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        bound: list[str] = []
        if isinstance(node, ast.Assign):
            bound = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            bound = [node.target.id]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = [a.asname for a in node.names if a.asname]
        elif isinstance(node, ast.ClassDef):
            bound = [node.name]
            fields = _fields(node)
            if {"cpu_request", "memory_request"} <= fields or (_is_model(node) and {"requests", "limits"} <= fields):
                found.append(f"{node.lineno}: class {node.name} (a container-resources type)")
        found += [f"{node.lineno}: {name} is bound" for name in bound if name in NAMES]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            kind = _regex_kind(node.value)
            if kind:
                found.append(f"{node.lineno}: {kind} {node.value!r}")
    return sorted(set(found), key=lambda s: int(s.split(":")[0]))


@functools.cache
def _scan() -> dict[str, list[str]]:
    result = {}
    for path in sorted((ROOT / "tonebridge").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        found = definitions(path.read_text(), where)
        if found:
            result[where] = found
    return result


def test_shared_types_are_defined_once() -> None:
    strays = {where: found for where, found in _scan().items() if where not in OWNERS | PENDING.keys()}
    assert not strays, "define these once in tonebridge/props/types.py and import them:\n" + "\n".join(
        f"{where}:{line}" for where, found in strays.items() for line in found
    )


def test_pending_copies_still_exist() -> None:
    scan = _scan()
    assert [where for where in PENDING if where not in scan] == []


def test_the_owners_hold_the_types() -> None:
    """The scan recognises the real definitions (it would pass everywhere if it recognised nothing)."""
    scan = _scan()
    types = "\n".join(scan["tonebridge/props/types.py"])
    assert "Quantity is bound" in types and "DnsLabel is bound" in types
    assert "class ContainerResources (a container-resources type)" in types
    assert any("a DNS-label regex" in line for line in scan["tonebridge/kubeapi.py"])
    assert any("a quantity regex" in line for line in scan["tonebridge/quantities.py"])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('Quantity = Annotated[str, Field(pattern=r"^\\d+(m|Mi|Gi)?$")]\n', "Quantity is bound"),
        ('Quantity = Annotated[str, Field(pattern=r"^\\d+(m|Mi|Gi)?$")]\n', "a quantity regex"),
        ("from tonebridge.props.types import Storage as DnsLabel\n", "DnsLabel is bound"),
        ("class DnsLabel(str): ...\n", "DnsLabel is bound"),
        ('LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")\n', "a DNS-label regex"),
        ('SIZE = re.compile(r"^[0-9]+(Ki|Mi|Gi|Ti)$")\n', "a quantity regex"),
        ("class Res(BaseModel):\n    cpu_request: str\n    memory_request: str\n", "a container-resources type"),
        ("class Res(StrictModel):\n    requests: dict\n    limits: dict\n", "a container-resources type"),
        # not the shared concepts: a hostname, a label value, Redis's memory units, a duration, a dataclass sum
        ('HOST = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$"\n', None),
        ('VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"\n', None),
        ('MEMORY = r"^\\d+(b|kb|mb|gb)?$"\n', None),
        ('DURATION = r"^\\d+[smh]$"\n', None),
        ('DEFAULT = {"memory": "4Gi", "name": "fast-ssd"}\n', None),
        ('PLUGIN_VERSION = r"^[0-9][0-9A-Za-z._-]*$"\n', None),
        ("@dataclass\nclass Amounts:\n    requests: int\n    limits: int\n", None),
    ],
)
def test_a_definition_is_recognised(source: str, expected: str | None) -> None:
    found = definitions(source)
    if expected is None:
        assert found == []
    else:
        assert any(expected in line for line in found), found


def test_the_shared_types_validate_as_their_rules_say() -> None:
    from pydantic import ValidationError

    from tonebridge.props.types import ContainerResources, DnsLabel, Quantity, Storage, StrictModel

    class Probe(StrictModel):
        quantity: Quantity = "1"
        label: DnsLabel = "a"
        size: Storage = "1Gi"

    assert Probe(quantity=2).quantity == "2"  # YAML's `cpu: 2` is the quantity "2"
    assert Probe(quantity="1.5k").quantity == "1.5k"  # the API server's grammar, decimal units included
    with pytest.raises(ValidationError, match=r"'3GB' is not a Kubernetes quantity \(for example 500m"):
        Probe(quantity="3GB")
    with pytest.raises(ValidationError, match=r"String should match pattern '\^\[a-z0-9\]"):
        Probe(label="Tone_Bridge")
    with pytest.raises(ValidationError, match="String should match pattern"):
        Probe(size="1.5Gi")
    resources = ContainerResources(cpu_request="100m", memory_request="128Mi", cpu_limit="1", memory_limit="1Gi")
    manifest = resources.manifest()
    assert manifest == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    # Helm values keep insertion order in the synthesized JSON: requests first, cpu before memory.
    assert [list(manifest), list(manifest["requests"]), list(manifest["limits"])] == [
        ["requests", "limits"],
        ["cpu", "memory"],
        ["cpu", "memory"],
    ]
    with pytest.raises(ValidationError, match="cpu_limit"):
        ContainerResources(cpu_request="100m", memory_request="128Mi", memory_limit="1Gi")

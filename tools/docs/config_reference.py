"""``make docs``: the configuration reference (docs/configuration.md) and the JSON Schema of environment files
(schema/environment.schema.json), both generated from :class:`tonebridge.config.models.EnvironmentConfig`.

    python -m tools.docs.config_reference [--check]

The schema is pydantic's validation schema of the model, made useful to editors (each environments/*.yaml
names it in a ``yaml-language-server`` first line): draft 2020-12, ``additionalProperties: false`` wherever a
model forbids extra keys (every StrictModel), titles and descriptions from the models' docstrings and
``Field(description=...)``. Field types that pydantic only knows as "a string checked by a function" get the
part of that check a schema can say (the rule module's own regular expression, the cloud facts region list)
and a ``format`` naming the kind of value. Every keyword added is a necessary condition of the model's own
check, so the schema never rejects a value the loader accepts; it accepts some the loader refuses (rules that
relate several fields, the cloud facts tables, value grammars a regular expression cannot state): the loader
(``python main.py``) stays the authority. One exception, on purpose: pydantic's lax mode takes the text
``"3"`` for a number and ``"true"`` for a boolean; the schema asks for the YAML number or boolean.

The reference lists every field with its YAML path, type, default, limits, description and the spec
sections the field or its model names. ``--check`` writes nothing and exits 1 when either file differs from
what would be generated (tests/test_docs_reference.py runs the same comparison).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from tonebridge import cloudfacts, eksrules, quantities
from tonebridge.config import types as config_types
from tonebridge.config.models import EnvironmentConfig
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props import aws_names
from tonebridge.props import types as props_types

SCHEMA_PATH = PROJECT_ROOT / "schema" / "environment.schema.json"
REFERENCE_PATH = PROJECT_ROOT / "docs" / "configuration.md"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _ecma(pattern: str) -> str:
    """A Python regular expression in the subset ECMA-262 (JSON Schema's ``pattern``) and Python share: named
    groups become plain groups (their spellings differ between the two)."""
    return re.sub(r"\(\?P<\w+>", "(", pattern)


def _rule_keywords() -> dict[Callable, dict[str, Any]]:
    """What a schema can say of each validator function the models use, keyed by the function (a ``checked``
    validator by the rule it wraps). Patterns are the rule modules' own expressions, so they cannot drift."""
    return {
        aws_names._region: {"format": "aws-region", "pattern": aws_names._REGION_RE.pattern},
        cloudfacts.region_problem: {"format": "aws-region", "enum": sorted(cloudfacts.aws_regions())},
        aws_names._bucket: {
            "format": "s3-bucket-name",
            "pattern": aws_names._BUCKET_RE.pattern,
            "minLength": 3,
            "maxLength": 63,
        },
        aws_names._table: {"format": "dynamodb-table-name", "pattern": aws_names._TABLE_RE.pattern},
        config_types._tag_key: {
            "format": "aws-tag-key",
            "minLength": 1,
            "maxLength": 128,
            "not": {"pattern": "^[aA][wW][sS]:"},
        },
        config_types._tag_value: {"format": "aws-tag-value", "maxLength": 256},
        config_types._env_name: {"format": "environment-name", "pattern": config_types._ENV_NAME_RE.pattern},
        config_types._loopback_url: {"format": "loopback-url"},
        props_types._endpoint_service: {
            "format": "vpc-endpoint-service",
            "pattern": props_types._ENDPOINT_SERVICE_RE.pattern,
        },
        quantities.quantity_problem: {
            "format": "kubernetes-quantity",
            "pattern": _ecma(quantities._QUANTITY_RE.pattern),
        },
        cloudfacts.instance_type_problem: {"format": "ec2-instance-type"},
        cloudfacts.rds_instance_class_problem: {"format": "rds-instance-class"},
        cloudfacts.eks_version_problem: {"format": "eks-version"},
        cloudfacts.postgres_version_problem: {"format": "rds-postgres-version"},
        eksrules.cluster_name_problem: {"format": "eks-cluster-name"},
        eksrules.taint_effect_problem: {"format": "kubernetes-taint-effect"},
    }


def _function_of(core: dict) -> Callable | None:
    """The validator function of a pydantic core ``function-*`` schema; for ``checked(rule)``, the rule."""
    function = (core.get("function") or {}).get("function")
    if function is None:
        return None
    rule = inspect.getclosurevars(function).nonlocals.get("rule") if function.__closure__ else None
    return rule if callable(rule) else function


def _merge(target: dict, extra: dict) -> dict:
    """``target`` with ``extra``'s keywords; a second pattern or enum goes into ``allOf`` (both must hold)."""
    merged = dict(target)
    for key, value in extra.items():
        if key in merged and merged[key] != value and key in ("pattern", "enum", "not"):
            merged.setdefault("allOf", []).append({key: value})
        elif key == "format" and key in merged:
            continue
        else:
            merged[key] = value
    return merged


class EditorSchema(GenerateJsonSchema):
    """pydantic's JSON Schema generator, plus what the project's validator functions check (see module doc)."""

    rules: dict[Callable, dict[str, Any]] = {}

    def function_after_schema(self, schema: Any) -> dict:
        inner = super().function_after_schema(schema)
        extra = self.rules.get(_function_of(schema))
        return _merge(inner, extra) if extra else inner

    def get_default_value(self, schema: Any) -> Any:
        """A ``default_factory``'s value too (pydantic leaves it out): editors and the reference show it."""
        if "default_factory" in schema and not schema.get("default_factory_takes_data"):
            return schema["default_factory"]()
        return super().get_default_value(schema)

    def function_before_schema(self, schema: Any) -> dict:
        inner = super().function_before_schema(schema)
        if _function_of(schema) is props_types._number_as_text:
            # YAML reads `cpu: 2` as a number; the model takes it as the text "2".
            return {"anyOf": [inner, {"type": "number", "minimum": 0}]}
        return inner


def environment_schema() -> dict:
    """The JSON Schema of one environment file (draft 2020-12)."""
    EditorSchema.rules = _rule_keywords()
    body = EnvironmentConfig.model_json_schema(schema_generator=EditorSchema)
    head = {
        "$schema": DRAFT,
        "title": "ToneBridge environment (environments/<name>.yaml)",
        "$comment": "Generated by `make docs` (tools/docs/config_reference.py) from "
        "tonebridge.config.models.EnvironmentConfig; do not edit. docs/configuration.md explains each field.",
    }
    body.pop("title", None)
    _close_pattern_maps(body)
    return {**head, **body}


def _close_pattern_maps(node: Any) -> None:
    """pydantic writes ``dict[K, V]`` with a pattern on K as ``patternProperties`` alone, which lets a key that
    misses the pattern through unchecked; the model refuses such a key, so the schema does too."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
            node.setdefault("type", "object")
        for value in node.values():
            _close_pattern_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_maps(value)


# --- the reference -----------------------------------------------------------------------------

_SPEC_RE = re.compile(r"§\s?\d+(?:\.\d+)*")


def _model_classes() -> dict[str, type[BaseModel]]:
    """Every model class reachable from EnvironmentConfig, by name (as the schema's ``$defs`` name them)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ in found:
                return
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                visit(field.annotation)
            return
        for arg in getattr(annotation, "__args__", ()) or ():
            visit(arg)
        for meta in getattr(annotation, "__metadata__", ()) or ():
            visit(meta)
        origin = getattr(annotation, "__origin__", None)
        if origin is not None and origin is not annotation:
            visit(origin)

    visit(EnvironmentConfig)
    return found


def _spec_sections(*texts: str | None) -> str:
    """The spec sections the first text that names any names (field, then model, then its module)."""
    for text in texts:
        sections = list(dict.fromkeys(s.replace(" ", "") for s in _SPEC_RE.findall(text or "")))
        if sections:
            return ", ".join(sections)
    return ""


class _Reference:
    def __init__(self, schema: dict) -> None:
        self.defs = schema.get("$defs", {})
        self.classes = _model_classes()
        self.undescribed: list[str] = []

    def resolve(self, node: dict) -> tuple[dict, str | None]:
        """The node with its ``$ref`` followed (the field's own keywords win) and the model name, if any."""
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return {**self.defs[name], **{k: v for k, v in node.items() if k != "$ref"}}, name
        return node, None

    def unwrap_optional(self, node: dict) -> tuple[dict, bool]:
        options = node.get("anyOf")
        if options and any(o.get("type") == "null" for o in options):
            rest = [o for o in options if o.get("type") != "null"]
            if len(rest) == 1:
                kept = {k: v for k, v in node.items() if k != "anyOf"}
                return {**rest[0], **kept}, True
        return node, False

    def type_of(self, node: dict) -> str:
        node, optional = self.unwrap_optional(node)
        node, model = self.resolve(node)
        text = self._type(node, model)
        return f"{text} or null" if optional else text

    def _type(self, node: dict, model: str | None) -> str:
        if model and "properties" in node:
            return f"object ({model})"
        if "const" in node:
            return f"`{json.dumps(node['const'])}`"
        if "anyOf" in node:
            return " or ".join(self.type_of(option) for option in node["anyOf"])
        kind = node.get("type")
        if kind == "array":
            return f"list of {self.type_of(node.get('items', {}))}"
        value = self.map_value(node)
        if value is not None:
            return f"map {self._key(node)} → {self.type_of(value)}"
        if "enum" in node and kind is None:
            kind = "string"
        if isinstance(kind, list):
            kind = " or ".join(kind)
        fmt = node.get("format")
        return f"{kind} ({fmt})" if fmt and kind else (kind or "any")

    @staticmethod
    def map_value(node: dict) -> dict | None:
        """The schema of a map's values: ``additionalProperties``, or pydantic's one ``patternProperties``
        entry when the key type has a pattern (a region)."""
        if isinstance(node.get("additionalProperties"), dict):
            return node["additionalProperties"]
        patterns = node.get("patternProperties") or {}
        return next(iter(patterns.values())) if len(patterns) == 1 else None

    @staticmethod
    def _is_region_map(node: dict) -> bool:
        return "us-west-2" in (node.get("propertyNames") or {}).get("enum", ())

    def _key(self, node: dict) -> str:
        return "<region>" if self._is_region_map(node) else "<name>"

    def limits(self, node: dict) -> str:
        node, _ = self.unwrap_optional(node)
        node, _ = self.resolve(node)
        out = []
        for key, label in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
            ("minItems", "items ≥"),
            ("maxItems", "items ≤"),
            ("minProperties", "entries ≥"),
            ("maxProperties", "entries ≤"),
        ):
            if key in node:
                out.append(f"{label} {node[key]}")
        if node.get("format") == "aws-region":
            out.append("an AWS region of the cloud facts (tonebridge/cloudfacts/aws_regions.json)")
        elif "enum" in node:
            out.append("one of " + ", ".join(f"`{v}`" for v in node["enum"]))
        patterns = [node.get("pattern")] + [a.get("pattern") for a in node.get("allOf", [])]
        out += [f"pattern `{p}`" for p in patterns if p]
        if "not" in node and "pattern" in node["not"]:
            out.append(f"not matching `{node['not']['pattern']}`")
        for part, inner in (("item", node.get("items")), ("value", self.map_value(node))):
            if isinstance(inner, dict) and "properties" not in self.resolve(inner)[0]:
                inner_limits = self.limits(inner)
                if inner_limits:
                    out.append(f"each {part}: {inner_limits}")
        names = node.get("propertyNames")
        if self._is_region_map(node):
            out.append("each key: an AWS region")
        elif isinstance(names, dict):
            key_limits = self.limits(names)
            if key_limits:
                out.append(f"each key: {key_limits}")
        return "; ".join(out)

    def children(self, node: dict, path: str) -> Iterator[tuple[str, dict, str | None]]:
        """(path, object schema, model name) of the objects a field holds: itself, map values, list items."""
        node, _ = self.unwrap_optional(node)
        node, model = self.resolve(node)
        if "properties" in node:
            yield path, node, model
        elif node.get("type") == "array" and isinstance(node.get("items"), dict):
            yield from self.children(node["items"], f"{path}[]")
        elif self.map_value(node) is not None:
            yield from self.children(self.map_value(node), f"{path}.{self._key(node)}")

    def rows(self, obj: dict, model: str | None, prefix: str, stack: tuple[str, ...]) -> Iterator[list[str]]:
        cls = self.classes.get(model or "")
        model_doc = obj.get("description") or ""
        module_doc = (sys.modules[cls.__module__].__doc__ or "") if cls else ""
        required = set(obj.get("required", ()))
        for name, field in obj.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            resolved, _ = self.resolve(self.unwrap_optional(field)[0])
            description = field.get("description") or ""
            if not description and "properties" in resolved:
                description = resolved.get("description") or ""
            if not description:
                self.undescribed.append(f"{model or 'EnvironmentConfig'}.{name}")
            if name in required:
                default = "required"
            elif "default" not in field:
                default = "—"
            elif isinstance(field["default"], dict) and field["default"] and "properties" in resolved:
                default = "see its fields"
            else:
                default = f"`{json.dumps(field['default'], ensure_ascii=False)}`"
            child_doc = child_module_doc = ""
            child = next(self.children(field, path), None)
            if child and self.classes.get(child[2] or ""):
                child_doc = child[1].get("description") or ""
                child_module_doc = sys.modules[self.classes[child[2]].__module__].__doc__ or ""
            spec = _spec_sections(field.get("description"), child_doc, child_module_doc, model_doc, module_doc)
            yield [f"`{path}`", self.type_of(field), default, self.limits(field), description, spec]
            for child_path, child, child_model in self.children(field, path):
                if child_model in stack:
                    continue
                yield from self.rows(child, child_model, child_path, (*stack, child_model or ""))


def _cell(text: str) -> str:
    """One table cell: one line, the docstrings' reStructuredText ``code`` as Markdown `code`, pipes escaped,
    angle brackets outside code spans as entities (Markdown would take <env> for an HTML tag)."""
    parts = " ".join(str(text).split()).replace("``", "`").replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts))


def reference(schema: dict) -> tuple[str, list[str]]:
    """The Markdown reference and the fields that carry no description."""
    ref = _Reference(schema)
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `make docs` (tools/docs/config_reference.py) from "
        "tonebridge.config.models.EnvironmentConfig; do not edit. -->",
        "",
        "Every setting of an environment file (`environments/<name>.yaml`), generated from the pydantic models "
        "that validate it (`tonebridge/props/`, `tonebridge/config/`). `python main.py` checks a file completely "
        "and reports each problem as `<file>: <field path>: <reason>`; the rules that relate several fields "
        "(overlaps, capacity, recovery objectives) are not listed here: they are in the models' `problems()` and "
        "`tonebridge/config/*_rules.py`, and the loader reports them with the field they concern.",
        "",
        "Editors validate and complete as you type with the JSON Schema "
        "[`schema/environment.schema.json`](../schema/environment.schema.json): each environment file starts with "
        "`# yaml-language-server: $schema=../schema/environment.schema.json` (VS Code's YAML extension, or any "
        "editor using yaml-language-server). The schema checks structure (unknown keys, types, single-field "
        'limits) and asks for a YAML number or boolean where the loader would also take its text (`"3"`); '
        "the rules between fields and the cloud facts tables are the loader's, which remains the authority.",
        "",
        "Columns: **Path** is the YAML path (`<region>` an AWS region such as `us-west-2`, `<name>` a key you "
        "choose, `[]` each item of a list); **Default** is `required` when the key must be written and `—` when "
        "it has no default; a format in parentheses names the kind of text the loader checks (for example "
        "`kubernetes-quantity`, `ec2-instance-type`, checked against the cloud facts in `tonebridge/cloudfacts/`); "
        "**Spec** is the specification section the field or its model names.",
        "",
    ]
    top = schema.get("properties", {})
    required = set(schema.get("required", ()))
    lines += ["## Sections", ""]
    for name, field in top.items():
        described = field.get("description") or ref.resolve(ref.unwrap_optional(field)[0])[0].get("description")
        lines.append(f"- [`{name}`](#{name}){' (required)' if name in required else ''}: {_cell(described or '')}")
    lines.append("")
    header = ["Path", "Type", "Default", "Limits", "Description", "Spec"]
    for name, field in top.items():
        lines += [f"## {name}", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        section = {"properties": {name: field}, "required": [n for n in required if n == name]}
        section["description"] = schema.get("description", "")
        for row in ref.rows(section, "EnvironmentConfig", "", ("EnvironmentConfig",)):
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    return "\n".join(lines), sorted(dict.fromkeys(ref.undescribed))


def generated() -> dict[Path, str]:
    """Each generated file and its content."""
    schema = environment_schema()
    markdown, _ = reference(schema)
    return {
        SCHEMA_PATH: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
        REFERENCE_PATH: markdown,
    }


def stale() -> list[Path]:
    """The generated files whose content on disk differs from what `make docs` would write."""
    return [path for path, text in generated().items() if not path.exists() or path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    parser.add_argument(
        "--undescribed", action="store_true", help="list the fields that carry no description, then exit"
    )
    args = parser.parse_args(argv)
    if args.undescribed:
        print("\n".join(reference(environment_schema())[1]))
        return 0
    if args.check:
        out = stale()
        for path in out:
            print(f"{path.relative_to(PROJECT_ROOT)} is stale: run make docs", file=sys.stderr)
        return 1 if out else 0
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        else:
            print(f"{path.relative_to(PROJECT_ROOT)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

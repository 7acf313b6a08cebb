"""The configuration reference and the JSON Schema of environment files (``make docs``).

Both are generated from EnvironmentConfig (tools/docs/config_reference.py): the files in the repository must be
what the generator writes now, the schema must accept both environment files, reject the structural
bad-configuration cases of tests/test_bad_configs.py at the field the loader names, and accept the semantic
ones (rules that relate several fields or consult tables a schema does not hold), so the split below stays exact.
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml

from tests.test_bad_configs import CASES, PRODUCTION
from tonebridge.config.models import EnvironmentConfig
from tonebridge.paths import PROJECT_ROOT
from tools.docs import config_reference

SCHEMA = json.loads(config_reference.SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
HEADER = "# yaml-language-server: $schema=../schema/environment.schema.json"
ENVIRONMENT_FILES = sorted((PROJECT_ROOT / "environments").glob("*.yaml"))

#: The cases of tests/test_bad_configs.py the schema rejects (an editor flags them as you type): unknown keys,
#: wrong types, enums, numeric bounds, patterns of a single field, a missing section. Every other case is
#: semantic and out of the schema's reach: rules relating several fields (overlaps, min <= max, capacity,
#: namespaces named elsewhere, RPO/RTO arithmetic), the cloud facts tables (instance types, EKS and PostgreSQL
#: versions, zones of a region), value grammars checked in code (CIDRs, PostgreSQL memory, loopback URL) and
#: the file name.
STRUCTURAL = {
    # unknown key, wrong type, missing section
    "unknown-key",
    "platform-unknown-key",
    "wrong-type",
    "missing-section",
    # one of a fixed set
    "nat-mode",
    "routing-policy-enum",
    "cdn-price-class-enum",
    "cdn-minimum-protocol-below-tls12",
    "trivy-severity",
    "state-region-unknown",
    # numeric bounds of one field
    "cnpg-instances",
    "redis-too-few-leaders",
    "rds-backups-off",
    "backups-ia-too-early",
    "cdn-ttls-out-of-order",
    # the pattern of one field
    "dr-project-id",
    "prometheus-interval-syntax",
    "bucket-name",
    "table-name",
    "reserved-tag-key",
    "quota-not-a-quantity",
    "quantity-syntax",
    "rds-instance-class",
    "karpenter-ami-latest",
    "logical-backup-duration-unit",
}


def _path(parts) -> str:
    """A schema error's instance path written as the loader writes field paths."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Through ``anyOf`` (an optional section is "the model or null"): the error of the branch that went deepest."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def test_generated_files_are_current() -> None:
    stale = [str(p.relative_to(PROJECT_ROOT)) for p in config_reference.stale()]
    assert not stale, f"{', '.join(stale)} differ from the models: run make docs"


def test_generation_is_deterministic() -> None:
    assert config_reference.generated() == config_reference.generated()


def test_schema_is_draft_2020_12_for_editors() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["title"] and SCHEMA["description"]
    assert SCHEMA["additionalProperties"] is False


def test_every_model_that_forbids_extra_keys_says_so_in_the_schema() -> None:
    models = config_reference._model_classes()
    defs = SCHEMA["$defs"]
    checked = 0
    for name, cls in models.items():
        if name == "EnvironmentConfig":
            continue
        assert name in defs, f"{name} has no $defs entry"
        if cls.model_config.get("extra") == "forbid":
            assert defs[name].get("additionalProperties") is False, name
            checked += 1
        assert defs[name].get("title") == name
    assert checked >= 90


@pytest.mark.parametrize("path", ENVIRONMENT_FILES, ids=lambda p: p.name)
def test_environment_file_names_the_schema_and_is_valid(path) -> None:
    text = path.read_text()
    assert text.splitlines()[0] == HEADER
    errors = [f"{_path(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(yaml.safe_load(text))]
    assert not errors, errors


@pytest.mark.parametrize(("case", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_schema_splits_the_bad_configurations(case: str, mutate, expected: str) -> None:
    doc = copy.deepcopy(PRODUCTION)
    mutate(doc)
    errors = list(VALIDATOR.iter_errors(doc))
    if case not in STRUCTURAL:
        assert not errors, f"the schema rejects {case}: add it to STRUCTURAL ({_path(errors[0].absolute_path)})"
        return
    assert errors, f"the schema accepts {case}"
    field = expected.split(": ", 1)[0]
    where = {_path(_deepest(e).absolute_path) for e in errors}
    # The schema stops at the field the loader names, or at its enclosing object (an unknown or missing key,
    # a reserved map key): never somewhere unrelated.
    assert all(field == w or field.startswith((f"{w}.", f"{w}[")) for w in where if w), (field, where)
    assert all(e.validator == "required" for e in errors if not _path(_deepest(e).absolute_path)), field


def test_schema_rejects_a_stray_key_in_every_mapping_of_production() -> None:
    """Every mapping of production.yaml, models and maps alike (region, namespace and service maps take only keys
    of their key type, free-form maps only text), refuses a stray ``no_such_setting: true``."""
    accepted = []
    mappings = 0

    def visit(node, path: tuple) -> None:
        nonlocal mappings
        if isinstance(node, dict):
            mappings += 1
            doc = copy.deepcopy(PRODUCTION)
            target = doc
            for part in path:
                target = target[part]
            target["no_such_setting"] = True
            if VALIDATOR.is_valid(doc):
                accepted.append(_path(path))
            for key, value in node.items():
                visit(value, (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, (*path, i))

    visit(PRODUCTION, ())
    assert mappings >= 100
    assert not accepted, accepted


def test_reference_lists_every_field_with_its_limits() -> None:
    text = config_reference.REFERENCE_PATH.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    paths = {row.split("`")[1] for row in rows}
    for name, cls in config_reference._model_classes().items():
        for field in cls.model_fields:
            assert any(p == field or p.endswith(f".{field}") for p in paths), f"{name}.{field} is not in the reference"
    assert set(EnvironmentConfig.model_fields) <= paths
    vpc_nodes = next(r for r in rows if r.startswith("| `network.<region>.pods.max_nodes`"))
    assert "≥ 1; ≤ 5000" in vpc_nodes and "required" in vpc_nodes
    nat = next(r for r in rows if r.startswith("| `network.<region>.nat`"))
    assert "`per_az`, `single`, `none`" in nat and '`"per_az"`' in nat
    assert "| `database.rds.backup_retention_days` |" in text


def test_every_field_is_described() -> None:
    """An operator reads the reference, not the models: a new field needs a description (Field(description=...))
    or, for a nested model, a class docstring."""
    _, undescribed = config_reference.reference(config_reference.environment_schema())
    assert undescribed == [], "fields without a description:\n" + "\n".join(undescribed)

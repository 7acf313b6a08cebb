"""Reviewable stack snapshots: one value per line, embedded documents shown parsed, and still exact.

A synthesized stack holds long strings that Terraform treats as opaque values: Helm `values` and IAM policies are
JSON documents on one line (up to 32,886 characters), scripts and Grafana dashboards are multi-line text, EC2
`user_data` is base64. Syrupy's plain JSON extension writes each as one line, so a diff says "something changed"
and nothing more. `ReviewableJSONExtension` writes the same data as pretty-printed JSON (indent 1, keys sorted,
one value per line) and shows each such string through a single-key wrapper:

- ``{"<json>": value}``    a JSON document, parsed. Only when ``json.dumps(value)`` gives back the exact string
                           (Python's default separators, ASCII escapes): the key order inside is the document's own
                           (it is part of the string Terraform compares), so these objects are NOT sorted;
- ``{"<yaml>": value}``    a YAML mapping, parsed. Only when ``yaml.safe_dump(value, sort_keys=False)`` gives back
                           the exact string (none of today's stacks has one: their YAML is inside user_data MIME);
- ``{"<base64>": value}``  base64 text (EC2 user_data), decoded, and the decoded text shown by these same rules.
                           Only when re-encoding gives back the exact string;
- ``{"<lines>": [..]}``    any other multi-line text (shell, HCL, Groovy, an indented JSON dashboard): one item per
                           line, ``"\\n".join`` gives it back, a trailing newline is a trailing ``""``.

The format is injective: `decode(serialize(data)) == data` for every value, strings compared byte for byte
(tests/test_snapshot_format.py checks it on every synthesized stack). A stack that would contain a real object
whose only key is one of the markers is refused rather than written ambiguously. Syrupy compares the serialized
text, so a snapshot matches exactly when the stack is equal to the one it was written from, as before: only the
layout changed. Outer objects are compared as mappings (key order in cdk.tf.json means nothing to Terraform and
the previous extension sorted them too).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import yaml
from syrupy.extensions.json import JSONSnapshotExtension

JSON, YAML, BASE64, LINES = "<json>", "<yaml>", "<base64>", "<lines>"
MARKERS = frozenset({JSON, YAML, BASE64, LINES})

#: Strings shorter than this stay as they are: they are readable already and a wrapper only adds lines.
MIN_LENGTH = 80
_BASE64 = re.compile(r"[A-Za-z0-9+/]{100,}={0,2}")


def _yaml_text(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True)


def encode(value: Any, *, embedded: bool = False) -> Any:
    """The displayed form of `value`. Objects outside embedded documents get sorted keys; inside, their own order."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in MARKERS:
            raise ValueError(
                f"an object whose only key is the snapshot marker {next(iter(value))!r} would be ambiguous"
            )
        keys = value.keys() if embedded else sorted(value)
        return {k: encode(value[k], embedded=embedded) for k in keys}
    if isinstance(value, list):
        return [encode(v, embedded=embedded) for v in value]
    if isinstance(value, str):
        return _encode_string(value, embedded=embedded)
    return value


def _encode_string(text: str, *, embedded: bool) -> Any:
    if len(text) < MIN_LENGTH and "\n" not in text:
        return text
    if _BASE64.fullmatch(text):
        try:
            decoded = base64.b64decode(text, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            decoded = None
        if decoded is not None and base64.b64encode(decoded.encode("utf-8")).decode("ascii") == text:
            return {BASE64: _encode_string(decoded, embedded=embedded)}
    if text[:1] in "{[":
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if parsed is not None and json.dumps(parsed) == text:
            try:
                return {JSON: encode(parsed, embedded=True)}
            except ValueError:  # a marker-shaped object inside: keep the string
                pass
    if "\n" in text:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, dict) and parsed and _yaml_text(parsed) == text:
            try:
                return {YAML: encode(parsed, embedded=True)}
            except ValueError:
                pass
        return {LINES: text.split("\n")}
    return text


def decode(value: Any) -> Any:
    """The inverse of `encode`: the data a snapshot was written from (compare as mappings)."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in MARKERS:
            marker, inner = next(iter(value.items()))
            if marker == LINES:
                return "\n".join(inner)
            if marker == BASE64:
                return base64.b64encode(decode(inner).encode("utf-8")).decode("ascii")
            if marker == JSON:
                return json.dumps(decode(inner))
            return _yaml_text(decode(inner))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """The snapshot text: one value per line. Keys are already ordered by `encode` (sorted outside documents)."""
    return json.dumps(encode(value), indent=1, ensure_ascii=False) + "\n"


def loads(text: str) -> Any:
    return decode(json.loads(text))


class ReviewableJSONExtension(JSONSnapshotExtension):
    """Syrupy's single-file JSON snapshots in the reviewable layout above (same file names and test ids)."""

    def serialize(self, data, **_filters) -> str:  # whole stacks: syrupy's property filters are not used here
        return dumps(data)

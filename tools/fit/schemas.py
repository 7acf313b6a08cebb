"""Strict schema validation of every object the cluster receives, the way the API server validates it.

Kubernetes' own kinds go through kubernetes-validate's offline OpenAPI schemas for the cluster's
version (as :mod:`tools.kube_objects` does, whose import also caches the schema files).
Custom resources go through the ``openAPIV3Schema`` of the CRD that serves their kind at their
version, as the charts ship it. Both are strict: a field the schema does not declare is an error,
as with ``kubectl apply --validate=strict`` (``fieldValidation=Strict``) rather than silently
pruned.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate import utils as _kv_utils
from kubernetes_validate.utils import SchemaNotFoundError

from tonebridge.kubeapi import CORE_GROUPS, api_group
from tools import kube_objects  # noqa: F401  (caches kubernetes-validate's schema files)
from tools.fit.model import ClusterView, Problem, object_ref

RULE = "object-schema"

# kubernetes-validate lists its schema folders for every object it validates (2 ms each, a third of the
# time for a stack's ~1,300 rendered objects); the folders never change within a process.
if not hasattr(_kv_utils.all_versions, "cache_info"):
    _kv_utils.all_versions = functools.cache(_kv_utils.all_versions)

#: API groups Kubernetes serves itself beyond those the project writes (kubeapi.CORE_GROUPS): what charts
#: render (CRDs, APIServices, …). Every group kubernetes-validate ships schemas for; groups such as
#: gateway.networking.k8s.io or snapshot.storage.k8s.io are CRDs despite their k8s.io suffix.
BUILTIN_GROUPS = CORE_GROUPS | {
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "resource.k8s.io",
    "storagemigration.k8s.io",
}

#: metav1.ObjectMeta's fields (k8s.io/apimachinery/pkg/apis/meta/v1/types.go): a CRD's schema leaves
#: ``metadata`` to the API server, which knows no other field there.
_OBJECT_META = {
    "name": {"type": "string"},
    "generateName": {"type": "string"},
    "namespace": {"type": "string"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    "finalizers": {"type": "array", "items": {"type": "string"}},
    "ownerReferences": {"type": "array"},
    "uid": {"type": "string"},
    "resourceVersion": {"type": "string"},
    "generation": {"type": "integer"},
    "creationTimestamp": {},
    "deletionTimestamp": {},
    "deletionGracePeriodSeconds": {"type": "integer"},
    "managedFields": {"type": "array"},
    "selfLink": {"type": "string"},
}
_META_SCHEMA = {"type": "object", "properties": _OBJECT_META, "additionalProperties": False}


def check(view: ClusterView) -> list[Problem]:
    """Every object of the view, against Kubernetes' schemas or its CRD's."""
    return object_problems(view.objects, kubernetes_version=view.kubernetes_version, env=view.env, region=view.region)


def object_problems(
    objects: Iterable[Mapping[str, Any]], *, kubernetes_version: str, env: str, region: str
) -> list[Problem]:
    """Why each object would fail validation; CRDs are taken from ``objects`` themselves."""
    objects = list(objects)
    crds = crd_index(objects)
    chart_groups = {group for group, _ in crds}
    problems = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        ref = object_ref(str(obj.get("kind", "")), str(meta.get("name", "")))
        group = api_group(str(obj.get("apiVersion", "")))
        if (group, obj.get("kind")) in crds:
            whys = list(_custom_resource(obj, crds[group, obj.get("kind")]))
        elif group in BUILTIN_GROUPS:
            whys = _builtin(obj, kubernetes_version)
        elif group in chart_groups:
            whys = [f"no CRD of group {group} serves kind {obj.get('kind')}"]
        else:
            # Not ours to judge: the CRD comes from outside the charts this stack installs (an operator that
            # registers its own, or EKS itself), so its schema is not known here.
            whys = []
        problems.extend(Problem(env, region, meta.get("namespace") or "-", ref, RULE, why) for why in whys)
    return problems


def crd_index(objects: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(group, kind) -> the CustomResourceDefinition among ``objects`` that defines it."""
    return {
        (crd["spec"]["group"], crd["spec"]["names"]["kind"]): crd
        for crd in objects
        if crd.get("kind") == "CustomResourceDefinition"
        and api_group(str(crd.get("apiVersion", ""))) == "apiextensions.k8s.io"
    }


def _builtin(obj: Mapping[str, Any], version: str) -> list[str]:
    return _builtin_json(json.dumps(obj, sort_keys=True), version)


@functools.cache
def _builtin_json(obj_json: str, version: str) -> list[str]:
    """Cached by content: every stack renders the same CRDs and most of the same chart objects."""
    obj = json.loads(obj_json)
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_why(error)]
    except SchemaNotFoundError:
        return [f"Kubernetes {version} serves no {obj.get('kind')} in {obj.get('apiVersion')}"]
    return []


def _custom_resource(obj: Mapping[str, Any], crd: Mapping[str, Any]) -> Iterator[str]:
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    served = {v["name"]: v for v in crd["spec"].get("versions", []) if v.get("served", True)}
    if version not in served:
        yield f"CRD {crd['metadata']['name']} does not serve {version} (it serves {', '.join(sorted(served))})"
        return
    schema = (served[version].get("schema") or {}).get("openAPIV3Schema")
    if schema is None:
        return
    validator = _validator(json.dumps(schema, sort_keys=True))
    for error in sorted(validator.iter_errors(dict(obj)), key=lambda e: list(map(str, e.absolute_path))):
        yield _why(error)


@functools.cache
def _validator(schema_json: str) -> jsonschema.Validator:
    """A validator for one CRD version's schema made strict (cached: the same CRD validates many objects)."""
    schema = strict_schema(json.loads(schema_json), root=True)
    return jsonschema.Draft4Validator(schema)


def strict_schema(node: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
    """A structural schema (OpenAPI v3 with Kubernetes extensions) as JSON Schema that rejects unknown fields.

    - An object node without ``x-kubernetes-preserve-unknown-fields`` admits only its properties (what the
      API server would prune, strict field validation reports).
    - ``x-kubernetes-int-or-string``: an integer or a string; ``nullable``: null too.
    - ``apiVersion``/``kind``/``metadata`` are implicit at the root and in embedded resources.
    - ``allOf``/``anyOf``/``oneOf`` branches are value validations only (structural schemas declare every
      field outside them), so they are kept as they are.
    """
    node = copy.copy(node)
    embeds = root or node.get("x-kubernetes-embedded-resource")
    # A CRD may constrain metadata (a name's length); the API server still knows only ObjectMeta's fields.
    given_meta = (node.get("properties") or {}).get("metadata") if embeds else None
    if node.get("x-kubernetes-int-or-string"):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in node:
        node["type"] = [node["type"], "null"]
    if "properties" in node:
        node["properties"] = {k: strict_schema(v) for k, v in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = strict_schema(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = strict_schema(node["additionalProperties"])
    if embeds:
        node["properties"] = {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            **node.get("properties", {}),
            "metadata": {"allOf": [_META_SCHEMA, given_meta]} if given_meta else _META_SCHEMA,
        }
    is_object = node.get("type") == "object" or (isinstance(node.get("type"), list) and "object" in node["type"])
    if is_object and not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def _why(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        unknown = sorted(set(error.instance) - known)
        return "; ".join(f'unknown field "{path + "." if path else ""}{name}"' for name in unknown)
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return f"{path or '(root)'}: {message}"

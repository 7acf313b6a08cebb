"""ValidatingAdmissionPolicy and its bindings, evaluated with the policies' own CEL (cel-python).

What the API server does for a pod CREATE (``k8s.io/apiserver/pkg/admission/plugin/policy/validating``):
a binding applies when its policy's ``matchConstraints`` and its own ``matchResources`` match the
request (resource rules for ``pods``/CREATE, ``namespaceSelector`` on the namespace's labels,
``objectSelector`` on the pod's); the policy's ``matchConditions`` must all be true; its
``variables`` are evaluated in order and exposed as ``variables.<name>``; each ``validations[]``
expression that is false fails with its ``messageExpression``, else its ``message``, else
``failed expression: <expression>``. An evaluation error follows ``failurePolicy`` (``Fail`` by
default: the request is denied). Only ``validationActions`` containing ``Deny`` refuse the pod.

The CEL activation: ``object`` (the pod), ``oldObject`` null, ``request`` (an AdmissionRequest for a
CREATE by a controller), ``params`` null and ``namespaceObject``. Not modelled: ``paramKind``/``paramRef``
(a policy with parameters sees null), ``authorizer``, and Kubernetes' CEL extension libraries
(``quantity()``, ``url()``, regex helpers beyond standard CEL): a policy using them fails to
evaluate, which its ``failurePolicy`` then decides, as it would if they misbehaved.

Each expression is compiled once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

from tools.fit.selectors import selector_matches

_ENV = celpy.Environment()


@functools.cache
def _program(expression: str) -> celpy.Runner | str:
    """The compiled expression, or why it does not compile."""
    try:
        return _ENV.program(_ENV.compile(expression))
    except CELParseError as error:
        return f"does not compile: {error}".splitlines()[0]


class PolicyError(Exception):
    """An expression failed to compile or evaluate."""


def evaluate(expression: str, activation: Mapping[str, Any]) -> Any:
    """The CEL value of ``expression``; :class:`PolicyError` if it cannot be had."""
    program = _program(expression)
    if isinstance(program, str):
        raise PolicyError(program)
    try:
        result = program.evaluate(dict(activation))
    except CELEvalError as error:
        raise PolicyError(str(error.args[0] if error.args else error)) from error
    if isinstance(result, CELEvalError):
        raise PolicyError(str(result.args[0] if result.args else result))
    return result


def _rule_matches(rule: Mapping[str, Any]) -> bool:
    def has(key: str, value: str) -> bool:
        values = rule.get(key) or []
        return value in values or "*" in values

    return (
        has("apiGroups", "") and has("apiVersions", "v1") and has("operations", "CREATE") and has("resources", "pods")
    )


def _resources_match(match: Mapping[str, Any], namespace_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """``matchConstraints``/``matchResources``: rules for pods CREATE (if given), no exclusion, both selectors."""
    rules = match.get("resourceRules")
    if rules is not None and not any(_rule_matches(r) for r in rules):
        return False
    if any(_rule_matches(r) for r in match.get("excludeResourceRules") or []):
        return False
    return selector_matches(match.get("namespaceSelector"), namespace_labels) and selector_matches(
        match.get("objectSelector"), labels
    )


@dataclass(frozen=True)
class Denial:
    """A validation the pod fails: the policy, the message, and whether CEL could not evaluate it."""

    policy: str
    message: str
    error: bool = False


@dataclass
class Binding:
    """A binding with its policy: what applies to pods, and how."""

    name: str
    policy: dict[str, Any]
    binding: dict[str, Any]
    denies: bool = field(init=False)

    def __post_init__(self) -> None:
        self.denies = "Deny" in (self.binding.get("spec", {}).get("validationActions") or [])

    @property
    def policy_name(self) -> str:
        return self.policy["metadata"]["name"]

    def applies(self, namespace_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
        """Whether the API server calls this binding's policy for a pod with ``labels`` in that namespace."""
        constraints = self.policy.get("spec", {}).get("matchConstraints") or {}
        own = self.binding.get("spec", {}).get("matchResources") or {}
        return (
            self.denies
            and _resources_match(constraints, namespace_labels, labels)
            and _resources_match(own, namespace_labels, labels)
        )

    def denials(self, activation: dict[str, Any]) -> list[Denial]:
        """The validations the pod in ``activation`` fails (an error under ``failurePolicy: Fail`` included)."""
        spec = self.policy.get("spec", {})
        fail_closed = spec.get("failurePolicy", "Fail") == "Fail"
        try:
            for condition in spec.get("matchConditions") or []:
                if not evaluate(condition["expression"], activation):
                    return []
            variables: dict[str, Any] = {}
            for variable in spec.get("variables") or []:
                try:
                    value = evaluate(
                        variable["expression"], {**activation, "variables": celpy.celtypes.MapType(variables)}
                    )
                except PolicyError:
                    continue  # an unused variable that fails does not fail the request; a used one fails where used
                variables[celpy.celtypes.StringType(variable["name"])] = value
            scope = {**activation, "variables": celpy.celtypes.MapType(variables)}
            found = []
            for validation in spec.get("validations") or []:
                if evaluate(validation["expression"], scope):
                    continue
                found.append(Denial(self.policy_name, self._message(validation, scope)))
            return found
        except PolicyError as error:
            return [Denial(self.policy_name, f"evaluation failed: {error}", error=True)] if fail_closed else []

    @staticmethod
    def _message(validation: Mapping[str, Any], scope: dict[str, Any]) -> str:
        if validation.get("messageExpression"):
            try:
                return str(evaluate(validation["messageExpression"], scope))
            except PolicyError:
                pass  # the API server falls back to the static message too
        return validation.get("message") or f"failed expression: {validation['expression']}"


def bindings(objects: list[dict[str, Any]]) -> list[Binding]:
    """Every ValidatingAdmissionPolicyBinding of ``objects`` whose policy is there too."""
    policies = {
        o["metadata"]["name"]: o
        for o in objects
        if o.get("kind") == "ValidatingAdmissionPolicy"
        and o.get("apiVersion", "").startswith("admissionregistration.k8s.io/")
    }
    found = []
    for obj in objects:
        if obj.get("kind") != "ValidatingAdmissionPolicyBinding":
            continue
        policy = policies.get(obj.get("spec", {}).get("policyName", ""))
        if policy is not None:
            found.append(Binding(obj["metadata"]["name"], policy, obj))
    return found


def activation(pod: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """The CEL variables for a CREATE of ``pod`` in ``namespace`` (a Namespace object)."""
    meta = pod["metadata"]
    request = {
        "uid": "fit-check",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "operation": "CREATE",
        "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": []},
        "dryRun": False,
    }
    return {
        "object": celpy.json_to_cel(pod),
        "oldObject": celpy.json_to_cel(None),
        "request": celpy.json_to_cel(request),
        "params": celpy.json_to_cel(None),
        "namespaceObject": celpy.json_to_cel(namespace),
    }

"""A pod admission rule as a ValidatingAdmissionPolicy and its binding: the shape every namespace-labelled
pod rule of the platform shares (read-only root filesystem, images by digest).

Admission in the API server itself (CEL, GA since Kubernetes 1.30): no webhook to run or to fail. The policy
checks pods at CREATE and UPDATE, fails closed (``failurePolicy: Fail``) and denies; the binding of the same
name selects the namespaces carrying ``namespace_labels``. Each rule supplies only what differs: its
expression, its message and its label.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.kube import kube_object

API = "admissionregistration.k8s.io/v1"


def pod_admission_rule(
    scope: Construct, *, name: str, expression: str, message: str, namespace_labels: Mapping[str, str]
) -> tuple[Manifest, Manifest]:
    """The policy (construct id ``policy``) and its binding (``binding``), as ``(policy, binding)``."""
    pods = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}
    policy_spec = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": [pods]},
        "validations": [{"expression": expression, "message": message, "reason": "Forbidden"}],
    }
    binding_spec = {
        "policyName": name,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": {"matchLabels": dict(namespace_labels)}},
    }
    policy = kube_object(scope, _object("ValidatingAdmissionPolicy", name, policy_spec), construct_id="policy")
    binding = kube_object(
        scope,
        _object("ValidatingAdmissionPolicyBinding", name, binding_spec),
        depends_on=[policy],
        construct_id="binding",
    )
    return policy, binding


def _object(kind: str, name: str, spec: Mapping) -> dict:
    return {"apiVersion": API, "kind": kind, "metadata": {"name": name}, "spec": spec}

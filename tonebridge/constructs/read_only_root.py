"""The one rule of the spec's ``restricted`` PodSecurityPolicy (§8.3) that Pod Security Admission
does not check: every container's root filesystem is read-only.

The ``restricted`` Pod Security Standard covers the rest of the spec's policy (no privileged pods,
no privilege escalation, ALL capabilities dropped, non-root, no host network/IPC/PID, a volume-type
allow-list) but not ``readOnlyRootFilesystem``. A ValidatingAdmissionPolicy (admission in the API
server itself, CEL, GA since Kubernetes 1.30: no webhook to run or to fail) rejects pods whose
containers or init containers do not set it, in every namespace labelled
``tonebridge.io/read-only-root=required``. Ephemeral debug containers (``kubectl debug``) are not
checked: they arrive through their own subresource, and an operator debugging needs a shell.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.pod_rule import REQUIRED, PodRule, PodRuleProps

#: Namespaces carrying this label (value ``required``) get the policy.
NAMESPACE_LABEL = "tonebridge.io/read-only-root"

_READ_ONLY = (
    "has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem)"
    " && c.securityContext.readOnlyRootFilesystem"
)
EXPRESSION = (
    f"object.spec.containers.all(c, {_READ_ONLY}) && "
    f"(!has(object.spec.initContainers) || object.spec.initContainers.all(c, {_READ_ONLY}))"
)


@dataclass(frozen=True)
class ReadOnlyRootProps(PodRuleProps):
    """:param name: name of the policy and of its binding (cluster-scoped)."""

    name: str = "require-read-only-root-filesystem"


class ReadOnlyRoot(PodRule):
    """A :class:`~tonebridge.constructs.pod_rule.PodRule` (attributes ``policy``, ``binding``, ``namespace_labels``)."""

    namespace_labels = {NAMESPACE_LABEL: REQUIRED}

    def __init__(self, scope: Construct, id_: str, props: ReadOnlyRootProps | None = None) -> None:
        super().__init__(
            scope,
            id_,
            props or ReadOnlyRootProps(),
            expression=EXPRESSION,
            message="every container and init container must set "
            "securityContext.readOnlyRootFilesystem: true (spec §8.3)",
        )

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

from tonebridge.constructs.pod_admission import pod_admission_rule

#: Namespaces carrying this label (value ``required``) get the policy.
NAMESPACE_LABEL = "tonebridge.io/read-only-root"
REQUIRED = "required"

_READ_ONLY = (
    "has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem)"
    " && c.securityContext.readOnlyRootFilesystem"
)
EXPRESSION = (
    f"object.spec.containers.all(c, {_READ_ONLY}) && "
    f"(!has(object.spec.initContainers) || object.spec.initContainers.all(c, {_READ_ONLY}))"
)


@dataclass(frozen=True)
class ReadOnlyRootProps:
    """:param name: name of the policy and of its binding (cluster-scoped)."""

    name: str = "require-read-only-root-filesystem"

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 253:
            raise ValueError("name must be 1-253 characters")


class ReadOnlyRoot(Construct):
    """Attributes: ``policy``, ``binding`` (kubernetes_manifest resources), ``namespace_labels``
    (the labels a namespace carries to be covered)."""

    namespace_labels = {NAMESPACE_LABEL: REQUIRED}

    def __init__(self, scope: Construct, construct_id: str, props: ReadOnlyRootProps | None = None) -> None:
        super().__init__(scope, construct_id)
        props = props or ReadOnlyRootProps()
        self.policy, self.binding = pod_admission_rule(
            self,
            name=props.name,
            expression=EXPRESSION,
            message="every container and init container must set "
            "securityContext.readOnlyRootFilesystem: true (spec §8.3)",
            namespace_labels=self.namespace_labels,
        )

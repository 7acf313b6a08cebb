"""What the pod rules of the API server share (:mod:`read_only_root`, :mod:`image_digest`): a cluster-scoped
ValidatingAdmissionPolicy and its binding (:func:`~tonebridge.constructs.pod_admission.pod_admission_rule`),
named by the props, enforced in every namespace that carries the rule's label with the value ``required``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from constructs import Construct

from tonebridge.constructs.pod_admission import pod_admission_rule

#: The label value that puts a namespace under a rule.
REQUIRED = "required"


@dataclass(frozen=True)
class PodRuleProps:
    """:param name: name of the policy and of its binding (cluster-scoped)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 253:
            raise ValueError("name must be 1-253 characters")


class PodRule(Construct):
    """Attributes: ``policy``, ``binding`` (kubernetes_manifest resources), ``namespace_labels``
    (the labels a namespace carries to be covered)."""

    #: Each rule's own: ``{<its label>: REQUIRED}``.
    namespace_labels: ClassVar[Mapping[str, str]]

    def __init__(self, scope: Construct, id_: str, props: PodRuleProps, *, expression: str, message: str) -> None:
        super().__init__(scope, id_)
        self.policy, self.binding = pod_admission_rule(
            self, name=props.name, expression=expression, message=message, namespace_labels=self.namespace_labels
        )

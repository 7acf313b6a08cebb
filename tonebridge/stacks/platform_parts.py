"""What the platform stack's steps hand each other: small typed results, passed as arguments.

Each step of :class:`~tonebridge.stacks.platform.PlatformStack` receives what it needs and returns
what later steps need; none reads an attribute another step set on the stack, so the order of the
steps is visible in ``PlatformStack.__init__`` as data flow, not as side effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tonebridge.features.secrets import Secrets as Secrets  # the secrets feature's result, where it is built

if TYPE_CHECKING:
    from tonebridge.constructs.istio import Istio
    from tonebridge.constructs.load_balancer_controller import LoadBalancerController
    from tonebridge.constructs.namespace import Namespace
    from tonebridge.constructs.storage_classes import StorageClasses


@dataclass(frozen=True)
class Foundation:
    """The namespaces (spec §3.2) and StorageClasses the stack creates, for other steps' ``depends_on``."""

    namespaces: Mapping[str, Namespace]
    storage_classes: StorageClasses

    def namespace_objects(self, names: Iterable[str]) -> list:
        """The namespace objects of ``names`` this stack creates (others exist already or come with a chart)."""
        return [self.namespaces[name].manifest for name in names if name in self.namespaces]

    def storage_class_objects(self, names: Iterable[str]) -> list:
        """The StorageClass objects of ``names`` this stack creates, for ``depends_on`` of volume claims."""
        classes = self.storage_classes.classes
        return [classes[name] for name in names if name in classes]


@dataclass(frozen=True)
class Mesh:
    """Istio and the edge's load balancer controller, where this region runs them (Prometheus scrapes both)."""

    istio: Istio | None
    load_balancer_controller: LoadBalancerController | None

"""What a feature needs to know of the stack's namespaces and StorageClasses: the objects to wait for.

The platform stack's foundation (its namespaces, spec §3.2, and StorageClasses) satisfies this protocol;
a feature that creates objects in those namespaces or claims volumes of those classes takes it as an
argument instead of importing the stack's own type (features never import tonebridge.stacks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class FoundationObjects(Protocol):
    """The namespace and StorageClass objects a stack creates, for ``depends_on``."""

    def namespace_objects(self, names: Iterable[str]) -> list:
        """The namespace objects of ``names`` the stack creates (others exist already or come with a chart)."""
        ...

    def storage_class_objects(self, names: Iterable[str]) -> list:
        """The StorageClass objects of ``names`` the stack creates, for ``depends_on`` of volume claims."""
        ...


#: Where pods run: a node selector and the tolerations that go with it.
Placement = tuple[dict[str, str], list[dict[str, str]]]

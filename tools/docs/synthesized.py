"""The synthesized stacks of one environment, read the way a picture of them needs: which stack plays which
part (regional infrastructure, platform, DR, global edge), the region each resource is created in, and
where a reference points, within a stack or through another stack's output (cdktf's remote-state inputs).

Read from ``cdk.tf.json`` only, never from configuration, so that what is drawn is what Terraform applies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tools.kube_objects import objects_of

_LOCAL = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)")
_REMOTE = re.compile(
    r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\}"
)


@dataclass(frozen=True, order=True)
class Ref:
    """A resource attribute another value refers to: stack, resource type, logical id, attribute."""

    stack: str
    type: str
    id: str
    attr: str


class Synthesized:
    """The stacks of one environment (stack name -> parsed ``cdk.tf.json``)."""

    def __init__(self, stacks: dict[str, dict]) -> None:
        self.stacks = dict(sorted(stacks.items()))
        self._objects = {name: objects_of(stack) for name, stack in self.stacks.items()}

    # --- what is in a stack ----------------------------------------------------------------------------------
    def resources(self, stack: str, kind: str) -> dict[str, dict]:
        """Resources of one Terraform type, by logical id (sorted)."""
        return dict(sorted(self.stacks[stack].get("resource", {}).get(kind, {}).items()))

    def resource(self, ref: Ref) -> dict:
        return self.stacks[ref.stack]["resource"][ref.type][ref.id]

    def objects(self, stack: str, kind: str) -> list[dict[str, Any]]:
        """Kubernetes objects of one kind the stack applies, by namespace and name."""
        found = [o for o in self._objects[stack] if o.get("kind") == kind]
        return sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def with_resource(self, kind: str) -> list[str]:
        """Stacks holding at least one resource of the type."""
        return [name for name in self.stacks if self.resources(name, kind)]

    # --- where a resource is ---------------------------------------------------------------------------------
    def region(self, stack: str, resource: dict, cloud: str = "aws") -> str:
        """The region of the provider configuration the resource uses (its ``provider`` alias or the default)."""
        alias = str(resource.get("provider", "")).partition(".")[2] or None
        for config in self.stacks[stack].get("provider", {}).get(cloud, []):
            if config.get("alias") == alias:
                return config["region"]
        raise LookupError(f"{stack}: no {cloud} provider {alias or '(default)'}")

    def default_region(self, stack: str, cloud: str = "aws") -> str:
        return self.region(stack, {}, cloud)

    # --- what a value refers to ------------------------------------------------------------------------------
    def refs(self, stack: str, value: Any) -> Iterator[Ref]:
        """Every resource attribute ``value`` (any JSON) refers to, resolved to the stack that holds it."""
        text = json.dumps(value)
        for m in _LOCAL.finditer(text):
            if m.group(1) != "data":
                yield Ref(stack, *m.groups())
        for m in _REMOTE.finditer(text):
            source, output = m.groups()
            value = self.stacks[source].get("output", {}).get(output, {}).get("value", "")
            for local in _LOCAL.finditer(str(value)):
                yield Ref(source, *local.groups())

    def ref(self, stack: str, value: Any) -> Ref | None:
        """The one resource attribute ``value`` refers to, if it refers to any."""
        return next(self.refs(stack, value), None)

"""How a construct declares the network flows it needs (:mod:`tonebridge.flows`).

The declarations are written into the construct's stack under Terraform's JSON comment key, so
they never reach Terraform and always travel with the synthesized stack that needs them.
"""

from __future__ import annotations

from collections.abc import Iterable

from constructs import Construct

from tonebridge.constructs.aws_context import stack_of
from tonebridge.flows import STACK_KEY, Flow, flows_json

_ATTRIBUTE = "_tonebridge_declared_flows"


def declare_flows(scope: Construct, flows: Iterable[Flow]) -> None:
    """Add ``flows`` to what ``scope``'s stack declares (the fit check proves each is admitted)."""
    stack = stack_of(scope)
    declared: list[Flow] = getattr(stack, _ATTRIBUTE, None) or []
    declared.extend(flows)
    setattr(stack, _ATTRIBUTE, declared)
    stack.add_override(".".join(STACK_KEY), flows_json(declared))


def declared_flows(scope: Construct) -> list[Flow]:
    """Every flow ``scope``'s stack declares so far."""
    return list(getattr(stack_of(scope), _ATTRIBUTE, None) or [])

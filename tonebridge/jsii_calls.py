"""Count the jsii kernel requests of a synthesis, by stack: a measure of its work that does not flake.

Every construct, property read, token and ``synth`` is a request from Python to the jsii kernel
(Node.js) and back: JSON written to a pipe, answered, parsed. Wall-clock time of a synthesis varies
by tens of percent with the machine's load; the number of requests for the same code and
configuration is the same on every run. tests/test_synth_budget.py holds each stack to a budget
(tests/synth_budget.yaml, printed and rewritten by ``make synth-budget``), and ``make bench``
prints the same counts by request kind and construct type beside its timings.

A request is counted for the stack whose Python code made it: the outermost frame on the call
stack whose ``self`` is a ``TerraformStack`` (its constructor, or a method called on it, such as
``add_dependency``); requests made outside any stack (the ``App``, ``synth``) count for ``app``.
Assembly loads (``load``, once per provider package per process) are counted apart, by package:
they depend on what the process imported before, not on a stack.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: The kernel API name of each request type the jsii Python runtime sends.
KINDS = {
    "LoadRequest": "load",
    "CreateRequest": "create",
    "DeleteRequest": "del",
    "GetRequest": "get",
    "SetRequest": "set",
    "StaticGetRequest": "sget",
    "StaticSetRequest": "sset",
    "InvokeRequest": "invoke",
    "StaticInvokeRequest": "sinvoke",
    "BeginRequest": "begin",
    "StaticBeginRequest": "sbegin",
    "EndRequest": "end",
    "CallbacksRequest": "callbacks",
    "CompleteRequest": "complete",
    "_CompleteRequest": "complete",
    "StatsRequest": "stats",
    "GetScriptCommandRequest": "getBinScriptCommand",
}
#: Where requests made outside any stack are counted.
APP = "app"


@dataclass
class Calls:
    """What one counted synthesis asked of the kernel.

    :param requests: (stack, kind, jsii type, member) -> number of requests; loads not included.
    :param seconds: the same keys -> seconds from sending each request to its answer.
    :param loads: assembly name -> seconds its ``load`` took.
    :param sent: requests so far, loads not included (kept up to date while counting; the keyed
        counts above are filled in when counting ends).
    :param waited: seconds those requests took.
    """

    requests: collections.Counter = field(default_factory=collections.Counter)
    seconds: collections.Counter = field(default_factory=collections.Counter)
    loads: dict[str, float] = field(default_factory=dict)
    sent: int = 0
    waited: float = 0.0

    def by_stack(self) -> dict[str, int]:
        """Stack name (or ``app``) -> requests, sorted by name."""
        totals: collections.Counter = collections.Counter()
        for (stack, *_), count in self.requests.items():
            totals[stack] += count
        return dict(sorted(totals.items()))

    def by(self, *positions: int) -> collections.Counter:
        """Requests summed over the key positions not named (0 stack, 1 kind, 2 type, 3 member)."""
        totals: collections.Counter = collections.Counter()
        for key, count in self.requests.items():
            totals[tuple(key[i] for i in positions)] += count
        return totals

    def seconds_by(self, *positions: int) -> collections.Counter:
        totals: collections.Counter = collections.Counter()
        for key, seconds in self.seconds.items():
            totals[tuple(key[i] for i in positions)] += seconds
        return totals

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _target(request) -> tuple[str, str]:
    """(jsii type, member) a request is about."""
    if getattr(request, "fqn", None) is not None:
        return request.fqn, getattr(request, "method", None) or getattr(request, "property", None) or ""
    objref = getattr(request, "objref", None)
    if objref is not None:
        fqn = objref.ref.rsplit("@", 1)[0]
        return fqn, getattr(request, "method", None) or getattr(request, "property", None) or ""
    return "", ""


def _stack_of(frame, stack_type: type):
    """The outermost stack whose code is on the call stack, or None."""
    found = None
    while frame is not None:
        owner = frame.f_locals.get("self") if "self" in frame.f_code.co_varnames else None
        if isinstance(owner, stack_type):
            found = owner
        frame = frame.f_back
    return found


@contextmanager
def counting() -> Iterator[Calls]:
    """Count, in the returned :class:`Calls`, every kernel request this thread sends in the block
    (the loads of cdktf and constructs too, when the block is the first to import them)."""
    from jsii._kernel.providers import process

    stack_type: list[type] = []  # cdktf.TerraformStack, imported once counting is on
    calls = Calls()
    thread = threading.current_thread()
    send = process._NodeProcess.send
    stacks: dict[int, object] = {}  # named when counting ends: a stack has no kernel object yet at its create
    requests: collections.Counter = collections.Counter()
    seconds: collections.Counter = collections.Counter()

    def counted_send(self, request, response_type):
        if threading.current_thread() is not thread:
            return send(self, request, response_type)
        kind = KINDS.get(type(request).__name__, type(request).__name__)
        start = time.perf_counter()
        try:
            return send(self, request, response_type)
        finally:
            elapsed = time.perf_counter() - start
            if kind == "load":
                calls.loads[request.name] = calls.loads.get(request.name, 0.0) + elapsed
            else:
                stack = _stack_of(sys._getframe(1), stack_type[0]) if stack_type else None
                if stack is not None:
                    stacks.setdefault(id(stack), stack)
                key = (id(stack) if stack is not None else None, kind, *_target(request))
                requests[key] += 1
                seconds[key] += elapsed
                calls.sent += 1
                calls.waited += elapsed

    process._NodeProcess.send = counted_send
    try:
        from cdktf import TerraformStack

        stack_type.append(TerraformStack)
        yield calls
    finally:
        process._NodeProcess.send = send
        names = {key: stack.node.id for key, stack in stacks.items()}
        for counter, raw in ((calls.requests, requests), (calls.seconds, seconds)):
            for (stack, *rest), value in raw.items():
                counter[(names.get(stack, APP), *rest)] += value

"""How a props model reports a problem with one of its own fields (cdktf-free, and free of the config
package, which uses these models as its field types)."""

from __future__ import annotations

#: Validation context key: the caller reports a model's own multi-problem rules itself, all of them and
#: together with the cross-model rules (the loader, through semantics.check_environment), so the model's
#: validator leaves them out. Without it (a model built in code) the validator raises the first one.
COLLECTED = "problems_collected_by_semantics"

PathPart = str | int


class FieldProblem(ValueError):
    """Raised by a model validator about one of the model's own fields (a model built in code, see
    :data:`COLLECTED`): the message starts with the field path below the model, ``subnets.private[2]: ...``,
    and ``path``/``reason`` keep both parts."""

    def __init__(self, path: tuple[PathPart, ...], reason: str) -> None:
        dotted = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
        super().__init__(f"{dotted}: {reason}")
        self.path, self.reason = tuple(path), reason

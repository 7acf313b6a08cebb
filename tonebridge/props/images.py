"""Container image references of the in-cluster data stores (CloudNativePG, Redis): pinned to a tag or a
digest, as the registry publishes them. Cdktf-free (rules layer)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

#: ``registry[:port]/path[/...]`` with a tag or a ``sha256`` digest: an image pinned to what was reviewed.
Image = Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[\w.-]+|@sha256:[0-9a-f]{64})$")]


def _not_latest(value: str) -> str:
    if value.endswith(":latest"):
        raise ValueError(f"{value!r} must be pinned to a tag or digest, not latest (it moves under a running cluster)")
    return value


#: An :data:`Image` whose tag is not ``latest`` (a tag that moves would change a running cluster at its next restart).
PinnedImage = Annotated[Image, AfterValidator(_not_latest)]

"""Images by digest where the release path writes digests: a pod whose containers name an image by tag only
is refused in every namespace labelled ``tonebridge.io/image-digest=required``.

A tag can be moved (or, in a registry with mutable tags, overwritten); a digest names one image and nothing
else. Production's application namespace receives its images only from the platform's release job, which
writes ``repository@sha256:…`` into the manifests commit (pipelines/release/Jenkinsfile, after ``crane
digest``) into ECR repositories whose tags are immutable anyway. This ValidatingAdmissionPolicy (admission
in the API server itself, CEL, GA since Kubernetes 1.30: no webhook to run or to fail) makes that the only
way in: a manifest edited by hand to a tag, a ``kubectl set image`` to a tag, or a Deployment of some other
image by tag is refused at CREATE and UPDATE of the pod.

``allowed_by_tag`` names the few exact references the platform itself puts into those namespaces and for
which no digest could be verified (upstream publishes none in its chart): Istio's injected sidecar and the
platform's own jobs. Each is an exact ``repository:tag`` from the version table, never a pattern, and the
docs/security.md lists them with their reason. Ephemeral debug containers (``kubectl debug``) arrive through their own
subresource and are not checked, as for the read-only-root rule. Third-party charts in the platform
namespaces are not bound: their digests cannot be verified offline (docs/security.md, "Images by digest").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.pod_rule import REQUIRED, PodRule, PodRuleProps

#: Namespaces carrying this label (value ``required``) get the policy.
NAMESPACE_LABEL = "tonebridge.io/image-digest"

#: What every image reference must end with (RE2, as CEL's ``matches`` reads it).
DIGEST_PATTERN = "@sha256:[0-9a-f]{64}$"
_TAGGED = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+:[\w.-]+$")


def expression(allowed_by_tag: tuple[str, ...] = ()) -> str:
    """The CEL validation: every container and init container names a digest, or one of ``allowed_by_tag``."""
    allowed = "[" + ", ".join(f"'{ref}'" for ref in allowed_by_tag) + "]"
    pinned = f"c.image.matches('{DIGEST_PATTERN}') || c.image in {allowed}"
    return (
        f"object.spec.containers.all(c, {pinned}) && "
        f"(!has(object.spec.initContainers) || object.spec.initContainers.all(c, {pinned}))"
    )


@dataclass(frozen=True)
class ImageDigestProps(PodRuleProps):
    """:param name: name of the policy and of its binding (cluster-scoped).
    :param allowed_by_tag: exact ``registry/repository:tag`` references admitted without a digest (the
        platform's own images in those namespaces that upstream publishes no digest for)."""

    name: str = "require-image-digest"
    allowed_by_tag: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        for ref in self.allowed_by_tag:
            if not _TAGGED.match(ref) or ref.endswith((":latest", ":stable")):
                raise ValueError(f"allowed_by_tag: {ref!r} must be one exact registry/repository:tag")
        if len(set(self.allowed_by_tag)) != len(self.allowed_by_tag):
            raise ValueError("allowed_by_tag lists a reference twice")


class ImageDigest(PodRule):
    """A :class:`~tonebridge.constructs.pod_rule.PodRule` (attributes ``policy``, ``binding``, ``namespace_labels``)."""

    namespace_labels = {NAMESPACE_LABEL: REQUIRED}

    def __init__(self, scope: Construct, id_: str, props: ImageDigestProps | None = None) -> None:
        props = props or ImageDigestProps()
        allowed = ", ".join(props.allowed_by_tag) or "none"
        super().__init__(
            scope,
            id_,
            props,
            expression=expression(props.allowed_by_tag),
            message="every container and init container must name its image by digest "
            f"(repository@sha256:…, as the release job writes it); by tag only: {allowed}",
        )

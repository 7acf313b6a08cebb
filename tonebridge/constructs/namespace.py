"""A namespace with Pod Security Admission labels (spec §8.3; PodSecurityPolicy was removed in 1.25).

``restricted`` is the default. A component whose pods cannot meet it (node agents that mount host
paths, privileged CSI drivers, the Istio CNI-less sidecar init) must say why in ``reason``; the
reason is kept as an annotation on the namespace, so a cluster operator sees it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps, Dependencies, kube_object
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.props.namespaces import NamespaceSettings

POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
_MINOR = re.compile(r"^1\.\d{1,2}$")
REASON_ANNOTATION = "tonebridge.io/pod-security-reason"


@dataclass(frozen=True)
class NamespaceProps:
    """:param name: DNS label.
    :param pod_security: enforced level; ``audit`` and ``warn`` are always ``restricted``, so a
        relaxed namespace still reports every pod that would fail the strict profile.
    :param kubernetes_version: the cluster's ``1.NN``; the profile is pinned to it (``v1.NN``) so a
        cluster upgrade never tightens or loosens admission by surprise.
    :param reason: required unless ``pod_security`` is ``restricted``.
    :param labels: extra labels (``environment=<name>`` for the application namespaces, mesh injection, ...).
    """

    name: str
    kubernetes_version: str
    pod_security: str = "restricted"
    reason: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, name: str, settings: NamespaceSettings, kubernetes_version: str, labels: Mapping[str, str]
    ) -> NamespaceProps:
        """An application namespace's props from its settings (``labels``: all of them, the admission
        rules' included, which the settings do not know)."""
        return cls(name, kubernetes_version, settings.pod_security, settings.pod_security_reason, labels)

    def __post_init__(self) -> None:
        if not DNS_LABEL.match(self.name):
            raise ValueError(f"namespace {self.name!r} is not a DNS label")
        if self.pod_security not in POD_SECURITY_LEVELS:
            raise ValueError(f"namespace {self.name}: pod_security must be one of {', '.join(POD_SECURITY_LEVELS)}")
        if self.pod_security != "restricted" and not self.reason.strip():
            raise ValueError(f"namespace {self.name}: pod_security {self.pod_security!r} needs a reason")
        if not _MINOR.match(self.kubernetes_version):
            raise ValueError(f"namespace {self.name}: kubernetes_version must look like 1.NN")


class Namespace(Construct):
    """Attributes: ``name``, ``manifest`` (for ``depends_on`` of whatever lives in it)."""

    def __init__(self, scope: Construct, id_: str, props: NamespaceProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.name = props.name
        version = f"v{props.kubernetes_version}"
        labels = {
            **props.labels,
            "kubernetes.io/metadata.name": props.name,
            "pod-security.kubernetes.io/enforce": props.pod_security,
            "pod-security.kubernetes.io/enforce-version": version,
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": version,
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": version,
        }
        metadata: dict = {"name": props.name, "labels": labels}
        if props.reason:
            metadata["annotations"] = {REASON_ANNOTATION: props.reason}
        self.manifest: Manifest = kube_object(
            self,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata},
            depends_on=depends_on,
            construct_id="namespace",
        )


def namespaced_release(
    scope: Construct,
    release_id: str,
    props: ChartReleaseProps,
    kubernetes_version: str,
    *,
    depends_on: Dependencies = (),
) -> tuple[Namespace, Release]:
    """An operator's usual shape: its own ``restricted`` namespace (construct id ``namespace``) and
    its pinned chart released into it (construct id ``release_id``) once the namespace exists."""
    namespace = Namespace(
        scope, "namespace", NamespaceProps(name=props.namespace, kubernetes_version=kubernetes_version)
    )
    release = ChartRelease(scope, release_id, props, depends_on=[namespace.manifest, *depends_on]).release
    return namespace, release

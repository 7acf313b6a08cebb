"""cert-manager and the cluster's private CA, for TLS between in-cluster services (Vault first).

A self-signed ClusterIssuer signs one CA certificate; a CA ClusterIssuer signs every service
certificate with it. Issued secrets carry ``ca.crt``, so a consumer trusts the CA by mounting any
certificate secret issued in its own namespace: no CA is pasted into configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import Construct

from tonebridge.charts import CERT_MANAGER
from tonebridge.constructs.kube import ChartReleaseProps, CustomResources
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import (
    SYSTEM_NODE_SELECTOR,
    SYSTEM_TOLERATIONS,
    check_replicas,
    disruption_budget,
    restricted_container_context,
    restricted_pod_context,
)

CERT_MANAGER_API = "cert-manager.io/v1"


def issuer_ref(name: str) -> dict:
    return {"name": name, "kind": "ClusterIssuer", "group": "cert-manager.io"}


def cert_manager_object(kind: str, metadata: dict, spec: dict) -> dict:
    """A cert-manager resource (``ClusterIssuer``, ``Certificate``) of ``CERT_MANAGER_API``."""
    return {"apiVersion": CERT_MANAGER_API, "kind": kind, "metadata": metadata, "spec": spec}


@dataclass(frozen=True)
class CertManagerProps:
    """:param kubernetes_version: the cluster's ``1.NN`` (namespace pod security pin).
    :param namespace: where cert-manager and the CA's key live (``restricted``).
    :param replicas: controller, webhook and cainjector replicas; ≥ 2 gets PodDisruptionBudgets.
    :param ca_name: prefix of the issuers and CA secret names.
    :param ca_duration: CA certificate lifetime (cert-manager duration).
    """

    kubernetes_version: str
    namespace: str = "cert-manager"
    replicas: int = 2
    ca_name: str = "tonebridge-internal"
    ca_duration: str = "87600h"
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(SYSTEM_NODE_SELECTOR))
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=lambda: list(SYSTEM_TOLERATIONS))

    def __post_init__(self) -> None:
        check_replicas("cert-manager", self.replicas)
        if not self.ca_duration.endswith("h") or not self.ca_duration[:-1].isdigit():
            raise ValueError(f"ca_duration {self.ca_duration!r} must be hours, e.g. 87600h")


class CertManager(Construct):
    """Attributes: ``namespace``, ``release``, ``issuers`` (the CA chain, for ``depends_on``),
    ``ca_issuer`` (name of the ClusterIssuer that signs service certificates)."""

    def __init__(self, scope: Construct, construct_id: str, props: CertManagerProps) -> None:
        super().__init__(scope, construct_id)
        chart = ChartReleaseProps("cert-manager", CERT_MANAGER, props.namespace, _values(props))
        self.namespace, self.release = namespaced_release(self, "chart", chart, props.kubernetes_version)
        selfsigned, ca_secret = f"{props.ca_name}-selfsigned", f"{props.ca_name}-ca"
        self.ca_issuer = f"{props.ca_name}-ca"
        ca = {
            "isCA": True,
            "commonName": f"{props.ca_name} CA",
            "secretName": ca_secret,
            "duration": props.ca_duration,
            "renewBefore": "720h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": issuer_ref(selfsigned),
        }
        objects = [
            cert_manager_object("ClusterIssuer", {"name": selfsigned}, {"selfSigned": {}}),
            cert_manager_object("Certificate", {"name": ca_secret, "namespace": props.namespace}, ca),
            cert_manager_object("ClusterIssuer", {"name": self.ca_issuer}, {"ca": {"secretName": ca_secret}}),
        ]
        issuers = {"release_name": "cert-manager-issuers", "namespace": props.namespace, "objects": objects}
        self.issuers = CustomResources(self, "issuers", **issuers, depends_on=[self.release]).release


def _values(props: CertManagerProps) -> dict:
    placement = {
        "nodeSelector": dict(props.node_selector),
        "tolerations": [dict(t) for t in props.tolerations],
        "securityContext": restricted_pod_context(),
        "containerSecurityContext": restricted_container_context(),
    }
    ha = {"replicaCount": props.replicas, "podDisruptionBudget": disruption_budget(props.replicas, minAvailable=1)}

    def resources(cpu: str, memory: str) -> dict:
        return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": "500m", "memory": memory}}

    return {
        "crds": {"enabled": True, "keep": True},
        **placement,
        **ha,
        "resources": resources("50m", "256Mi"),
        "webhook": {**placement, **ha, "resources": resources("20m", "128Mi")},
        "cainjector": {**placement, **ha, "resources": resources("20m", "256Mi")},
        "startupapicheck": {**placement, "resources": resources("20m", "128Mi")},
    }

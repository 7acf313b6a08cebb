"""Istio service mesh (spec §3.3) from its Helm charts: base, cni, istiod and an ingress gateway.

The spec's IstioOperator (install.istio.io) is gone; the charts take the same values. Sidecars
normally get an ``istio-init`` container with NET_ADMIN and NET_RAW to set up traffic capture,
which Pod Security ``restricted`` rejects. The Istio CNI node agent does that work on the node
instead, so application namespaces stay ``restricted``; the agent itself is privileged and gets
a namespace of its own that says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.charts import ISTIO_BASE, ISTIO_CNI, ISTIO_GATEWAY, ISTIOD
from tonebridge.constructs.kube import CustomResources, Dependencies, chart_release
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.pod_defaults import restricted_container_context, restricted_pod_context
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.props.istio import IstioSettings

#: The current (GA) API of Istio's security resources.
PEER_AUTHENTICATION_API = "security.istio.io/v1"
#: Gateway's health port and path (the ALB health-checks these).
GATEWAY_STATUS_PORT = 15021
GATEWAY_HEALTH_PATH = "/healthz/ready"
#: Istio's proxies run as this user (sidecars and gateways).
PROXY_UID = 1337
#: The networking API of Istio's Gateway and VirtualService (GA).
NETWORKING_API = "networking.istio.io/v1"
CNI_REASON = (
    "Istio CNI node agent: installs the CNI plugin into the host's CNI binary and configuration directories "
    "(hostPath) and sets up traffic capture in pod network namespaces, so that sidecar-injected pods "
    "need no NET_ADMIN/NET_RAW init container and application namespaces stay restricted"
)


@dataclass(frozen=True)
class MtlsPortException:
    """Pods ``match_labels`` of ``namespace`` keep STRICT mTLS except on ``ports``, which also accept
    clients outside the mesh (the CloudNativePG operator and Prometheus, CI's integration tests)."""

    namespace: str
    name: str
    match_labels: Mapping[str, str]
    ports: Sequence[int]
    reason: str

    def __post_init__(self) -> None:
        if not self.match_labels or not self.ports or not self.reason:
            raise ValueError(f"mtls exception {self.name}: a selector, ports and a reason are required")
        if not all(1 <= port <= 65535 for port in self.ports):
            raise ValueError(f"mtls exception {self.name}: ports must be 1-65535")


@dataclass(frozen=True)
class IstioProps:
    """Props of :class:`Istio`.

    kubernetes_version: the cluster's ``1.NN`` (pins the namespaces' pod security profile).
    settings: the configured namespaces (control plane and gateway, restricted; the CNI node agent,
        privileged with the reason), istiod's and the gateway's autoscaler ranges (spec: 2-5, 2-10)
        and the containers' requests/limits (:class:`~tonebridge.props.istio.IstioSettings`).
    gateway_name: release name, which names the gateway's Deployment and Service.
    node_selector, tolerations: where istiod runs (the platform stack: the application pool).
    strict_mtls_namespaces: namespaces that get PeerAuthentication ``default`` with mTLS STRICT (the
        stack resolves the setting's default, every namespace with sidecar injection).
    mtls_port_exceptions: workloads of those namespaces whose listed ports also accept clients
        outside the mesh (each with its reason; NetworkPolicies still decide who may connect).
    """

    kubernetes_version: str
    settings: IstioSettings = field(default_factory=IstioSettings)
    gateway_name: str = "istio-ingressgateway"
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=tuple)
    strict_mtls_namespaces: Sequence[str] = field(default_factory=tuple)
    mtls_port_exceptions: Sequence[MtlsPortException] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        settings = self.settings
        for exception in self.mtls_port_exceptions:
            if exception.namespace not in self.strict_mtls_namespaces:
                raise ValueError(f"mtls exception {exception.name}: {exception.namespace} is not STRICT")
        for name in (settings.namespace, settings.cni_namespace, self.gateway_name, *self.strict_mtls_namespaces):
            if not DNS_LABEL.match(name):
                raise ValueError(f"{name!r} is not a DNS label")
        if settings.namespace == settings.cni_namespace:
            raise ValueError("cni_namespace: the privileged CNI agent needs a namespace of its own")
        for label, autoscale in (
            ("istiod_autoscale", settings.istiod_autoscale),
            ("gateway_autoscale", settings.gateway_autoscale),
        ):
            if not 1 <= autoscale.min <= autoscale.max:
                raise ValueError(f"{label}: need 1 <= min <= max, got {autoscale.min}-{autoscale.max}")


class Istio(Construct):
    """Istio control plane, CNI node agent and ingress gateway; STRICT mTLS where asked.

    Attributes: ``namespace`` (the Namespace), ``base``, ``cni``, ``istiod``, ``gateway`` (ChartRelease),
    ``gateway_service`` (name of the gateway's Service), ``gateway_selector`` (labels of the gateway's pods a
    ``Gateway`` selects them by), ``peer_authentication`` (CustomResources or None), ``ready`` (what a mesh user
    should depend on).
    """

    def __init__(self, scope: Construct, id_: str, props: IstioProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.props = props
        version, ns, cni_ns = props.kubernetes_version, props.settings.namespace, props.settings.cni_namespace
        # ``name`` as well: spec §8.1 admits gateway traffic by the label name=istio-system.
        self.namespace = Namespace(self, "namespace", NamespaceProps(ns, version, labels={"name": ns}))
        cni_props = NamespaceProps(cni_ns, version, pod_security="privileged", reason=CNI_REASON)
        self.cni_namespace = Namespace(self, "cni-namespace", cni_props)
        base = ("istio-base", ISTIO_BASE, ns)
        self.base = chart_release(
            self, "base", base, {"defaultRevision": "default"}, depends_on=[self.namespace.manifest, *depends_on]
        )
        cni = ("istio-cni", ISTIO_CNI, cni_ns)
        self.cni = chart_release(
            self, "cni", cni, self._cni_values(), depends_on=[self.cni_namespace.manifest, self.base.release]
        )
        istiod = ("istiod", ISTIOD, ns)
        self.istiod = chart_release(
            self, "istiod", istiod, self._istiod_values(), depends_on=[self.base.release, self.cni.release]
        )
        gateway = (props.gateway_name, ISTIO_GATEWAY, ns)
        self.gateway = chart_release(self, "gateway", gateway, self._gateway_values(), depends_on=[self.istiod.release])
        self.gateway_service = props.gateway_name
        self.gateway_selector = gateway_selector(props.gateway_name)
        self.peer_authentication: CustomResources | None = None
        if props.strict_mtls_namespaces:
            objects = [
                *(strict_mtls(namespace) for namespace in props.strict_mtls_namespaces),
                *(mtls_port_exception(e) for e in props.mtls_port_exceptions),
            ]
            mtls = {"release_name": "istio-strict-mtls", "namespace": ns, "objects": objects}
            self.peer_authentication = CustomResources(self, "mtls", **mtls, depends_on=[self.istiod.release])
        self.ready: list[ITerraformDependable] = [self.istiod.release, self.gateway.release]

    def _placement(self) -> dict[str, Any]:
        return {
            "nodeSelector": dict(self.props.node_selector),
            "tolerations": list(self.props.tolerations),
        }

    def _cni_values(self) -> dict[str, Any]:
        # A node agent runs on every node (the chart tolerates every taint): pods anywhere need it.
        # No ``global.istioNamespace``: no template of the cni chart reads it (the agent finds
        # istiod through the sidecars it serves, not by namespace).
        return {
            "resources": self.props.settings.cni_resources.manifest(),
            "seccompProfile": {"type": "RuntimeDefault"},
        }

    def _istiod_values(self) -> dict[str, Any]:
        low, high = self.props.settings.istiod_autoscale.min, self.props.settings.istiod_autoscale.max
        return {
            "autoscaleEnabled": True,
            "autoscaleMin": low,
            "autoscaleMax": high,
            "replicaCount": low,
            "resources": self.props.settings.istiod_resources.manifest(),
            "seccompProfile": {"type": "RuntimeDefault"},
            **self._placement(),
            # Sidecars' traffic capture is set up by the CNI agent: no privileged istio-init container.
            "cni": {"enabled": True},
            "global": {
                "istioNamespace": self.props.settings.namespace,
                "proxy": {"resources": self.props.settings.proxy_resources.manifest()},
                "defaultPodDisruptionBudget": {"enabled": True},
            },
        }

    def _gateway_values(self) -> dict[str, Any]:
        low, high = self.props.settings.gateway_autoscale.min, self.props.settings.gateway_autoscale.max
        return {
            "autoscaling": {
                "enabled": True,
                "minReplicas": low,
                "maxReplicas": high,
                "targetCPUUtilizationPercentage": 80,
            },
            # No replicaCount: with autoscaling on, the chart leaves the Deployment's replicas to the HPA.
            "resources": self.props.settings.gateway_resources.manifest(),
            # The chart renders a budget only where the autoscaler keeps more than one replica.
            **({"podDisruptionBudget": {"minAvailable": 1}} if low > 1 else {}),
            # The ALB sends traffic straight to the pods (target type ip): no cloud load balancer here.
            "service": {"type": "ClusterIP"},
            # Binding 80/443 as a non-root user needs only this namespaced, restricted-safe sysctl.
            "securityContext": restricted_pod_context(
                sysctls=[{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
            ),
            "containerSecurityContext": {
                **restricted_container_context(),
                "runAsUser": PROXY_UID,
                "runAsGroup": PROXY_UID,
            },
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app": self.props.gateway_name}},
                }
            ],
        }


def gateway_selector(release: str) -> dict[str, str]:
    """The label the gateway chart puts on its pods for ``Gateway`` selectors: ``istio: <release without
    "istio-">`` (the chart's ``gateway.selectorLabels`` at 1.30: ``istio-ingressgateway`` -> ``ingressgateway``)."""
    return {"istio": release.removeprefix("istio-")}


def mtls_port_exception(exception: MtlsPortException) -> dict[str, Any]:
    """A workload PeerAuthentication: STRICT, with PERMISSIVE only on the listed ports (reason annotated)."""
    return {
        "apiVersion": PEER_AUTHENTICATION_API,
        "kind": "PeerAuthentication",
        "metadata": {
            "name": exception.name,
            "namespace": exception.namespace,
            "annotations": {"tonebridge.io/mtls-exception-reason": exception.reason},
        },
        "spec": {
            "selector": {"matchLabels": dict(exception.match_labels)},
            "mtls": {"mode": "STRICT"},
            "portLevelMtls": {str(port): {"mode": "PERMISSIVE"} for port in exception.ports},
        },
    }


def strict_mtls(namespace: str) -> dict[str, Any]:
    """PeerAuthentication ``default``: every workload in ``namespace`` accepts mutual TLS only."""
    return {
        "apiVersion": PEER_AUTHENTICATION_API,
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {"mtls": {"mode": "STRICT"}},
    }

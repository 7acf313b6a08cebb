"""Istio settings (spec §3.3): both ``platform.<region>.istio`` in the YAML and the settings
:class:`tonebridge.constructs.istio.Istio` takes. Defaults are the values of the spec's IstioOperator.

What is not configuration (the cluster's version, placement, the STRICT namespaces once resolved,
the mTLS port exceptions the stack derives) is passed to the construct as wiring by the stack.
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.props.types import ContainerResources, StrictModel


def _resources(cpu: str, memory: str, limit_cpu: str, limit_memory: str) -> ContainerResources:
    return ContainerResources(cpu_request=cpu, memory_request=memory, cpu_limit=limit_cpu, memory_limit=limit_memory)


class Autoscale(StrictModel):
    """A HorizontalPodAutoscaler's replica range; ``min`` may not exceed ``max`` (config/semantics.py)."""

    min: int = Field(
        ge=1, le=100, description="Fewest replicas the autoscaler keeps (istiod also starts with this many)."
    )
    max: int = Field(
        ge=1,
        le=100,
        description="Most replicas the autoscaler may run (istiod: its node pool must fit that many).",
    )


class IstioSettings(StrictModel):
    """Istio from its Helm charts (base, istiod, cni, gateway): the values of the spec's IstioOperator."""

    enabled: bool = Field(
        default=True,
        description="Install Istio in this region; `edge` needs it (the ALB forwards to the Istio gateway).",
    )
    namespace: str = Field(
        default="istio-system",
        description="Namespace of istiod and the ingress gateway (§3.3); labelled `name=<namespace>`, by which the "
        "NetworkPolicies of §8.1 admit gateway traffic.",
    )
    cni_namespace: str = Field(
        default="istio-cni",
        description="Privileged namespace of the Istio CNI node agent, which sets up the sidecars' traffic capture so "
        "application namespaces stay `restricted`; must differ from `namespace`.",
    )
    istiod_autoscale: Autoscale = Field(
        default=Autoscale(min=2, max=5), description="Replica range of istiod (§3.3 `pilot.autoscaleMin/Max`)."
    )
    istiod_resources: ContainerResources = Field(
        default=_resources("500m", "2048Mi", "2", "4Gi"),
        description="istiod's container (§3.3 `pilot.resources` requests; the limits are this project's).",
    )
    proxy_resources: ContainerResources = Field(
        default=_resources("100m", "128Mi", "200m", "256Mi"),
        description="Each injected sidecar proxy (§3.3 `global.proxy.resources`), added to every meshed pod.",
    )
    gateway_autoscale: Autoscale = Field(
        default=Autoscale(min=2, max=10),
        description="Replica range of the ingress gateway (§3.3 `istio-ingressgateway`); with `min` above 1, a "
        "disruption budget keeps one replica up.",
    )
    gateway_resources: ContainerResources = Field(
        default=_resources("100m", "128Mi", "2", "1Gi"), description="The ingress gateway's container."
    )
    cni_resources: ContainerResources = Field(
        default=_resources("100m", "100Mi", "500m", "256Mi"), description="The CNI node agent on every node."
    )
    strict_mtls_namespaces: list[str] | None = Field(
        default=None,
        description="Namespaces that get a PeerAuthentication 'default' with mTLS STRICT; default every "
        "namespace with sidecar injection (production and staging alike).",
    )

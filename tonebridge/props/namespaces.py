"""Settings of the platform's base (spec §3.2, §8.1, §8.3, §12.2): both ``platform.<region>.namespaces`` /
``platform.<region>.storage`` in the YAML and what :func:`tonebridge.features.foundation.add_foundation` and its
constructs (Namespace, ResourceLimits, NetworkIsolation, StorageClasses) take.

The spec's values are the defaults where the spec gives them. Rules that relate several fields
(min ≤ defaultRequest ≤ default ≤ max, requests ≤ limits, gp3 ratios, restricted application
namespaces) live in :mod:`tonebridge.config.semantics`, so each is reported at its exact field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tonebridge import eksrules
from tonebridge.props.types import DnsLabel, Quantity, StrictModel

#: The label that makes Istio inject sidecars into a namespace's pods (its pods then need istiod).
MESH_INJECTION = ("istio-injection", "enabled")

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]


class ComputeAmount(StrictModel):
    """A CPU and a memory amount (Kubernetes quantities): one bound of a LimitRange (§12.2)."""

    cpu: Quantity = Field(description="Cores, whole or in millicores (`500m`).")
    memory: Quantity = Field(description="Bytes with a binary unit (`512Mi`, `4Gi`).")


class ResourceQuotaSettings(StrictModel):
    """A namespace's ResourceQuota; defaults are spec §3.2 / §12.2 (production)."""

    name: DnsLabel = Field(default="production-quota", description="Name of the ResourceQuota object.")
    requests_cpu: Quantity = Field(
        default="100", description="Total CPU the namespace's pods may request (`requests.cpu`), in cores."
    )
    requests_memory: Quantity = Field(
        default="200Gi", description="Total memory the namespace's pods may request (`requests.memory`)."
    )
    limits_cpu: Quantity = Field(
        default="200", description="Total of the namespace's CPU limits (`limits.cpu`), in cores."
    )
    limits_memory: Quantity = Field(
        default="400Gi", description="Total of the namespace's memory limits (`limits.memory`)."
    )
    persistentvolumeclaims: int = Field(
        default=10, ge=0, description="Most PersistentVolumeClaims the namespace may hold."
    )


class LimitRangeSettings(StrictModel):
    """Per-container bounds and defaults (LimitRange type Container); defaults are spec §12.2."""

    name: DnsLabel = Field(default="resource-limits", description="Name of the LimitRange object.")
    max: ComputeAmount = Field(
        default=ComputeAmount(cpu="2", memory="4Gi"),
        description="Most one container may set as its limits (§12.2 `max`).",
    )
    min: ComputeAmount = Field(
        default=ComputeAmount(cpu="100m", memory="128Mi"), description="Least one container may request (§12.2 `min`)."
    )
    default: ComputeAmount = Field(
        default=ComputeAmount(cpu="500m", memory="512Mi"),
        description="Limits of a container that sets none (§12.2 `default`); with a quota, the API server refuses "
        "pods without limits.",
    )
    default_request: ComputeAmount = Field(
        default=ComputeAmount(cpu="200m", memory="256Mi"),
        description="Requests of a container that sets none (§12.2 `defaultRequest`).",
    )


class ServiceTrafficSettings(StrictModel):
    """Who may reach one service (pods labelled ``app: <name>``) and where it may connect (§8.1)."""

    port: int = Field(ge=1, le=65535, description="The container port it serves on.")
    from_namespaces: list[DnsLabel] = Field(default=[], description="Whole namespaces that may connect.")
    from_services: list[DnsLabel] = Field(default=[], description="Services of this namespace that may connect.")
    to_services: list[DnsLabel] = Field(
        default=[], description="Services of this namespace it may connect to, on their ports."
    )
    external_https: bool = Field(
        default=False,
        description="May open HTTPS (443) connections to any address (0.0.0.0/0): the third-party APIs whose keys "
        "it is given (llm-service's `openai-api-key`). Off: no egress outside the service graph.",
    )


#: Spec §8.1: api-gateway is entered from the mesh's gateways and calls llm-service and auth-service;
#: llm-service calls OpenAI's API (spec §8.2 gives it ``openai-api-key``) over HTTPS.
SPEC_SERVICES = {
    "api-gateway": ServiceTrafficSettings(
        port=8080, from_namespaces=["istio-system"], to_services=["llm-service", "auth-service"]
    ),
    "llm-service": ServiceTrafficSettings(port=8000, from_services=["api-gateway"], external_https=True),
    "auth-service": ServiceTrafficSettings(port=8001, from_services=["api-gateway"]),
}


class NetworkIsolationSettings(StrictModel):
    """Default-deny ingress and egress, DNS allowed, and the service graph of spec §8.1."""

    services: dict[DnsLabel, ServiceTrafficSettings] = Field(
        default=SPEC_SERVICES,
        description="The namespace's services by name (pods labelled `app: <name>`) and the traffic each may take "
        "and send; everything else is denied. The default is spec §8.1's graph, with llm-service's HTTPS egress "
        "(`external_https`: it calls OpenAI with spec §8.2's `openai-api-key`).",
    )


class NamespaceSettings(StrictModel):
    """One application namespace (spec §3.2) and what applies inside it."""

    environment: str | None = Field(
        default=None,
        description="Value of the `environment` label (spec §3.2). A CloudNativePG cluster in a namespace of "
        "another environment than production backs up to '<backups.bucket>-<environment>', which must then be "
        "an S3 bucket name (lowercase, no '_').",
    )
    pod_security: PodSecurityLevel = Field(
        default="restricted",
        description="Pod Security Standard the namespace enforces (audit and warn stay `restricted`); a lower level "
        "needs `pod_security_reason` (§8.3).",
    )
    pod_security_reason: str = Field(default="", description="Required below restricted; kept as an annotation.")
    read_only_root_filesystem: bool = Field(
        default=True, description="Admit only pods whose containers have a read-only root filesystem (§8.3)."
    )
    require_image_digest: bool = Field(
        default=False,
        description="Admit only pods whose images are named by digest (repository@sha256:…): the namespaces the "
        "release job deploys to by digest (production's application namespace).",
    )
    labels: dict[str, str] = Field(default={}, description="Extra labels (istio-injection, ...).")
    quota: ResourceQuotaSettings | None = None
    limit_range: LimitRangeSettings | None = None
    network_isolation: NetworkIsolationSettings | None = None

    @field_validator("environment")
    @classmethod
    def _environment(cls, environment: str | None) -> str | None:
        problem = environment is not None and eksrules.label_problem("environment", environment)
        if problem:
            raise ValueError(problem)
        return environment

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for key, value in labels.items():
            problem = eksrules.label_problem(key, value)
            if problem:
                raise ValueError(problem)
            if key == "environment" or key.startswith(
                ("pod-security.kubernetes.io/", "kubernetes.io/", "tonebridge.io/")
            ):
                raise ValueError(f"label {key!r} is set by the platform, not in `labels`")
        return labels

    @property
    def meshed(self) -> bool:
        """Whether Istio injects sidecars into this namespace's pods."""
        return self.labels.get(MESH_INJECTION[0]) == MESH_INJECTION[1]

    def namespace_labels(self) -> dict[str, str]:
        """The configured labels and the spec's ``environment`` label (the admission rules add theirs)."""
        return {**self.labels, **({"environment": self.environment} if self.environment else {})}


class FastSsdSettings(StrictModel):
    """The ``fast-ssd`` StorageClass every stateful component of the spec asks for (EBS gp3; §4.1, §4.2, §7.2)."""

    iops: int = Field(default=3000, description="Provisioned IOPS of every volume (gp3: 3,000-16,000).")
    throughput: int = Field(default=125, description="Provisioned MiB/s of every volume (gp3: 125-1,000).")
    smallest_volume_gib: int = Field(
        default=10, description="Smallest claim the class must serve; gp3 allows at most 500 IOPS per GiB."
    )
    reclaim_policy: Literal["Retain", "Delete"] = Field(
        default="Retain",
        description="What becomes of a volume whose claim is deleted: `Retain` keeps it (a database outlives its "
        "claim; released volumes are reclaimed by hand), `Delete` deletes it.",
    )


class StorageSettings(StrictModel):
    """The cluster's StorageClasses: `fast-ssd`, which the spec's data stores ask for (§4.1, §4.2, §7.2); the
    default `gp3` class, for scratch and cache claims, takes no settings."""

    fast_ssd: FastSsdSettings = FastSsdSettings()

"""In-cluster image scanning settings (spec §5.2): both ``platform.<region>.scanning`` in the YAML and
the settings :class:`tonebridge.constructs.trivy.TrivyOperator` takes. Each rule on a setting is
declared once, here; the construct takes the object as it is, beside the wiring the stack decides
(the cluster's version, where the operator runs).

cdktf-free (the rules layer): config imports it as a field type, the construct as its input.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tonebridge.props.types import ContainerResources, StrictModel

#: Trivy's severities, lowest first.
Severity = Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class ScanningSettings(StrictModel):
    """Spec §5.2: trivy-operator reporting HIGH and CRITICAL vulnerabilities as VulnerabilityReports."""

    enabled: bool = Field(default=True, description="Run trivy-operator in this region (namespace trivy-system).")
    severities: list[Severity] = Field(
        default_factory=lambda: ["HIGH", "CRITICAL"],
        min_length=1,
        description="Severities of the vulnerabilities the reports keep (§5.2 `--severity HIGH,CRITICAL`); distinct.",
    )
    ignore_unfixed: bool = Field(
        default=False, description="Leave out vulnerabilities for which no fixed version has been released."
    )
    concurrent_scan_jobs: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Most scan jobs running at once; the nodes they run on must fit that many.",
    )
    scan_job_timeout: str = Field(
        default="10m", pattern=r"^\d+[smh]$", description="How long one scan job may run before it is stopped."
    )
    scan_job_node_selector: dict[str, str] = Field(
        default_factory=lambda: {"workload": "application"},
        description="Node labels of the scan jobs' nodes: they pull and unpack images, so the application pool.",
    )
    scan_job_resources: ContainerResources = ContainerResources(
        cpu_request="100m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi"
    )

    @field_validator("severities")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("severities must be distinct")
        return value

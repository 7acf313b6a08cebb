"""Settings of the observability stack (spec §7.1) that are the construct's input as they are the
configuration's schema: ``platform.<region>.observability.metrics.rules`` is :class:`AlertRules`, and
:func:`~tonebridge.constructs.observability.metrics.prometheus_rules` renders the rule files from
that same object. Each rule on a threshold is declared once, here, as a field constraint.

cdktf-free (the rules layer): config imports it as a field type, the construct as its input.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tonebridge.props.types import DnsLabel, StrictModel

#: Prometheus durations as its configuration writes them ("15s", "1m", "30d").
Duration = Annotated[str, Field(pattern=r"^[1-9]\d*(ms|s|m|h|d|w|y)$")]


class AlertRules(StrictModel):
    """Alert thresholds of the rule files (spec §7.1 ``rule_files``); ``services`` are Istio
    ``destination_workload`` names in ``services_namespace``."""

    services: list[DnsLabel] = Field(
        default_factory=lambda: ["api-gateway", "llm-service"],
        min_length=1,
        description="Workloads (Istio destination_workload) whose error rate and latency are alerted on.",
    )
    services_namespace: DnsLabel = "production"
    error_rate: float = Field(default=0.05, gt=0, lt=1, description="Share of 5xx responses over 5 minutes.")
    latency_p99_ms: int = Field(default=2000, ge=10, description="99th percentile request latency.")
    node_cpu_ratio: float = Field(default=0.9, gt=0, le=1)
    node_memory_ratio: float = Field(default=0.9, gt=0, le=1)
    disk_usage_ratio: float = Field(default=0.85, gt=0, lt=1)
    for_duration: Duration = Field(default="10m", description="How long a condition holds before it fires.")

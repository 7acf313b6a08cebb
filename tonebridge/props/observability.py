"""Settings of the observability stack (spec §7.1) that are the construct's input as they are the
configuration's schema: ``platform.<region>.observability.metrics`` is :class:`MetricsSettings`
(with its :class:`AlertRules` and :class:`AlertReceiverSettings`), and
:class:`~tonebridge.constructs.observability.metrics.MetricsProps` takes that same object beside
the wiring the stack decides (namespaces, secret names, placement). Each rule on a setting is
declared once, here, as a field constraint; the construct checks only its wiring.

cdktf-free (the rules layer): config imports it as a field type, the construct as its input.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tonebridge.props.types import ContainerResources, DnsLabel, Quantity, StrictModel
from tonebridge.props.vault import VaultPath

#: Prometheus durations as its configuration writes them ("15s", "1m", "30d").
Duration = Annotated[str, Field(pattern=r"^[1-9]\d*(ms|s|m|h|d|w|y)$")]
Port = Annotated[int, Field(ge=1, le=65535)]


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


class VaultSecretRef(StrictModel):
    """A Vault KV v2 secret (``mount``/``path``) that the Vault Secrets Operator copies into the
    monitoring namespace (the construct's input as the configuration writes it)."""

    mount: VaultPath = "secret"
    path: VaultPath


class AlertReceiverSettings(StrictModel):
    """Where Alertmanager sends alerts: a webhook whose URL (it carries a token) lives in Vault."""

    name: DnsLabel = "oncall"
    webhook: VaultSecretRef = VaultSecretRef(path="monitoring/alertmanager")
    webhook_key: str = Field(default="url", pattern=r"^[A-Za-z0-9_.-]+$")
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"
    send_resolved: bool = True


class MetricsSettings(StrictModel):
    """kube-prometheus-stack; spec §7.1's intervals, Alertmanager port and scrape jobs. The
    configuration's ``observability.metrics`` and, as it is, the input of
    :class:`~tonebridge.constructs.observability.metrics.MetricsProps`."""

    scrape_interval: Duration = "15s"
    evaluation_interval: Duration = "15s"
    alertmanager_port: Port = 9093
    prometheus_replicas: int = Field(default=2, ge=1, le=5)
    alertmanager_replicas: int = Field(default=3, ge=1, le=5)
    retention: Duration = "15d"
    retention_size: str = Field(default="90GB", pattern=r"^\d+(MB|GB|TB)$")
    storage_size: Quantity = "100Gi"
    alertmanager_storage_size: Quantity = "10Gi"
    storage_class: DnsLabel = "fast-ssd"
    prometheus_resources: ContainerResources = ContainerResources(
        cpu_request="1", memory_request="4Gi", cpu_limit="2", memory_limit="8Gi"
    )
    rules: AlertRules = AlertRules()
    receiver: AlertReceiverSettings = AlertReceiverSettings()
    scrape_ports: list[Port] = Field(
        default_factory=lambda: [15020],
        description="Ports Prometheus may reach in namespaces with a default deny (15020: Istio's merged metrics).",
    )

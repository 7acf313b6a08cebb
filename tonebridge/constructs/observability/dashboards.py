"""Grafana dashboards (spec §7.3), generated from code and delivered as ConfigMaps that Grafana's
dashboard sidecar loads (label ``grafana_dashboard=1`` in Grafana's namespace).

The spec writes the dashboard inside a ``{"dashboard": ...}`` envelope, which is the shape of
Grafana's HTTP API. File provisioning (what the sidecar does) takes the dashboard model itself,
so the ConfigMap carries the model: the spec's title, its four panels in its order, each with its
exact PromQL, laid out on Grafana's 24-column grid, against the Prometheus data source that
kube-prometheus-stack provisions (uid ``prometheus``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PROMETHEUS_DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
_UID = re.compile(r"^[a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Panel:
    """A time-series panel with one PromQL query; ``unit`` is a Grafana unit id."""

    title: str
    expr: str
    unit: str = "short"


@dataclass(frozen=True)
class Dashboard:
    """A dashboard: title, uid (stable across renames, ≤ 40 characters) and panels, two per row."""

    title: str
    uid: str
    panels: Sequence[Panel]
    file_name: str = ""
    refresh: str = "30s"
    time_from: str = "now-6h"

    @property
    def key(self) -> str:
        """The ConfigMap key (file name) the sidecar writes it to."""
        return self.file_name or f"{self.uid}.json"

    def __post_init__(self) -> None:
        if not _UID.match(self.uid):
            raise ValueError(f"dashboard {self.title!r}: uid {self.uid!r} must be 1-40 of [a-z0-9-]")
        if not self.panels:
            raise ValueError(f"dashboard {self.title!r}: no panels")
        if len({p.title for p in self.panels}) != len(self.panels):
            raise ValueError(f"dashboard {self.title!r}: panel titles must be distinct")


#: Spec §7.3, "Infrastructure Overview": titles and expressions exactly as the spec writes them.
INFRASTRUCTURE_OVERVIEW = Dashboard(
    title="Infrastructure Overview",
    uid="infrastructure-overview",
    file_name="infrastructure.json",  # the spec's ConfigMap key
    panels=(
        Panel("Cluster CPU Usage", "sum(rate(container_cpu_usage_seconds_total[5m])) by (node)", "short"),
        Panel("Memory Usage", "sum(container_memory_usage_bytes) by (node)", "bytes"),
        Panel("Network I/O", "sum(rate(container_network_receive_bytes_total[5m]))", "Bps"),
        Panel("Disk Usage", "sum(node_filesystem_size_bytes - node_filesystem_free_bytes) by (instance)", "bytes"),
    ),
)


def dashboard_model(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard model Grafana provisions from a file (no id: Grafana assigns it)."""
    panels = []
    for index, panel in enumerate(dashboard.panels):
        panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": dict(PROMETHEUS_DATASOURCE),
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "targets": [{"refId": "A", "expr": panel.expr, "datasource": dict(PROMETHEUS_DATASOURCE)}],
            }
        )
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "tags": ["tonebridge", "infrastructure"],
        "timezone": "utc",
        "editable": False,
        "refresh": dashboard.refresh,
        "time": {"from": dashboard.time_from, "to": "now"},
        "schemaVersion": 39,
        "panels": panels,
    }


def dashboards_config_map(
    namespace: str, dashboards: Sequence[Dashboard], label: tuple[str, str] = ("grafana_dashboard", "1")
) -> dict[str, Any]:
    """One ConfigMap (the spec's ``grafana-dashboards``) with a key per dashboard, labelled for Grafana's sidecar."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "grafana-dashboards", "namespace": namespace, "labels": {label[0]: label[1]}},
        "data": {d.key: json.dumps(dashboard_model(d), indent=2, sort_keys=True) for d in dashboards},
    }

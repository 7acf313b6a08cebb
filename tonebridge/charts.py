"""Every Helm chart the platform installs, pinned to a repository and a version in one place.

The versions come from the version table (tonebridge/versions.yaml): an upgrade is a change there,
reviewed with the chart's release notes; nothing in the code names a chart version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tonebridge import versions
from tonebridge.paths import PROJECT_ROOT

#: A chart at an exact version in a named repository: the version table's own pin (one model, no copy).
HelmChart = versions.ChartPin


@dataclass(frozen=True)
class LocalChart:
    """A chart kept in this repository (charts/<name>); its version is read from its Chart.yaml."""

    directory: Path

    @cached_property
    def version(self) -> str:
        match = re.search(r"^version:\s*(\S+)\s*$", (self.directory / "Chart.yaml").read_text(), re.MULTILINE)
        if not match:
            raise ValueError(f"{self.directory / 'Chart.yaml'} has no version")
        return match.group(1)


def _pinned(name: str) -> HelmChart:
    """The chart ``name`` as the version table (tonebridge/versions.yaml) pins it."""
    return versions.chart(name)


# Versions, upstream support windows and the reasons for each pin are in tonebridge/versions.yaml.
ISTIO_BASE = _pinned("base")
ISTIOD = _pinned("istiod")
ISTIO_GATEWAY = _pinned("gateway")
ISTIO_CNI = _pinned("cni")
#: 3.x (controller v3): the controller's IAM policy gained the v3 actions (controller_policies.py).
AWS_LOAD_BALANCER_CONTROLLER = _pinned("aws-load-balancer-controller")
ARGO_CD = _pinned("argo-cd")
VAULT = _pinned("vault")
VAULT_SECRETS_OPERATOR = _pinned("vault-secrets-operator")
SECRETS_STORE_CSI_DRIVER = _pinned("secrets-store-csi-driver")
CERT_MANAGER = _pinned("cert-manager")
TRIVY_OPERATOR = _pinned("trivy-operator")
#: The chart's minor follows cluster-autoscaler's, which follows Kubernetes'; the image tag itself comes from
#: configuration, checked against the cluster.
CLUSTER_AUTOSCALER = _pinned("cluster-autoscaler")
#: Karpenter 1.9+ supports Kubernetes 1.35. Its CRDs come from KARPENTER_CRD, a release of their own before it.
KARPENTER = _pinned("karpenter")
KARPENTER_CRD = _pinned("karpenter-crd")
METRICS_SERVER = _pinned("metrics-server")
#: Operator 1.30 (the chart is one minor behind the operator); 1.30/1.31 still carry in-tree barmanObjectStore.
CLOUDNATIVE_PG = _pinned("cloudnative-pg")
#: Its CRDs serve redis.redis.opstreelabs.in/v1beta2.
REDIS_OPERATOR = _pinned("redis-operator")

#: Jenkins (spec §6.2). Controller image, plugins and agent images are set explicitly in configuration
#: (platform.<region>.ci), so none of the chart's defaults reaches the cluster unpinned.
JENKINS = _pinned("jenkins")

#: Custom resources of every component go through this chart (see charts/tonebridge-resources/Chart.yaml).
RESOURCES = LocalChart(PROJECT_ROOT / "charts" / "tonebridge-resources")
#: Prometheus Operator, Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics;
#: the admission webhook's failurePolicy accepts IgnoreOnInstallOnly.
KUBE_PROMETHEUS_STACK = _pinned("kube-prometheus-stack")
#: ECK: serves elasticsearch.k8s.elastic.co/v1, kibana.k8s.elastic.co/v1, beat.k8s.elastic.co/v1beta1.
ECK_OPERATOR = _pinned("eck-operator")

"""Every Helm chart the platform installs, pinned to a repository and a version in one place.

An upgrade is a one-line change here, reviewed with its chart's release notes; nothing else in
the code names a chart version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tonebridge.paths import PROJECT_ROOT


@dataclass(frozen=True)
class HelmChart:
    """A chart at an exact version in a named repository (``oci://`` repositories included)."""

    repository: str
    chart: str
    version: str

    def __post_init__(self) -> None:
        if not self.repository.startswith(("https://", "oci://")):
            raise ValueError(f"chart {self.chart}: repository {self.repository!r} must be https:// or oci://")
        if not self.version or self.version[0] in "^~>=<*" or self.version in ("latest", "*"):
            raise ValueError(f"chart {self.chart}: version {self.version!r} must be an exact version")


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


_ISTIO = "https://istio-release.storage.googleapis.com/charts"
_ISTIO_VERSION = "1.28.0"
_HASHICORP = "https://helm.releases.hashicorp.com"

ISTIO_BASE = HelmChart(_ISTIO, "base", _ISTIO_VERSION)
ISTIOD = HelmChart(_ISTIO, "istiod", _ISTIO_VERSION)
ISTIO_GATEWAY = HelmChart(_ISTIO, "gateway", _ISTIO_VERSION)
ISTIO_CNI = HelmChart(_ISTIO, "cni", _ISTIO_VERSION)
AWS_LOAD_BALANCER_CONTROLLER = HelmChart("https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.14.1")
ARGO_CD = HelmChart("https://argoproj.github.io/argo-helm", "argo-cd", "9.1.3")
VAULT = HelmChart(_HASHICORP, "vault", "0.31.0")
VAULT_SECRETS_OPERATOR = HelmChart(_HASHICORP, "vault-secrets-operator", "1.0.1")
SECRETS_STORE_CSI_DRIVER = HelmChart(
    "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts", "secrets-store-csi-driver", "1.5.4"
)
CERT_MANAGER = HelmChart("https://charts.jetstack.io", "cert-manager", "v1.19.1")
TRIVY_OPERATOR = HelmChart("https://aquasecurity.github.io/helm-charts", "trivy-operator", "0.31.0")
# 9.52.1 predates cluster-autoscaler 1.35 (its default image is 1.34); 9.56.0 (2026-03) follows the
# chart's switch to 1.35.0. The image tag itself comes from configuration, checked against the cluster.
CLUSTER_AUTOSCALER = HelmChart("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.56.0")
# Karpenter 1.8 supports Kubernetes up to 1.34; 1.9+ supports 1.35. 1.14.1: the newest release the offline chart
# repository holds (1.15.0 is not in its upstream source), so the chart can be rendered and checked before it ships.
KARPENTER = HelmChart("oci://public.ecr.aws/karpenter", "karpenter", "1.14.1")
# 3.13.1: metrics-server 0.8.1.
METRICS_SERVER = HelmChart("https://kubernetes-sigs.github.io/metrics-server", "metrics-server", "3.13.1")
#: Chart 0.29.0: the newest release in the chart's source and the offline repository (0.29.1 was never released
#: there); operator 1.30 (the chart is one minor behind the operator); 1.30/1.31 still carry in-tree barmanObjectStore.
CLOUDNATIVE_PG = HelmChart("https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.29.0")
#: Operator v0.26.0; its CRDs serve redis.redis.opstreelabs.in/v1beta2.
REDIS_OPERATOR = HelmChart("https://ot-container-kit.github.io/helm-charts", "redis-operator", "0.26.1")

#: Jenkins (spec §6.2). Controller image, plugins and agent images are set explicitly in configuration
#: (platform.<region>.ci), so none of the chart's defaults reaches the cluster unpinned.
JENKINS = HelmChart("https://charts.jenkins.io", "jenkins", "5.8.104")

#: Custom resources of every component go through this chart (see charts/tonebridge-resources/Chart.yaml).
RESOURCES = LocalChart(PROJECT_ROOT / "charts" / "tonebridge-resources")
#: 88.1.3 (2026-08): Prometheus Operator, Prometheus, Alertmanager, Grafana, node-exporter, kube-state-metrics;
#: the admission webhook's failurePolicy accepts IgnoreOnInstallOnly.
KUBE_PROMETHEUS_STACK = HelmChart(
    "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.1.3"
)
#: ECK 3.5.0 (2026-08): serves elasticsearch.k8s.elastic.co/v1, kibana.k8s.elastic.co/v1, beat.k8s.elastic.co/v1beta1.
ECK_OPERATOR = HelmChart("https://helm.elastic.co", "eck-operator", "3.5.0")

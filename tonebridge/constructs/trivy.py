"""In-cluster image scanning with trivy-operator (spec §5.2): every workload's images are scanned
and the findings of the chosen severities kept as VulnerabilityReport resources (JSON in the API).

The spec's one-off ``trivy image --severity HIGH,CRITICAL --format json`` Job becomes a standing
operator, so new and changed workloads are scanned without anyone running a job. Scan jobs run with
resource limits and the ``restricted`` profile in ``trivy-system``; the node-collector (CIS node
checks, which needs host paths) is off so that the namespace can stay ``restricted``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from tonebridge.charts import TRIVY_OPERATOR
from tonebridge.constructs.kube import ChartReleaseProps
from tonebridge.constructs.namespace import namespaced_release
from tonebridge.constructs.pod_defaults import (
    SYSTEM_NODE_SELECTOR,
    SYSTEM_TOLERATIONS,
    restricted_container_context,
    restricted_pod_context,
)
from tonebridge.props.scanning import ScanningSettings

#: Non-root uid/gid for the operator and its scan jobs.
SCANNER_UID = 10000
#: The operator's own namespace (restricted: the node-collector is off).
NAMESPACE = "trivy-system"


class TrivyOperator(Construct):
    """Attributes: ``namespace``, ``release``.

    :param settings: what to report and how scan jobs run (``platform.<region>.scanning``; its rules
        are the settings' own).
    :param kubernetes_version: the cluster's ``1.NN`` (pod security profile of the namespace).
    :param node_selector / tolerations: where the operator runs (default: the system pool).
    :param namespace: the operator's namespace.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: ScanningSettings,
        *,
        kubernetes_version: str,
        node_selector: Mapping[str, str] = SYSTEM_NODE_SELECTOR,
        tolerations: Sequence[Mapping[str, str]] = SYSTEM_TOLERATIONS,
        namespace: str = NAMESPACE,
    ) -> None:
        super().__init__(scope, construct_id)
        values = _values(settings, node_selector, tolerations)
        self.namespace, self.release = namespaced_release(
            self,
            "chart",
            ChartReleaseProps(release_name="trivy-operator", chart=TRIVY_OPERATOR, namespace=namespace, values=values),
            kubernetes_version,
        )


def _values(
    settings: ScanningSettings, node_selector: Mapping[str, str], tolerations: Sequence[Mapping[str, str]]
) -> dict:
    # Scanning is not in any request path: one leader-elected replica is enough.
    return {
        "operator": {
            "replicas": 1,
            "vulnerabilityScannerEnabled": True,
            "infraAssessmentScannerEnabled": False,
            "scanJobsConcurrentLimit": settings.concurrent_scan_jobs,
            "scanJobTimeout": settings.scan_job_timeout,
        },
        "nodeSelector": dict(node_selector),
        "tolerations": [dict(t) for t in tolerations],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "podSecurityContext": restricted_pod_context(SCANNER_UID, SCANNER_UID),
        "securityContext": {**restricted_container_context(), "privileged": False},
        "trivy": {
            "severity": ",".join(settings.severities),
            "ignoreUnfixed": settings.ignore_unfixed,
            "resources": settings.scan_job_resources.manifest(),
        },
        "trivyOperator": {
            "scanJobNodeSelector": dict(settings.scan_job_node_selector),
            "scanJobAutomountServiceAccountToken": False,
            "scanJobPodTemplatePodSecurityContext": restricted_pod_context(SCANNER_UID, SCANNER_UID),
            "scanJobPodTemplateContainerSecurityContext": {
                **restricted_container_context(),
                "privileged": False,
                "runAsNonRoot": True,
            },
        },
    }

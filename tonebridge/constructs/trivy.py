"""In-cluster image scanning with trivy-operator (spec §5.2): every workload's images are scanned
and the findings of the chosen severities kept as VulnerabilityReport resources (JSON in the API).

The spec's one-off ``trivy image --severity HIGH,CRITICAL --format json`` Job becomes a standing
operator, so new and changed workloads are scanned without anyone running a job. Scan jobs run with
resource limits and the ``restricted`` profile in ``trivy-system``; the node-collector (CIS node
checks, which needs host paths) is off so that the namespace can stay ``restricted``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_DURATION = re.compile(r"^\d+[smh]$")
#: Non-root uid/gid for the operator and its scan jobs.
SCANNER_UID = 10000


@dataclass(frozen=True)
class TrivyOperatorProps:
    """:param severities: reported severities (spec: HIGH, CRITICAL).
    :param scan_job_node_selector: where scan jobs run (they pull and unpack images: application nodes).
    :param node_selector / tolerations: where the operator runs (default: the system pool).
    :param scan_job_resources: requests/limits of each scan job container.
    """

    kubernetes_version: str
    severities: Sequence[str] = ("HIGH", "CRITICAL")
    namespace: str = "trivy-system"
    ignore_unfixed: bool = False
    concurrent_scan_jobs: int = 3
    scan_job_timeout: str = "10m"
    scan_job_node_selector: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(SYSTEM_NODE_SELECTOR))
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=lambda: [dict(t) for t in SYSTEM_TOLERATIONS])
    scan_job_resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        }
    )

    def __post_init__(self) -> None:
        unknown = [s for s in self.severities if s not in SEVERITIES]
        if not self.severities or unknown:
            raise ValueError(f"severities must be a non-empty subset of {', '.join(SEVERITIES)}")
        if not _DURATION.match(self.scan_job_timeout):
            raise ValueError(f"scan_job_timeout {self.scan_job_timeout!r} must look like 10m")
        if not 1 <= self.concurrent_scan_jobs <= 20:
            raise ValueError("concurrent_scan_jobs must be 1-20")
        if "limits" not in self.scan_job_resources:
            raise ValueError("scan_job_resources needs limits")


class TrivyOperator(Construct):
    """Attributes: ``namespace``, ``release``."""

    def __init__(self, scope: Construct, construct_id: str, props: TrivyOperatorProps) -> None:
        super().__init__(scope, construct_id)
        self.namespace, self.release = namespaced_release(
            self,
            "chart",
            ChartReleaseProps(
                release_name="trivy-operator", chart=TRIVY_OPERATOR, namespace=props.namespace, values=_values(props)
            ),
            props.kubernetes_version,
        )


def _values(props: TrivyOperatorProps) -> dict:
    # Scanning is not in any request path: one leader-elected replica is enough.
    return {
        "operator": {
            "replicas": 1,
            "vulnerabilityScannerEnabled": True,
            "infraAssessmentScannerEnabled": False,
            "scanJobsConcurrentLimit": props.concurrent_scan_jobs,
            "scanJobTimeout": props.scan_job_timeout,
        },
        "nodeSelector": dict(props.node_selector),
        "tolerations": [dict(t) for t in props.tolerations],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "podSecurityContext": restricted_pod_context(SCANNER_UID, SCANNER_UID),
        "securityContext": {**restricted_container_context(), "privileged": False},
        "trivy": {
            "severity": ",".join(props.severities),
            "ignoreUnfixed": props.ignore_unfixed,
            "resources": {kind: dict(values) for kind, values in props.scan_job_resources.items()},
        },
        "trivyOperator": {
            "scanJobNodeSelector": dict(props.scan_job_node_selector),
            "scanJobAutomountServiceAccountToken": False,
            "scanJobPodTemplatePodSecurityContext": restricted_pod_context(SCANNER_UID, SCANNER_UID),
            "scanJobPodTemplateContainerSecurityContext": {
                **restricted_container_context(),
                "privileged": False,
                "runAsNonRoot": True,
            },
        },
    }

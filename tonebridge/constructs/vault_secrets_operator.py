"""The Vault Secrets Operator: syncs Vault secrets into Kubernetes Secrets for workloads that need them.

Its own ``restricted`` namespace; no default connection or auth method (each application
namespace declares its own VaultConnection over TLS and its VaultAuth, so one namespace can
never borrow another's Vault role). It runs on the application pool, beside Vault: it is no
critical add-on (synced secrets stay while it restarts), and the system pool's two t3.medium
nodes are kept for the add-ons the cluster cannot run without.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge.charts import VAULT_SECRETS_OPERATOR
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.pod_defaults import (
    check_replicas,
    disruption_budget,
    restricted_container_context,
    restricted_pod_context,
)

_RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


@dataclass(frozen=True)
class VaultSecretsOperatorProps:
    """:param replicas: controller replicas (leader-elected); ≥ 2 gets a PodDisruptionBudget."""

    kubernetes_version: str
    namespace: str = "vault-secrets-operator-system"
    release_name: str = "vault-secrets-operator"
    replicas: int = 2
    node_selector: Mapping[str, str] = field(default_factory=lambda: {"workload": "application"})
    tolerations: Sequence[Mapping[str, str]] = ()

    def __post_init__(self) -> None:
        check_replicas("vault-secrets-operator", self.replicas)


def operator_values(props: VaultSecretsOperatorProps) -> dict[str, Any]:
    """The chart's values: restricted pods spread over nodes, no default connection or auth method."""
    # The chart's selector labels (vso.chart.selectorLabels plus control-plane).
    pod_labels = {
        "control-plane": "controller-manager",
        "app.kubernetes.io/name": "vault-secrets-operator",
        "app.kubernetes.io/instance": props.release_name,
    }
    spread = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": pod_labels},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        }
    }
    return {
        "controller": {
            "replicas": props.replicas,
            "nodeSelector": dict(props.node_selector),
            "tolerations": [dict(t) for t in props.tolerations],
            "affinity": spread,
            "podSecurityContext": restricted_pod_context(),
            "securityContext": restricted_container_context(),
            # The chart renders its PodDisruptionBudget only with more than one replica (and reads no
            # field of it otherwise). Its default ``minAvailable: "0"`` would be rendered beside ours (the
            # API server refuses both); the template skips an empty string (null would render as "<nil>").
            **(
                {"podDisruptionBudget": disruption_budget(props.replicas, maxUnavailable=1, minAvailable="")}
                if props.replicas > 1
                else {}
            ),
            "manager": {"resources": _RESOURCES},
        },
        # The CRD upgrade hook runs with the controller's security contexts, so it is restricted too.
        "hooks": {"resources": _RESOURCES},
        "defaultVaultConnection": {"enabled": False},
        "defaultAuthMethod": {"enabled": False},
    }


class VaultSecretsOperator(Construct):
    """Attributes: ``namespace``, ``release`` (installs the secrets.hashicorp.com CRDs)."""

    def __init__(self, scope: Construct, construct_id: str, props: VaultSecretsOperatorProps) -> None:
        super().__init__(scope, construct_id)
        self.namespace = Namespace(
            self, "namespace", NamespaceProps(name=props.namespace, kubernetes_version=props.kubernetes_version)
        )
        values = operator_values(props)
        self.release = ChartRelease(
            self,
            "chart",
            ChartReleaseProps(
                release_name=props.release_name, chart=VAULT_SECRETS_OPERATOR, namespace=props.namespace, values=values
            ),
            depends_on=[self.namespace.manifest],
        ).release

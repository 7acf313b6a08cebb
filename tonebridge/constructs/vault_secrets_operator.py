"""The Vault Secrets Operator: syncs Vault secrets into Kubernetes Secrets for workloads that need them.

Its own ``restricted`` namespace; no default connection or auth method (each application
namespace declares its own VaultConnection over TLS and its VaultAuth, so one namespace can
never borrow another's Vault role).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import Construct

from tonebridge.charts import VAULT_SECRETS_OPERATOR
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.pod_defaults import (
    SYSTEM_NODE_SELECTOR,
    SYSTEM_TOLERATIONS,
    check_replicas,
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
    node_selector: Mapping[str, str] = field(default_factory=lambda: dict(SYSTEM_NODE_SELECTOR))
    tolerations: Sequence[Mapping[str, str]] = field(default_factory=lambda: list(SYSTEM_TOLERATIONS))

    def __post_init__(self) -> None:
        check_replicas("vault-secrets-operator", self.replicas)


class VaultSecretsOperator(Construct):
    """Attributes: ``namespace``, ``release`` (installs the secrets.hashicorp.com CRDs)."""

    def __init__(self, scope: Construct, construct_id: str, props: VaultSecretsOperatorProps) -> None:
        super().__init__(scope, construct_id)
        self.namespace = Namespace(
            self, "namespace", NamespaceProps(name=props.namespace, kubernetes_version=props.kubernetes_version)
        )
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
        values = {
            "controller": {
                "replicas": props.replicas,
                "nodeSelector": dict(props.node_selector),
                "tolerations": [dict(t) for t in props.tolerations],
                "affinity": spread,
                "podSecurityContext": restricted_pod_context(),
                "securityContext": restricted_container_context(),
                # The chart renders its PodDisruptionBudget only with more than one replica.
                "podDisruptionBudget": {"enabled": props.replicas > 1, "maxUnavailable": 1},
                "manager": {"resources": _RESOURCES},
            },
            # The CRD upgrade hook runs with the controller's security contexts, so it is restricted too.
            "hooks": {"resources": _RESOURCES},
            "defaultVaultConnection": {"enabled": False},
            "defaultAuthMethod": {"enabled": False},
        }
        self.release = ChartRelease(
            self,
            "chart",
            ChartReleaseProps(
                release_name=props.release_name, chart=VAULT_SECRETS_OPERATOR, namespace=props.namespace, values=values
            ),
            depends_on=[self.namespace.manifest],
        ).release

"""The Vault Secrets Operator: syncs Vault secrets into Kubernetes Secrets for workloads that need them.

Its own ``restricted`` namespace; no default connection or auth method (each application
namespace declares its own VaultConnection over TLS and its VaultAuth, so one namespace can
never borrow another's Vault role). It runs on the application pool, beside Vault: it is no
critical add-on (synced secrets stay while it restarts), and the system pool's two t3.medium
nodes are kept for the add-ons the cluster cannot run without.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from constructs import Construct

from tonebridge.charts import VAULT_SECRETS_OPERATOR
from tonebridge.constructs.kube import ChartRelease, ChartReleaseProps
from tonebridge.constructs.namespace import Namespace, NamespaceProps
from tonebridge.constructs.pod_defaults import disruption_budget, restricted_container_context, restricted_pod_context
from tonebridge.props.secrets import SecretsSettings

_RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


#: The operator's own namespace and release (its VaultConnection/VaultAuth objects live in the consumers').
NAMESPACE = "vault-secrets-operator-system"
RELEASE = "vault-secrets-operator"
#: The application pool, beside Vault (no critical add-on: synced secrets stay while it restarts).
APPLICATION_POOL = MappingProxyType({"workload": "application"})


def operator_values(
    settings: SecretsSettings,
    *,
    release_name: str = RELEASE,
    node_selector: Mapping[str, str] = APPLICATION_POOL,
    tolerations: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The chart's values: ``settings.operator_replicas`` restricted pods (leader-elected; two or more get a
    PodDisruptionBudget) spread over nodes, no default connection or auth method."""
    replicas = settings.operator_replicas
    # The chart's selector labels (vso.chart.selectorLabels plus control-plane).
    pod_labels = {
        "control-plane": "controller-manager",
        "app.kubernetes.io/name": "vault-secrets-operator",
        "app.kubernetes.io/instance": release_name,
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
            "replicas": replicas,
            "nodeSelector": dict(node_selector),
            "tolerations": [dict(t) for t in tolerations],
            "affinity": spread,
            "podSecurityContext": restricted_pod_context(),
            "securityContext": restricted_container_context(),
            # The chart renders its PodDisruptionBudget only with more than one replica (and reads no
            # field of it otherwise). Its default ``minAvailable: "0"`` would be rendered beside ours (the
            # API server refuses both); the template skips an empty string (null would render as "<nil>").
            **(
                {"podDisruptionBudget": disruption_budget(replicas, maxUnavailable=1, minAvailable="")}
                if replicas > 1
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
    """Attributes: ``namespace``, ``release`` (installs the secrets.hashicorp.com CRDs).

    :param settings: the secrets path's settings (``platform.<region>.secrets``: the controller's replicas).
    :param kubernetes_version: the cluster's ``1.NN`` (pod security profile of the namespace).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: SecretsSettings,
        *,
        kubernetes_version: str,
        namespace: str = NAMESPACE,
        release_name: str = RELEASE,
        node_selector: Mapping[str, str] = APPLICATION_POOL,
        tolerations: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace = Namespace(
            self, "namespace", NamespaceProps(name=namespace, kubernetes_version=kubernetes_version)
        )
        values = operator_values(
            settings, release_name=release_name, node_selector=node_selector, tolerations=tolerations
        )
        self.release = ChartRelease(
            self,
            "chart",
            ChartReleaseProps(
                release_name=release_name, chart=VAULT_SECRETS_OPERATOR, namespace=namespace, values=values
            ),
            depends_on=[self.namespace.manifest],
        ).release

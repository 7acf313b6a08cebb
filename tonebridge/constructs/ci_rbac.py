"""The deploy identity of the pipeline (spec §6.2 "Deploy to Staging/Production"): one service
account whose only rights are on ``apps`` Deployments in the namespaces it deploys to.

A Role and a RoleBinding per target namespace (never a ClusterRole: nothing cluster-wide, no other
namespace), with exactly what ``kubectl set image`` and ``kubectl rollout status`` use:

* ``get`` and ``patch``: read the Deployment and change its container images (``set image`` is a
  strategic-merge patch of the pod template).
* ``list`` and ``watch``: ``rollout status`` lists and watches the Deployment until its new
  ReplicaSet is available.

In the namespaces Argo CD deploys (production) the Role keeps only ``get``, ``list`` and ``watch``:
the pipeline's way to production is a signed commit to the manifests repository by the release job.

No ``create``, ``update`` or ``delete``, no ``deployments/scale``, no Pods, Secrets, ConfigMaps,
ReplicaSets or ``pods/exec``. The token carries nothing else, so a build step that leaks it can
change images of existing Deployments and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.kube import kube_object
from tonebridge.kubeapi import DNS_LABEL
from tonebridge.props.ci import CiSettings

#: The only rule: Deployments of the apps group, the verbs `set image` and `rollout status` need.
DEPLOY_RULE = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "patch"]}
#: In a namespace that Argo CD deploys (production): `rollout status` only, never a change.
READ_RULE = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}
RBAC_API = "rbac.authorization.k8s.io/v1"


@dataclass(frozen=True)
class DeployAccessProps:
    """:param service_account: the deploy pods' account. :param namespace: where it lives.
    :param target_namespaces: where it may update Deployments' images (at least one, distinct).
    :param role_name: name of the Role and RoleBinding in each target namespace.
    :param read_only_namespaces: targets where the Role only reads (production: the manifests
        repository and Argo CD are its only way in).
    :param readers: further service accounts ``(namespace, name)`` bound in the read-only targets
        (the release agents, which wait for Argo CD's rollout).
    """

    service_account: str
    namespace: str
    target_namespaces: Sequence[str]
    role_name: str = "ci-deployer"
    read_only_namespaces: Sequence[str] = ()
    readers: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        for name in (self.service_account, self.namespace, self.role_name, *self.target_namespaces):
            if not DNS_LABEL.match(name):
                raise ValueError(f"deploy access: {name!r} is not a DNS label")
        if not self.target_namespaces or len(set(self.target_namespaces)) != len(self.target_namespaces):
            raise ValueError("deploy access: target_namespaces must be distinct and not empty")
        if self.namespace in self.target_namespaces:
            raise ValueError("deploy access: the account must not live in a namespace it deploys to")

    @classmethod
    def for_pipeline(cls, ci: CiSettings, read_only_namespaces: Sequence[str]) -> DeployAccessProps:
        """The pipeline's deploy access: ``ci``'s deployer account in the agents' namespace, updating images
        in ``ci.deploy_namespaces``; in ``read_only_namespaces`` it only reads, and so do the release agents."""
        release = ci.release
        readers = [(release.namespace, release.service_account)]
        account, namespace, targets = ci.deployer_service_account, ci.agents_namespace, ci.deploy_namespaces
        return cls(account, namespace, targets, read_only_namespaces=read_only_namespaces, readers=readers)


def service_account(name: str, namespace: str, *, token: bool, annotations: dict | None = None) -> dict:
    """A ServiceAccount; ``token`` says whether its pods mount a Kubernetes API token."""
    metadata: dict = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": token}


def deploy_role(props: DeployAccessProps, namespace: str) -> dict:
    rule = READ_RULE if namespace in props.read_only_namespaces else DEPLOY_RULE
    return {
        "apiVersion": RBAC_API,
        "kind": "Role",
        "metadata": {"name": props.role_name, "namespace": namespace},
        "rules": [{key: list(value) for key, value in rule.items()}],
    }


def deploy_binding(props: DeployAccessProps, namespace: str) -> dict:
    return {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding",
        "metadata": {"name": props.role_name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": props.role_name},
        "subjects": [
            {"kind": "ServiceAccount", "name": props.service_account, "namespace": props.namespace},
            *(
                {"kind": "ServiceAccount", "name": name, "namespace": reader_namespace}
                for reader_namespace, name in (props.readers if namespace in props.read_only_namespaces else ())
            ),
        ],
    }


class DeployAccess(Construct):
    """Attributes: ``service_account`` (manifest), ``roles`` and ``bindings`` (target namespace -> manifest)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: DeployAccessProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
        target_depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        # kubectl in the deploy container uses this account's token.
        account = service_account(props.service_account, props.namespace, token=True)
        self.service_account: Manifest = kube_object(self, account, depends_on=depends_on)
        self.roles: dict[str, Manifest] = {}
        self.bindings: dict[str, Manifest] = {}
        for namespace in props.target_namespaces:
            self.roles[namespace] = kube_object(self, deploy_role(props, namespace), depends_on=target_depends_on)
            self.bindings[namespace] = kube_object(
                self,
                deploy_binding(props, namespace),
                depends_on=[self.roles[namespace], self.service_account, *target_depends_on],
            )

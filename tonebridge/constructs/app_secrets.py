"""An application namespace's way to its Vault secrets (spec §8.2).

* ServiceAccount ``tonebridge-sa``: the identity Vault's Kubernetes auth role is bound to. Its token
  is not automounted: the CSI provider and the operator request short-lived tokens for it through
  the TokenRequest API, so no pod carries an API credential it does not use.
* SecretProviderClass ``vault-secrets`` (secrets-store.csi.x-k8s.io/v1): provider vault, the spec's
  objects in the spec's order; Vault over HTTPS with its CA (the spec's plain http is replaced).
* VaultConnection over TLS with the CA, and the spec's VaultAuth (secrets.hashicorp.com/v1beta1;
  the spec's vault.hashicorp.com/v1alpha1 never existed as a served API).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.constructs.kube import CustomResources, kube_object
from tonebridge.constructs.vault_login import VaultLogin, login_objects
from tonebridge.props.secrets import ApplicationSecretsSettings, SecretObjectSettings

SPC_API = "secrets-store.csi.x-k8s.io/v1"


@dataclass(frozen=True)
class SecretObject:
    """One mounted file: ``object_name`` from key ``secret_key`` of the KV v2 secret at ``secret_path``."""

    object_name: str
    secret_path: str
    secret_key: str


def objects_parameter(objects: Sequence[SecretObject | SecretObjectSettings]) -> str:
    """The provider's ``objects`` parameter, a YAML list written as in the spec (quoted values)."""
    return "".join(
        f"- objectName: {json.dumps(o.object_name)}\n"
        f"  secretPath: {json.dumps(o.secret_path)}\n"
        f"  secretKey: {json.dumps(o.secret_key)}\n"
        for o in objects
    )


def secret_provider_class(
    name: str,
    namespace: str,
    *,
    vault_address: str,
    ca_cert_path: str,
    role: str,
    auth_mount: str,
    audience: str,
    objects: Sequence[SecretObject | SecretObjectSettings],
) -> dict:
    """A SecretProviderClass of Vault's CSI provider: ``objects`` read as Vault role ``role`` over TLS."""
    return {
        "apiVersion": SPC_API,
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "provider": "vault",
            "parameters": {
                "vaultAddress": vault_address,
                "vaultCACertPath": ca_cert_path,
                "roleName": role,
                "vaultKubernetesMountPath": auth_mount,
                "audience": audience,
                "objects": objects_parameter(objects),
            },
        },
    }


class ApplicationSecrets(Construct):
    """Attributes: ``service_account`` (manifest), ``resources`` (release of the custom resources), ``objects``.

    :param settings: the application's namespace, service account, Vault role, auth mount, audience and
        objects (``platform.<region>.secrets.application``; its rules are the settings' own).
    :param vault_address: https URL of Vault's service.
    :param ca_cert_path: Vault's CA inside the CSI provider's pods.
    :param ca_secret: secret in the namespace whose ``ca.crt`` is Vault's CA (for the VaultConnection).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: ApplicationSecretsSettings,
        *,
        vault_address: str,
        ca_cert_path: str,
        ca_secret: str,
        provider_class: str = "vault-secrets",
        vault_auth: str = "tonebridge-auth",
        vault_connection: str = "vault",
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        ns = settings.namespace
        # The namespace's VSO login (VaultConnection over TLS, VaultAuth), as every consumer namespace's;
        # it refuses a plain http address: secrets never cross plain http.
        login = VaultLogin(
            namespace=ns,
            address=vault_address,
            role=settings.role,
            service_account=settings.service_account,
            name=vault_connection,
            auth=vault_auth,
            ca_secret=ca_secret,
            auth_mount=settings.auth_mount,
            audience=settings.audience,
        )
        super().__init__(scope, construct_id)
        self.service_account = kube_object(
            self,
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": settings.service_account, "namespace": ns},
                "automountServiceAccountToken": False,
            },
            depends_on=depends_on,
        )
        self.objects = [
            secret_provider_class(
                provider_class,
                ns,
                vault_address=vault_address,
                ca_cert_path=ca_cert_path,
                role=settings.role,
                auth_mount=settings.auth_mount,
                audience=settings.audience,
                objects=settings.objects,
            ),
            *login_objects(login),
        ]
        self.resources = CustomResources(
            self,
            "resources",
            release_name=f"{ns}-vault-secrets",
            namespace=ns,
            objects=self.objects,
            depends_on=[self.service_account, *depends_on],
        ).release

"""Settings of the secrets path (spec §8.2): both ``platform.<region>.secrets`` in the YAML and what the
constructs of the path take: :class:`tonebridge.constructs.vault.Vault` (the server, the application's
role), :class:`~tonebridge.constructs.secrets_store.SecretsStoreCsi` (rotation),
:class:`~tonebridge.constructs.vault_secrets_operator.VaultSecretsOperator` (replicas) and
:class:`~tonebridge.constructs.app_secrets.ApplicationSecrets` (the application's objects). Each rule on
a setting is declared once, here; the constructs check only their wiring (Vault's address, its CA).

cdktf-free (the rules layer): config imports it as a field type, the constructs as their input.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from tonebridge.props.types import DnsLabel, StrictModel
from tonebridge.props.vault import VaultRole, VaultServerSettings


class SecretObjectSettings(StrictModel):
    """One object of the SecretProviderClass: a key of a KV v2 secret, mounted as a file."""

    object_name: str = Field(
        pattern=r"^[a-z0-9][-a-z0-9.]*$", description="Name of the file the value is mounted as; distinct per list."
    )
    secret_path: str = Field(
        pattern=r"^secret/data/[a-z0-9][-a-z0-9/]*$",
        description="KV v2 data path of the secret; the application's Vault role may read exactly these paths.",
    )
    secret_key: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Key of the secret whose value is mounted.")


#: The three objects of spec §8.2 (object name, KV v2 path, key), in the spec's order.
SPEC_OBJECT_ROWS = (
    ("database-password", "secret/data/database", "password"),
    ("jwt-secret", "secret/data/jwt", "secret"),
    ("openai-api-key", "secret/data/openai", "api-key"),
)
SPEC_OBJECTS = [
    SecretObjectSettings.model_validate(dict(zip(("object_name", "secret_path", "secret_key"), row, strict=True)))
    for row in SPEC_OBJECT_ROWS
]


class ApplicationSecretsSettings(StrictModel):
    """What the application namespace gets: its service account, the SecretProviderClass and VaultAuth."""

    namespace: DnsLabel = Field(default="production", description="The application namespace that gets them.")
    service_account: DnsLabel = Field(
        default="tonebridge-sa",
        description="ServiceAccount the application's Vault role is bound to (§8.2); its token is never automounted.",
    )
    role: DnsLabel = Field(default="tonebridge", description="Vault Kubernetes auth role (spec §8.2).")
    auth_mount: DnsLabel = Field(
        default="kubernetes",
        description="Path of Vault's Kubernetes auth method, which the bootstrap enables and every role uses (§8.2).",
    )
    audience: DnsLabel = Field(default="vault", description="Audience of the service account tokens sent to Vault.")
    objects: list[SecretObjectSettings] = Field(
        default_factory=lambda: list(SPEC_OBJECTS),
        min_length=1,
        description="The files of the SecretProviderClass `vault-secrets`; the default is spec §8.2's three.",
    )

    @field_validator("objects")
    @classmethod
    def _distinct_objects(cls, value: list[SecretObjectSettings]) -> list[SecretObjectSettings]:
        names = [o.object_name for o in value]
        if len(set(names)) != len(names):
            raise ValueError("object names must be distinct (each is a file name)")
        return value

    def vault_role(self) -> VaultRole:
        """The application's Vault role: its service account reads exactly its objects' paths."""
        return VaultRole(
            role=self.role,
            service_account=self.service_account,
            namespace=self.namespace,
            paths=tuple(o.secret_path for o in self.objects),
            subject="the application's secrets",
        )


class SecretsSettings(StrictModel):
    """Spec §8.2: Vault and the paths from Vault into pods."""

    enabled: bool = Field(
        default=True,
        description="Run Vault, cert-manager, the CSI driver and the Vault Secrets Operator in this region; Redis, "
        "monitoring and the logical backup need it.",
    )
    vault: VaultServerSettings = VaultServerSettings()
    csi_rotation_poll_interval: str = Field(
        default="2m",
        pattern=r"^\d+[smh]$",
        description="How often the Secrets Store CSI driver reads mounted secrets from Vault again (rotation).",
    )
    operator_replicas: int = Field(default=2, ge=1, le=5, description="Vault Secrets Operator controller replicas.")
    cert_manager_replicas: int = Field(default=2, ge=1, le=5, description="cert-manager controller and webhook.")
    application: ApplicationSecretsSettings = ApplicationSecretsSettings()

"""A Vault role as a typed value: who may log in (service account and namespace), as which role,
to read exactly which KV paths. cdktf-free, so the features that need a role (Redis, monitoring,
Jenkins, the logical backup, Argo CD's single sign-on) declare it as data and grant it through
:meth:`tonebridge.constructs.vault.Vault.grant`, which renders its policy and bootstrap lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, field_validator

from tonebridge.props.types import ContainerResources, DnsLabel, Storage, StrictModel

#: A KV mount or secret path: slash-separated segments, no empty one, no leading or trailing slash.
VaultPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")]


def read_policy(paths: Sequence[str], subject: str = "the application's secrets") -> str:
    """Policy HCL granting ``read`` on exactly ``paths`` (KV v2 data paths), nothing else."""
    blocks = [f'path "{path}" {{\n  capabilities = ["read"]\n}}\n' for path in dict.fromkeys(paths)]
    return f"# Read-only access to {subject} (spec §8.2). Managed by tonebridge.\n" + "\n".join(blocks)


@dataclass(frozen=True)
class VaultRole:
    """One role of Vault's Kubernetes auth method with its read-only policy ``<role>-read``.

    :param role: the role's name (also its policy's: ``<role>-read``).
    :param service_account: the only service account the role is bound to.
    :param namespace: that service account's namespace.
    :param paths: the KV v2 data paths (``<mount>/data/<path>``) or engine paths it may read, nothing else.
    :param subject: what the policy's comment says it reads ("Grafana's admin login ...").
    :param database_cidrs: where the databases are whose logins its paths issue (Vault's database secrets
        engine, ``<mount>/creds/<role>``): the engine connects to them from the Vault server pods on
        ``database_port``, so Vault's namespace admits that egress when the role is granted.
    :param database_port: the port of those databases (PostgreSQL's).
    """

    role: str
    service_account: str
    namespace: str
    paths: tuple[str, ...]
    subject: str
    database_cidrs: tuple[str, ...] = ()
    database_port: int = 5432

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(self.paths))
        object.__setattr__(self, "database_cidrs", tuple(self.database_cidrs))
        if not self.paths:
            raise ValueError(f"Vault role {self.role} needs at least one path")

    @property
    def policy_name(self) -> str:
        """The role's policy, named after it."""
        return f"{self.role}-read"

    def policy(self) -> str:
        """The policy's HCL: ``read`` on exactly :attr:`paths`."""
        return read_policy(self.paths, self.subject)


class VaultServerSettings(StrictModel):
    """Vault in HA mode with integrated (raft) storage, the server of spec §8.2's secrets path."""

    # Both ``platform.<region>.secrets.vault`` in the YAML and what constructs.vault.Vault takes (each rule once).

    replicas: int = Field(default=3, ge=1, le=7, description="Raft voters; odd, so that a quorum survives.")
    data_storage: Storage = Field(default="10Gi", description="Raft data volume per replica (fast-ssd).")
    audit_storage: Storage = Field(default="10Gi", description="Audit log volume per replica (fast-ssd).")
    storage_class: DnsLabel = Field(default="fast-ssd", description="StorageClass of the volumes (spec: fast-ssd).")
    zone_anti_affinity: bool = Field(
        default=True, description="Replicas in distinct availability zones (required), else distinct nodes."
    )
    node_selector: dict[str, str] = Field(
        default_factory=lambda: {"workload": "application"},
        description="Node labels of the nodes Vault runs on; a node group must carry them and fit every replica.",
    )
    resources: ContainerResources = ContainerResources(
        cpu_request="250m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi"
    )
    service_account: DnsLabel = Field(default="vault", description="Trusted by the unseal IRSA role.")

    @field_validator("replicas")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"raft needs an odd number of voters, not {value}")
        return value

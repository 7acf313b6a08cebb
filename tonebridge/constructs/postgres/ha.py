"""PostgresHA: one highly available PostgreSQL service, whichever engine runs it.

Production runs PostgreSQL on Amazon RDS (Multi-AZ primary, spec §4.1, §11.1); staging runs it in the
cluster with CloudNativePG (spec §4.1). Callers that only need to *reach* the database (outputs, the
logical backup job, alarms) should not care which: :class:`PostgresHA` gives both engines the same
surface, ``endpoint``, ``port``, ``secret`` and ``backup_location``, and keeps the engine's own construct
as ``engine_construct`` for engine-specific wiring.

Why this is not a Construct: logical ids come from construct paths (``database_instance_D7FC2283`` is
``<stack>/database/instance``). A wrapping Construct would add a path level and rename every resource
of a running database (Terraform would plan a replacement of the instance). So PostgresHA creates the
engine's construct at the caller's scope under the caller's id (``database`` for RDS, the cluster's
``postgres-<namespace>-<name>`` for CloudNativePG) with its usual child ids, and only adds the shared
attributes on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cdktf import ITerraformDependable
from constructs import Construct

from tonebridge.constructs.postgres.cnpg import CnpgCluster, CnpgClusterProps
from tonebridge.constructs.postgres.rds import RdsPostgres, RdsPostgresProps

#: The engines PostgresHA runs: Amazon RDS, or CloudNativePG in the cluster.
Engine = Literal["rds", "cnpg"]

#: The port CloudNativePG's services listen on (the operator's default; the manifests never change it).
CNPG_PORT = 5432


class PostgresHA:
    """A highly available PostgreSQL service on ``engine`` (``rds`` or ``cnpg``), chosen by the type of
    ``props``: :class:`RdsPostgresProps` (the RDS primary) or :class:`CnpgClusterProps` (a CloudNativePG
    cluster; ``depends_on`` as for :class:`CnpgCluster`: the operator release, the namespace, the storage
    class). Creates that engine's construct at ``scope``/``construct_id``, unchanged.

    Attributes, the same for both engines:

    - ``engine``: ``"rds"`` or ``"cnpg"``; ``engine_construct``: the :class:`RdsPostgres` or
      :class:`CnpgCluster`.
    - ``endpoint``: the host clients connect to (the RDS instance address; the cluster's read-write
      service ``<name>-rw.<namespace>.svc``).
    - ``port``: the port (a Terraform reference for RDS; 5432 for CloudNativePG).
    - ``secret``: where the owner's credentials are (the Secrets Manager ARN of the RDS-managed master
      secret; the Kubernetes secret ``<namespace>/<name>-app`` that CloudNativePG generates).
    - ``backup_location``: where the engine's own backups are (the RDS instance ARN, which automated
      backups, snapshots and their cross-region replication are keyed by; the barman object store's
      ``s3://`` destination, or None for a replica cluster that takes no backups of its own).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: RdsPostgresProps | CnpgClusterProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        self.engine: Engine
        self.endpoint: str
        self.port: float | int
        self.secret: str
        self.backup_location: str | None
        if isinstance(props, RdsPostgresProps):
            if depends_on:
                raise ValueError(f"{construct_id}: an RDS database takes no depends_on (Terraform orders it)")
            rds = RdsPostgres(scope, construct_id, props)
            self.engine, self.engine_construct = "rds", rds
            self.endpoint, self.port, self.secret = rds.address, rds.port, rds.master_secret_arn
            self.backup_location = rds.arn
        elif isinstance(props, CnpgClusterProps):
            cluster = CnpgCluster(scope, construct_id, props, depends_on=depends_on)
            self.engine, self.engine_construct = "cnpg", cluster
            self.endpoint = f"{props.name}-rw.{props.namespace}.svc"
            self.port = CNPG_PORT
            self.secret = f"{props.namespace}/{props.name}-app"
            self.backup_location = props.backup.destination_path if props.backup else None
        else:
            raise TypeError(
                f"{construct_id}: PostgresHA takes RdsPostgresProps or CnpgClusterProps, not {type(props).__name__}"
            )

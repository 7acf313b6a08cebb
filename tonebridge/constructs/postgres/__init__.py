"""PostgreSQL engines of the data tier. ``rds`` runs it as Amazon RDS; the server settings both
engines share are in :mod:`tonebridge.postgres_settings`."""

from tonebridge.constructs.postgres.rds import (
    RdsInstanceProps,
    RdsNetworkProps,
    RdsPostgres,
    RdsPostgresProps,
    RdsPostgresReplica,
    RdsPostgresReplicaProps,
)

__all__ = [
    "RdsInstanceProps",
    "RdsNetworkProps",
    "RdsPostgres",
    "RdsPostgresProps",
    "RdsPostgresReplica",
    "RdsPostgresReplicaProps",
]

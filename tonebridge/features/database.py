"""The region's RDS PostgreSQL (spec §4.1, §9.1, §11.1): the primary, as :class:`PostgresHA`, in the
primary region; the cross-region read replica and the replication of automated backups in the
secondary region, given the primary (so the secondary stack depends on the primary one, never the
other way round). In the platform stack of every region with an instance, its clients' egress
(:func:`add_database_clients`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from constructs import Construct

from tonebridge.constructs.cluster import TonebridgeCluster
from tonebridge.constructs.postgres.ha import PostgresHA
from tonebridge.constructs.postgres.rds import (
    RdsNetworkProps,
    RdsPostgres,
    RdsPostgresProps,
    RdsPostgresReplica,
    RdsPostgresReplicaProps,
)
from tonebridge.constructs.postgres.rds_clients import RdsClients, RdsClientsProps
from tonebridge.constructs.vpc import TonebridgeVpc
from tonebridge.features.region import RegionPlacement
from tonebridge.props.postgres import RdsSettings


@dataclass(frozen=True)
class RegionalDatabase:
    """``postgres`` (engine-neutral endpoint, port, secret, backup location) and ``primary``, its
    RdsPostgres, in the primary region; ``replica`` in the secondary region; None where absent."""

    postgres: PostgresHA | None = None
    primary: RdsPostgres | None = None
    replica: RdsPostgresReplica | None = None

    @property
    def has_instance(self) -> bool:
        """Whether an instance runs in this region (the primary, or the replica), so clients here connect."""
        return self.primary is not None or (self.replica is not None and self.replica.instance is not None)

    @property
    def outputs(self) -> dict[str, object]:
        """Where clients reach the database (the primary's endpoint, port, master secret) and the
        security groups that admit them, of whichever instance this region has."""
        outputs: dict[str, object] = {}
        if self.postgres and self.primary:
            outputs |= {
                "database_endpoint": self.postgres.endpoint,
                "database_port": self.postgres.port,
                "database_master_secret_arn": self.postgres.secret,
                "database_security_group_id": self.primary.security_group_id,
            }
        if self.replica:
            if self.replica.address:
                outputs["database_replica_endpoint"] = self.replica.address
            outputs["database_replica_security_group_id"] = self.replica.security_group_id
        return outputs


def add_database(
    scope: Construct,
    settings: RdsSettings,
    parameters: Mapping[str, str],
    at: RegionPlacement,
    vpc: TonebridgeVpc,
    cluster: TonebridgeCluster,
    primary: RdsPostgres | None,
) -> RegionalDatabase:
    """The primary (ids ``database/...``) in the primary region; in the secondary region the replica
    (``database-replica/...``) of ``primary`` when ``settings`` asks for a replica or backup
    replication. ``parameters``: the PostgreSQL settings in RDS units. Instances are named
    ``<prefix>`` (primary) and ``<prefix>-<region>`` (replica) and reachable from the cluster's
    node and control-plane security groups only."""
    network = RdsNetworkProps(
        vpc_id=vpc.vpc_id,
        db_subnet_group_name=vpc.db_subnet_group_name,
        client_security_group_ids=[
            cluster.node_security_group_id,
            cluster.cluster_security_group_id,
            # break-glass psql through Session Manager (the bastion's only other way out is HTTPS)
            *([vpc.bastion_security_group_id] if vpc.bastion_security_group_id else []),
        ],
    )
    if at.is_primary:
        # PostgresHA is no construct level: the instance keeps its id, ``database``.
        postgres = PostgresHA(
            scope,
            "database",
            RdsPostgresProps(identifier=at.prefix, network=network, parameters=parameters, settings=settings),
        )
        return RegionalDatabase(postgres, postgres.engine_construct)
    if not (settings.cross_region_replica or settings.automated_backup_replication):
        return RegionalDatabase()
    if primary is None:
        raise ValueError(f"{at.name}: the database replica needs the primary region's stack")
    replica = RdsPostgresReplica(
        scope,
        "database-replica",
        RdsPostgresReplicaProps(
            identifier=at.name, network=network, parameters=parameters, settings=settings, source_arn=primary.arn
        ),
    )
    return RegionalDatabase(replica=replica)


class Namespaces(Protocol):
    """The namespace objects the platform stack creates, for ``depends_on``."""

    def namespace_objects(self, names: Iterable[str]) -> list: ...


def add_database_clients(
    scope: Construct,
    settings: RdsSettings,
    database: RegionalDatabase,
    database_cidrs: Sequence[str],
    namespaces: Namespaces,
) -> RdsClients | None:
    """Platform stack: egress of ``settings.client_services`` to the data-tier subnets ``database_cidrs`` on 5432,
    where ``database`` (the region's infrastructure) has an instance; None where it has none or no clients."""
    if not database.has_instance or not settings.client_services:
        return None
    namespace = settings.client_namespace
    return RdsClients(
        scope,
        "database-clients",
        RdsClientsProps(namespace, tuple(settings.client_services), tuple(database_cidrs)),
        depends_on=namespaces.namespace_objects([namespace]),
    )

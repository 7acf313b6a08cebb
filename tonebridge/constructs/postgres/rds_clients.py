"""The RDS database's clients inside the cluster (platform stack of every region with an instance): the egress
of each client service (``database.rds.client_services`` of ``database.rds.client_namespace``) to the data-tier
subnets on 5432, as CloudNativePG's ``client_services`` get theirs to the cluster's pods.

Why here: the client namespace denies everything by default, and the manifests repository cannot add the
policy (Argo CD's AppProject refuses NetworkPolicies), so without it the services given the database
password could never reach the database. The policies are written from the declared flows
(:func:`tonebridge.constructs.flow_policies.flow_policies`), which the cluster-fit check proves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.flow_policies import flow_policies
from tonebridge.constructs.kube import Dependencies, kube_object
from tonebridge.flows import Endpoint, Flow, pods

POSTGRES_PORT = 5432
#: The destination's name in the flows (and so in the policies' names, ``out-<service>-database-5432``).
DATABASE = "database"


@dataclass(frozen=True)
class RdsClientsProps:
    """:param namespace: the clients' namespace. :param services: their ``app`` labels (none: nothing rendered).
    :param database_cidrs: the data-tier subnets the instance (and its Multi-AZ standby) lives in."""

    namespace: str
    services: Sequence[str]
    database_cidrs: Sequence[str]

    def __post_init__(self) -> None:
        if self.services and not self.database_cidrs:
            raise ValueError(f"{self.namespace}: the database's clients need the data-tier subnets (database_cidrs)")
        for cidr in self.database_cidrs:
            ipaddress.ip_network(cidr)


def client_flows(props: RdsClientsProps) -> list[Flow]:
    """Each client service to each data-tier subnet on 5432."""
    return [
        Flow(
            pods(service, props.namespace, app=service),
            Endpoint(DATABASE, cidr=cidr),
            POSTGRES_PORT,
            "PostgreSQL client",
        )
        for service in props.services
        for cidr in props.database_cidrs
    ]


class RdsClients(Construct):
    """Attributes: ``flows`` (declared), ``policies`` (one egress NetworkPolicy per client service)."""

    def __init__(self, scope: Construct, id_: str, props: RdsClientsProps, *, depends_on: Dependencies = ()) -> None:
        super().__init__(scope, id_)
        self.flows = client_flows(props)
        self.policies = [
            kube_object(self, p, depends_on=depends_on) for p in flow_policies(props.namespace, self.flows)
        ]
        declare_flows(self, self.flows)

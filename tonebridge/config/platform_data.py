"""The in-cluster data tier's configuration: CloudNativePG clusters (spec §4.1) and the Redis cluster
(spec §4.2) of one region, as ``platform.<region>.postgres`` and ``platform.<region>.redis``. Their models
are the constructs' settings (:mod:`tonebridge.props.cnpg`, :mod:`tonebridge.props.redis`), re-exported
here under their configuration names.

The §4.1 server settings are not repeated here: every engine takes them from ``database.settings``.
Cross-field rules (a replica needs a secondary region and a replicated bucket, names stay unique)
live in :mod:`tonebridge.config.semantics`; :func:`data_problems` holds the rules that make the data
stores fit the cluster (their namespaces, quotas, limit ranges, volume sizes and clients).

Clients: spec §8.1 confines api-gateway's egress to llm-service and auth-service, so the data
stores' clients default to those two services.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tonebridge.config.errors import Problem
from tonebridge.config.platform_secrets import claim_problem
from tonebridge.props.cnpg import CnpgClusterSettings, CnpgReplicaSettings, PostgresPlatformSettings
from tonebridge.props.redis import DEFAULT_CLIENTS, RedisClientsSettings, RedisPasswordSettings, RedisSettings
from tonebridge.props.types import ContainerResources
from tonebridge.quantities import parse_quantity

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform import PlatformConfig
    from tonebridge.config.platform_base import NamespaceConfig

#: The models are the props' (one schema): configuration imports them under their configuration names.
CnpgReplicaConfig = CnpgReplicaSettings
CnpgClusterConfig = CnpgClusterSettings
PostgresPlatformConfig = PostgresPlatformSettings
RedisVaultSecretConfig = RedisPasswordSettings
RedisClientsConfig = RedisClientsSettings
RedisConfig = RedisSettings
__all__ = [
    "DEFAULT_CLIENTS",
    "CnpgClusterConfig",
    "CnpgReplicaConfig",
    "PostgresPlatformConfig",
    "RedisClientsConfig",
    "RedisConfig",
    "RedisVaultSecretConfig",
    "data_problems",
]


def data_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """The data stores fit their cluster: namespaces that exist and isolate them, clients that are
    services of the client namespace, claims no smaller than their class serves, containers inside
    their namespace's limit range. (Quotas: :mod:`tonebridge.config.capacity_rules`.)"""
    for region, platform in cfg.platform.items():
        base = ("platform", region)
        redis = platform.redis
        if redis.enabled:
            at = (*base, "redis")
            yield from _redis_namespace(at, platform)
            if redis.clients.namespace not in platform.namespaces:
                yield Problem((*at, "clients", "namespace"), _unknown(redis.clients.namespace, region))
            yield from _clients((*at, "clients", "services"), platform, redis.clients.namespace, redis.clients.services)
            yield from _claim_size((*at, "storage_size"), region, platform, redis.storage_class, redis.storage_size)
            ns = platform.namespaces.get(redis.namespace)
            if ns is not None:
                yield from _limit_range((*at, "resources"), redis.namespace, ns, redis.resources)
                yield from _limit_range((*at, "exporter_resources"), redis.namespace, ns, redis.exporter_resources)
        for i, cluster in enumerate(platform.postgres.clusters):
            at = (*base, "postgres", "clusters", i)
            ns = platform.namespaces.get(cluster.namespace)
            if ns is None:
                yield Problem((*at, "namespace"), _unknown(cluster.namespace, region))
            else:
                yield from _limit_range((*at, "resources"), cluster.namespace, ns, cluster.resources)
                if cluster.replica is not None and ns.environment != "production":
                    yield Problem(
                        (*at, "replica"),
                        f"only production's backups are replicated to {region}; {cluster.namespace} is "
                        f"environment {ns.environment}, whose backups bucket has no replica",
                    )
            yield from _clients((*at, "client_services"), platform, cluster.namespace, cluster.client_services)
            yield from _claim_size((*at, "storage_size"), region, platform, cluster.storage_class, cluster.storage_size)
    yield from _rds_clients(cfg)


def _rds_clients(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """The RDS database's client services live in a namespace of every region with an instance (the primary's,
    the replica's), and are services of its §8.1 graph there: each region renders their egress."""
    rds, aws = cfg.database.rds, cfg.aws
    if not rds.client_services:
        return
    regions = [aws.primary_region]
    if aws.secondary_region and rds.cross_region_replica:
        regions.append(aws.secondary_region)
    at = ("database", "rds")
    found: list[Problem] = []
    for region in regions:
        platform = cfg.platform.get(region)
        if platform is None:
            continue
        if rds.client_namespace not in platform.namespaces:
            found.append(Problem((*at, "client_namespace"), _unknown(rds.client_namespace, region)))
            continue
        found += _clients((*at, "client_services"), platform, rds.client_namespace, rds.client_services)
    yield from dict.fromkeys(found)  # both regions' graphs may refuse the same service


def _unknown(namespace: str, region: str) -> str:
    return f"{namespace!r} is not one of platform.{region}.namespaces (its quota, limits and isolation live there)"


def _redis_namespace(at: tuple, platform: PlatformConfig) -> Iterator[Problem]:
    """Redis has a namespace of its own, isolated by default (its policies admit each flow)."""
    redis = platform.redis
    ns = platform.namespaces.get(redis.namespace)
    region = at[1]
    if ns is None:
        yield Problem((*at, "namespace"), _unknown(redis.namespace, region))
    elif redis.namespace == redis.clients.namespace or ns.network_isolation is None:
        yield Problem(
            (*at, "namespace"),
            f"{redis.namespace!r} must hold Redis alone, behind a default deny (namespaces.{redis.namespace}"
            ".network_isolation), apart from its clients",
        )


def _clients(at: tuple, platform: PlatformConfig, namespace: str, services: list[str]) -> Iterator[Problem]:
    """Client services are services of their namespace's §8.1 graph, where it has one."""
    ns = platform.namespaces.get(namespace)
    if ns is None or ns.network_isolation is None:
        return
    for i, service in enumerate(services):
        if service not in ns.network_isolation.services:
            yield Problem((*at, i), f"{service!r} is not a service of namespaces.{namespace}.network_isolation")


def _claim_size(at: tuple, region: str, platform: PlatformConfig, storage_class: str, size: str) -> Iterator[Problem]:
    """A claim EC2 would refuse (below fast-ssd's smallest volume, above gp3's largest): the other
    components' volume rule (:func:`tonebridge.config.platform_secrets.claim_problem`)."""
    if problem := claim_problem(size, storage_class, platform, region):
        yield Problem(at, problem)


def _limit_range(at: tuple, namespace: str, ns: NamespaceConfig, resources: ContainerResources) -> Iterator[Problem]:
    """Each container's requests at least the LimitRange's min, its limits at most its max."""
    bounds = ns.limit_range
    if bounds is None:
        return
    checks = (
        ("cpu_request", "min", "cpu", 1),
        ("memory_request", "min", "memory", 1),
        ("cpu_limit", "max", "cpu", -1),
        ("memory_limit", "max", "memory", -1),
    )
    for field, bound, resource, sign in checks:
        value, limit = getattr(resources, field), getattr(getattr(bounds, bound), resource)
        if sign * (parse_quantity(value) - parse_quantity(limit)) < 0:
            relation = "below" if bound == "min" else "above"
            yield Problem(
                (*at, field), f"{value} is {relation} the {bound} {limit} of namespaces.{namespace}.limit_range"
            )

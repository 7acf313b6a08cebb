"""Cross-field rules of `dns.routing` and `dns.cdn` (the global stack's routing records and CloudFront)."""

from __future__ import annotations

from collections.abc import Iterator

from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig


def inside(hostname: str, zone: str) -> bool:
    """Whether ``hostname`` is ``zone`` or a name below it."""
    return hostname == zone or hostname.endswith(f".{zone}")


def _under(pattern: str, prefix: str) -> bool:
    """Whether every path CloudFront sends for ``pattern`` is one the ALB routes for ``prefix``."""
    return pattern == prefix or pattern.startswith(f"{prefix}/")


def edge_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    dns = cfg.dns
    if dns is None:
        return
    edges = {r: p.edge for r, p in cfg.platform.items() if p.edge.enabled and p.edge.hostname}
    yield from _routing(cfg, edges)
    if dns.cdn and dns.cdn.enabled:
        yield from _cdn(cfg, edges)


def _routing(cfg: EnvironmentConfig, edges: dict) -> Iterator[Problem]:
    dns = cfg.dns
    routing = dns.routing
    at = ("dns", "routing")
    primary = edges.get(cfg.aws.primary_region)
    if routing.origin_hostname:
        if not inside(routing.origin_hostname, dns.zone):
            yield Problem(
                (*at, "origin_hostname"), f"{routing.origin_hostname} is outside the zone dns.zone {dns.zone}"
            )
        taken = {primary.hostname, *primary.alternative_names} if primary else set()
        if dns.dr:
            taken.add(dns.dr.hostname)
        if routing.origin_hostname in taken:
            yield Problem(
                (*at, "origin_hostname"), "must differ from the edge and DR hostnames (CloudFront's own name)"
            )
    if routing.policy == "latency":
        if routing.geolocation:
            yield Problem((*at, "geolocation"), "only with policy geolocation")
        if routing.default_region:
            yield Problem((*at, "default_region"), "only with policy geolocation")
        return
    seen: set[str] = set()
    for index, rule in enumerate(routing.geolocation):
        where = rule.continent or rule.country
        if rule.region not in edges:
            yield Problem((*at, "geolocation", index, "region"), f"{rule.region} has no edge (platform.<region>.edge)")
        if where in seen:
            yield Problem((*at, "geolocation", index), f"{where} is mapped twice")
        seen.add(where)
    default = routing.default_region or cfg.aws.primary_region
    if default not in edges:
        yield Problem((*at, "default_region"), f"{default} has no edge (platform.<region>.edge)")


def _cdn(cfg: EnvironmentConfig, edges: dict) -> Iterator[Problem]:
    dns, cdn = cfg.dns, cfg.dns.cdn
    at = ("dns", "cdn")
    primary = edges.get(cfg.aws.primary_region)
    if primary is None:
        yield Problem((*at, "enabled"), "needs the primary region's edge (platform.<primary>.edge.hostname)")
        return
    if not dns.routing.origin_hostname:
        yield Problem(("dns", "routing", "origin_hostname"), "required with dns.cdn: the name CloudFront fetches from")
    seen: set[str] = set()
    for index, cached in enumerate(cdn.cache_paths):
        if cached.path in seen:
            yield Problem((*at, "cache_paths", index, "path"), f"{cached.path} appears twice")
        seen.add(cached.path)
        if not any(_under(cached.path, prefix) for prefix in primary.paths):
            yield Problem(
                (*at, "cache_paths", index, "path"),
                f"{cached.path} is not under the ALB's routed paths {primary.paths} (it would answer 404)",
            )
    groups = cdn.waf.managed_rule_groups
    if len(set(groups)) != len(groups):
        yield Problem((*at, "waf", "managed_rule_groups"), "must be distinct")
    others = {cfg.state.bucket, f"{cfg.state.bucket}-access-logs"}
    if cfg.backups:
        others |= {cfg.backups.bucket, f"{cfg.backups.bucket}-access-logs"}
    if cdn.logs.bucket in others:
        yield Problem((*at, "logs", "bucket"), f"{cdn.logs.bucket} is already the state's or the backups' bucket")

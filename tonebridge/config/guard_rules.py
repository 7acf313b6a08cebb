"""Configuration rules that guard checks the constructs keep for themselves.

A construct validates its props early (and keeps doing so when it is used on its own); each rule
here rejects, at the field an operator edits, a value that would otherwise pass the configuration
and stop synthesis inside that construct with a stack trace. tests/construct_guards.py maps every
construct check to the configuration rule that guards it (or says why configuration cannot reach it).
The patterns are the constructs' own (named beside each), restated here because the configuration
never imports a construct module (they load cdktf).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.kubeapi import DNS_LABEL

#: constructs/edge_listener.py ``_SSL_POLICY_RE``: TLS 1.2 and 1.3 only.
SSL_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-)")
#: constructs/edge_listener.py ``HEALTH_RULE_PRIORITY``: path rules take the priorities below it.
MAX_EDGE_PATHS = 99
#: constructs/postgres/cnpg.py ``_PG16_IMAGE``: a pinned PostgreSQL 16 image.
PG16_IMAGE = re.compile(r"^[^:@]+/postgresql:16(\.\d+)?([-.][\w.-]+)?$")
#: constructs/redis.py: the cluster name is a DNS label of at most 40 characters (pod names add suffixes).
REDIS_NAME_MAX = 40
#: constructs/vault_aws.py: the unseal key alias and role are named after the cluster (1-39 of [a-z0-9-]).
VAULT_UNSEAL_NAME = re.compile(r"^[a-z0-9-]{1,39}$")


def _label(path: tuple, value: str, what: str = "") -> Iterator[Problem]:
    if not DNS_LABEL.match(value):
        yield Problem(path, f"{value!r} is not a DNS label{what} (lowercase letters, digits and '-', at most 63)")


def guard_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    if cfg.state.access_log_bucket and cfg.state.access_log_bucket == cfg.state.bucket:
        yield Problem(("state", "access_log_bucket"), "must differ from state.bucket (the logs would log themselves)")
    for region, platform in cfg.platform.items():
        base = ("platform", region)
        istio, argocd, edge = platform.istio, platform.argocd, platform.edge
        if istio.enabled:
            for field in ("namespace", "cni_namespace"):
                yield from _label((*base, "istio", field), getattr(istio, field))
        if argocd.enabled:
            at, app = (*base, "argocd"), argocd.application
            yield from _label((*at, "namespace"), argocd.namespace)
            yield from _label((*at, "project"), argocd.project)
            if argocd.project == "default":
                yield Problem((*at, "project"), "'default' allows any repository and destination; name a project")
            yield from _label((*at, "application", "name"), app.name)
            yield from _label((*at, "application", "namespace"), app.namespace)
            if app.path.startswith("/") or ".." in app.path.split("/"):
                yield Problem((*at, "application", "path"), f"{app.path!r} must be relative inside the repository")
            for i, option in enumerate(app.sync_options):
                if "=" not in option:
                    yield Problem((*at, "application", "sync_options", i), f"{option!r} is not Key=value")
        if edge.enabled:
            if len(edge.paths) > MAX_EDGE_PATHS:
                yield Problem((*base, "edge", "paths"), f"{len(edge.paths)} path prefixes: at most {MAX_EDGE_PATHS}")
            if not SSL_POLICY.match(edge.ssl_policy):
                yield Problem(
                    (*base, "edge", "ssl_policy"),
                    f"{edge.ssl_policy!r} must allow only TLS 1.2+ (an ELBSecurityPolicy-TLS13-1-2-* or -1-3-*)",
                )
        ci = platform.ci
        if ci.enabled and len(set(ci.deploy_namespaces)) != len(ci.deploy_namespaces):
            yield Problem((*base, "ci", "deploy_namespaces"), "values must be distinct")
        alarms = platform.observability.cloud_alarms
        if platform.observability.enabled and alarms.enabled and alarms.period_seconds % 60:
            yield Problem(
                (*base, "observability", "cloud_alarms", "period_seconds"),
                f"{alarms.period_seconds} is not a multiple of 60 (standard-resolution metrics)",
            )
        for i, pg in enumerate(platform.postgres.clusters):
            if not PG16_IMAGE.match(pg.image):
                yield Problem(
                    (*base, "postgres", "clusters", i, "image"),
                    f"{pg.image!r} is not a pinned PostgreSQL 16 image (…/postgresql:16.<minor>-<flavour>)",
                )
        redis = platform.redis
        if redis.enabled and len(redis.name) > REDIS_NAME_MAX:
            yield Problem((*base, "redis", "name"), f"at most {REDIS_NAME_MAX} characters (pod names add suffixes)")
        cluster = cfg.clusters.get(region)
        if cluster and platform.secrets.enabled and not VAULT_UNSEAL_NAME.match(cluster.name):
            yield Problem(
                ("clusters", region, "name"),
                f"{cluster.name!r}: Vault's unseal key and role are named after the cluster: "
                "1-39 lowercase letters, digits and '-'",
            )

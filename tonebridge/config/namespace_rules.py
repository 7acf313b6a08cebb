"""Namespaces: each one created by exactly one component, and never one Kubernetes reserves.

Two components that create the same namespace make two ``kubernetes_namespace`` objects of one
name (the second fails at apply, and destroying either deletes everything in it); a namespace
Kubernetes itself keeps (``kube-system``, ``default`` ...) cannot be created at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from tonebridge.config.errors import PathPart, Problem
from tonebridge.config.models import EnvironmentConfig
from tonebridge.config.platform import PlatformConfig

#: Namespaces every cluster already has; ``kube-`` is the prefix Kubernetes reserves for itself.
RESERVED = ("default", "kube-system", "kube-public", "kube-node-lease")
RESERVED_PREFIX = "kube-"

#: Namespaces the constructs create under a fixed name (their props' defaults, which the stacks keep;
#: tests/test_config_rules.py checks that these still match the constructs).
FIXED = {
    "secrets": ("cert-manager", "vault", "vault-secrets-operator-system"),
    "scanning": ("trivy-system",),
}


def reserved_problem(name: str) -> str | None:
    if name in RESERVED or name.startswith(RESERVED_PREFIX):
        return f"{name!r} is a namespace Kubernetes reserves ({', '.join(RESERVED)}, {RESERVED_PREFIX}*)"
    return None


def created_namespaces(platform: PlatformConfig, base: tuple[PathPart, ...]) -> list[tuple[tuple[PathPart, ...], str]]:
    """(field that names it, namespace) for every namespace the platform stack of one region creates."""
    out: list[tuple[tuple[PathPart, ...], str]] = [((*base, "namespaces", name), name) for name in platform.namespaces]

    def add(enabled: bool, section: tuple[str, ...], *fields: str) -> None:
        obj = platform
        for part in section:
            obj = getattr(obj, part)
        if enabled:
            out.extend(((*base, *section, field), getattr(obj, field)) for field in fields)

    obs = platform.observability
    add(platform.istio.enabled, ("istio",), "namespace", "cni_namespace")
    add(platform.argocd.enabled, ("argocd",), "namespace")
    add(platform.redis.enabled, ("redis",), "operator_namespace")
    add(bool(platform.postgres.clusters), ("postgres",), "operator_namespace")
    add(obs.enabled, ("observability",), "agents_namespace")
    add(obs.enabled and obs.logs.enabled, ("observability", "logs"), "namespace", "operator_namespace")
    add(platform.ci.enabled, ("ci",), "namespace", "agents_namespace")
    for section, names in FIXED.items():
        if getattr(platform, section).enabled:
            out.extend(((*base, section, "enabled"), name) for name in names)
    return out


def namespace_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, platform in cfg.platform.items():
        owners: dict[str, tuple[PathPart, ...]] = {}
        for path, name in created_namespaces(platform, ("platform", region)):
            if problem := reserved_problem(name):
                yield Problem(path, problem)
            elif name in owners:
                owner = ".".join(str(p) for p in owners[name])
                yield Problem(path, f"namespace {name!r} is already created by {owner}; give each component its own")
            else:
                owners[name] = path

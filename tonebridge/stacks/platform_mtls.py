"""Which namespaces of a platform stack get STRICT mutual TLS, and the few ports that must also
accept clients outside the mesh (each narrowed further by a NetworkPolicy, each with its reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tonebridge.constructs.istio import MtlsPortException
from tonebridge.constructs.postgres.cnpg import METRICS_PORT, POSTGRES_PORT, STATUS_PORT

if TYPE_CHECKING:
    from tonebridge.config.platform import PlatformConfig

INJECTION_LABEL = "istio-injection"


def strict_mtls_namespaces(platform: PlatformConfig) -> list[str]:
    """``istio.strict_mtls_namespaces``, or by default every namespace with sidecar injection: staging
    gets the same STRICT mTLS as production."""
    configured = platform.istio.strict_mtls_namespaces
    if configured is not None:
        return list(configured)
    return [name for name, ns in platform.namespaces.items() if ns.labels.get(INJECTION_LABEL) == "enabled"]


def mtls_port_exceptions(platform: PlatformConfig, strict: list[str]) -> list[MtlsPortException]:
    """CloudNativePG instances in a STRICT namespace: the operator (5432, 8000) and Prometheus (9187)
    are outside the mesh; PostgreSQL itself admits TLS connections only (``hostssl``). CI's
    integration-test targets: the test pods are outside the mesh, and only they and the gateway are
    admitted to that port by NetworkPolicy."""
    exceptions = [
        MtlsPortException(
            namespace=cluster.namespace,
            name=f"cnpg-{cluster.name}",
            match_labels={"cnpg.io/cluster": cluster.name},
            ports=(POSTGRES_PORT, STATUS_PORT, METRICS_PORT),
            reason="CloudNativePG's operator and Prometheus are outside the mesh; "
            "PostgreSQL accepts TLS only (hostssl)",
        )
        for cluster in platform.postgres.clusters
        if cluster.namespace in strict
    ]
    ci = platform.ci
    if ci.enabled:
        exceptions += [
            MtlsPortException(
                namespace=target.namespace,
                name=f"ci-tests-{target.service}",
                match_labels={"app": target.service},
                ports=(target.port,),
                reason=f"CI's integration tests (namespace {ci.agents_namespace}, outside the mesh); "
                "the NetworkPolicy admits only them and the gateway",
            )
            for target in ci.test_targets
            if target.namespace in strict
        ]
    return exceptions

"""The secrets path (spec §8.2) and in-cluster image scanning (spec §5.2) in the configuration.

``platform.<region>.secrets``: Vault (HA, integrated storage, TLS from cert-manager, KMS auto-unseal),
the Secrets Store CSI driver with Vault's provider, the Vault Secrets Operator and the application's
secret objects. ``platform.<region>.scanning``: trivy-operator. Defaults are the spec's values. Both
models are their constructs' own settings (:mod:`tonebridge.props.secrets`,
:mod:`tonebridge.props.scanning`), re-exported here under their configuration names.
:func:`volume_problems` holds every sized claim of the platform's components to its class's
smallest volume
and to gp3's largest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tonebridge import cloudfacts
from tonebridge.config.errors import Problem
from tonebridge.ebsrules import GP3_MAX_IOPS_PER_GIB
from tonebridge.props.scanning import ScanningSettings, Severity  # noqa: F401 - Severity: config/platform_ci.py
from tonebridge.props.secrets import ApplicationSecretsSettings, SecretObjectSettings, SecretsSettings
from tonebridge.props.vault import VaultServerSettings
from tonebridge.quantities import parse_quantity

if TYPE_CHECKING:
    from tonebridge.config.models import EnvironmentConfig
    from tonebridge.config.platform import PlatformConfig

#: The secrets path's settings are its constructs' own (tonebridge.props.secrets, tonebridge.props.vault).
VaultServerConfig = VaultServerSettings
SecretObjectConfig = SecretObjectSettings
ApplicationSecretsConfig = ApplicationSecretsSettings
SecretsConfig = SecretsSettings

#: trivy-operator's settings are the TrivyOperator construct's own (tonebridge.props.scanning).
ScanningConfig = ScanningSettings


#: The StorageClass that carries ``platform.<region>.storage.fast_ssd`` (its provisioned IOPS).
FAST_SSD = "fast-ssd"
#: The cluster's EBS classes (constructs/storage_classes.py): both make gp3 volumes.
EBS_CLASSES = (FAST_SSD, "gp3")


def _gib(size: str) -> int:
    """Whole GiB of the volume the EBS CSI driver creates for ``size`` (it rounds up)."""
    return math.ceil(parse_quantity(size) / 1024**3)


def claim_problem(size: str, storage_class: str, platform: PlatformConfig, region: str) -> str | None:
    """Why EC2 would refuse the gp3 volume of a claim of ``size`` on ``storage_class``, or None: above
    gp3's largest volume (the cloud facts table), or on ``fast-ssd`` below its ``smallest_volume_gib``
    (the class provisions its IOPS for every volume, and gp3 allows at most 500 IOPS per GiB)."""
    if storage_class not in EBS_CLASSES:
        return None
    gib, largest = _gib(size), cloudfacts.gp3()["size_gib"][1]
    if gib > largest:
        return f"{size} is above the largest gp3 volume ({largest} GiB, {storage_class} is gp3): EC2 would refuse it"
    fast = platform.storage.fast_ssd
    if storage_class == FAST_SSD and gib < fast.smallest_volume_gib:
        return (
            f"{size} is below {FAST_SSD}'s smallest volume ({fast.smallest_volume_gib}Gi, "
            f"platform.{region}.storage.fast_ssd.smallest_volume_gib; {fast.iops} IOPS need at least "
            f"{fast.iops / GP3_MAX_IOPS_PER_GIB:g} GiB on gp3): EC2 would refuse it"
        )
    return None


def _sized_claims(platform: PlatformConfig) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """``(field path under platform.<region>, size, storage class)`` of every volume a component
    claims per replica: Vault's data and audit, Prometheus and Alertmanager, the Elasticsearch
    node sets, Jenkins's home."""
    vault = platform.secrets.vault
    if platform.secrets.enabled:
        for field in ("data_storage", "audit_storage"):
            yield ("secrets", "vault", field), getattr(vault, field), vault.storage_class
    obs = platform.observability
    if obs.enabled:
        for field in ("storage_size", "alertmanager_storage_size"):
            yield ("observability", "metrics", field), getattr(obs.metrics, field), obs.metrics.storage_class
        if obs.logs.enabled:
            for node_set in ("master", "data"):
                size = getattr(obs.logs, node_set).storage_size
                yield ("observability", "logs", node_set, "storage_size"), size, obs.logs.storage_class
    ci = platform.ci
    if ci.enabled:
        yield ("ci", "controller", "storage"), ci.controller.storage, ci.controller.storage_class


def volume_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    """Every claim on an EBS class is a volume EC2 creates (:func:`claim_problem`); otherwise the
    claim stays Pending and its component never starts."""
    for region, platform in cfg.platform.items():
        for path, size, storage_class in _sized_claims(platform):
            if problem := claim_problem(size, storage_class, platform, region):
                yield Problem(("platform", region, *path), problem)

"""The clouds' own rules for values of a role: ranges EKS refuses as the service range, and names
that end up as GCP labels (the DR stack labels every resource with the environment's tags).
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from tonebridge import cloudfacts
from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig

#: EKS's ``kubernetesNetworkConfig.serviceIpv4Cidr``: inside RFC 1918, between /12 and /24.
RFC1918 = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SERVICE_PREFIX = (12, 24)


def gcp_labels(env: EnvironmentConfig) -> dict[str, str]:
    """The environment's tags as GCP labels (lowercase keys and values), plus managed-by and stack."""
    labels = {k.lower(): v.lower() for k, v in env.tags.items()}
    return labels | {"managed-by": "cdktf", "stack": f"{env.name}-dr"}


def cloud_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, cluster in cfg.clusters.items():
        cidr = cluster.service_cidr
        at = ("clusters", region, "service_cidr")
        if not any(cidr.subnet_of(block) for block in RFC1918):
            yield Problem(at, f"{cidr} is outside RFC 1918 (10/8, 172.16/12, 192.168/16), which EKS requires")
        elif not SERVICE_PREFIX[0] <= cidr.prefixlen <= SERVICE_PREFIX[1]:
            yield Problem(at, f"{cidr} must be between /{SERVICE_PREFIX[0]} and /{SERVICE_PREFIX[1]} (EKS)")
    if cfg.dr:
        for key, reason in cloudfacts.gcp_label_problems(gcp_labels(cfg)):
            original = next((k for k in cfg.tags if k.lower() == key), key)
            yield Problem(("tags", original) if original in cfg.tags else ("tags",), f"{reason} (dr labels)")

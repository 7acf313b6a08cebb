"""Rules for EKS inputs: the cluster's settings (tonebridge/props/cluster.py) and the Karpenter constructs.

Pure Python (no cdktf): configuration is checked with these before any provider is imported, and
ClusterSettings is also the construct's input, so a construct used on its own fails early too.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network

_VERSION_RE = re.compile(r"^1\.(\d{2})$")
_CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_LABEL_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")

#: Kubernetes taint effects and the names the EKS API uses for them.
TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def version_problem(version: str) -> str | None:
    """EKS versions are ``1.NN``; anything else (``1.28.3``, ``v1.30``, ``1.9``) is a typo."""
    if not _VERSION_RE.match(version):
        return f"{version!r} is not an EKS version of the form 1.NN (for example 1.35)"
    return None


def cluster_name_problem(name: str) -> str | None:
    if not _CLUSTER_NAME_RE.match(name):
        return f"{name!r} is not a valid EKS cluster name: 1-100 letters, digits, '-' or '_', starting alphanumeric"
    return None


def scaling_problem(min_size: int, desired_size: int, max_size: int) -> str | None:
    """Managed node groups need 0 <= min <= desired <= max and max >= 1."""
    if min_size < 0:
        return f"min_size {min_size} must not be negative"
    if max_size < 1:
        return f"max_size {max_size} must be at least 1"
    if min_size > max_size:
        return f"min_size {min_size} is greater than max_size {max_size}"
    if not min_size <= desired_size <= max_size:
        return f"desired_size {desired_size} is outside [min_size {min_size}, max_size {max_size}]"
    return None


def taint_effect_problem(effect: str) -> str | None:
    if effect not in TAINT_EFFECTS:
        return f"taint effect {effect!r} is not one of {', '.join(TAINT_EFFECTS)}"
    return None


def public_access_problem(cidr: str) -> str | None:
    """A public API endpoint is only ever open to named ranges."""
    if IPv4Network(cidr, strict=False).prefixlen == 0:
        return f"{cidr} would open the API endpoint to everyone"
    return None


#: The EKS managed add-ons every cluster runs, each with an explicit version (tonebridge/versions.yaml).
MANAGED_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver")

_ADDON_VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_AMI_RELEASE_RE = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")


def addon_version_problem(addon: str, version: str) -> str | None:
    if addon not in MANAGED_ADDONS:
        return f"{addon!r} is not a managed add-on here ({', '.join(MANAGED_ADDONS)})"
    if not _ADDON_VERSION_RE.match(version):
        return f"{addon}: {version!r} is not an EKS add-on version (v1.2.3-eksbuild.4)"
    return None


def ami_release_problem(release: str, kubernetes_version: str) -> str | None:
    """An EKS-optimized AMI release (``1.35.0-20260903``) for the cluster's Kubernetes minor, or ``track``."""
    if release == "track":
        return None
    match = _AMI_RELEASE_RE.match(release)
    if not match:
        return f"{release!r} is neither 'track' nor an EKS AMI release such as {kubernetes_version}.0-20260903"
    if match.group(1) != kubernetes_version:
        return f"AMI release {release} is for Kubernetes {match.group(1)}, the cluster runs {kubernetes_version}"
    return None


#: Karpenter's EventBridge rules are named ``<cluster>-karpenter-<event>`` (at most 64 characters).
KARPENTER_RULE_EVENTS = (
    "spot-interruption",
    "rebalance",
    "instance-state-change",
    "scheduled-change",
    "capacity-reservation",
)


def karpenter_rule_name(cluster: str, event: str) -> str:
    return f"{cluster}-karpenter-{event}"


def karpenter_name_problem(cluster: str) -> str | None:
    """The rule names are the tightest limit a cluster name meets once Karpenter is on."""
    longest = max(len(karpenter_rule_name(cluster, event)) for event in KARPENTER_RULE_EVENTS)
    if longest > 64:
        return f"Karpenter's rule names would be {longest} > 64 characters; shorten the cluster name"
    return None


def taint_key_problem(key: str) -> str | None:
    """A taint key is a qualified name, as a label key (the NodePool CRD and the API server check it)."""
    if not _LABEL_KEY_RE.match(key) or len(key) > 317:
        return f"{key!r} is not a valid Kubernetes taint key (a qualified name such as example.com/dedicated)"
    return None


def taint_value_problem(value: str) -> str | None:
    """A taint value follows label-value syntax: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends."""
    if not _LABEL_VALUE_RE.match(value):
        return f"{value!r} is not a valid Kubernetes taint value (label-value syntax: at most 63 of [A-Za-z0-9_.-])"
    return None


def label_problem(key: str, value: str) -> str | None:
    if not _LABEL_KEY_RE.match(key) or len(key) > 317:
        return f"{key!r} is not a valid Kubernetes label key"
    if not _LABEL_VALUE_RE.match(value):
        return f"label {key}={value!r}: the value is not a valid Kubernetes label value"
    return None

"""Rule ``volume``: every claim gets a volume its StorageClass's provisioner can create.

A claim names a class (or takes the default one); for the EBS CSI driver the class's parameters and
the claim's size must make a volume EC2 accepts. The driver (aws-ebs-csi-driver ``pkg/cloud``
``capIOPS``) rounds the size up to whole GiB, takes ``iops`` or ``iopsPerGB`` x size, caps it at the
type's maximum, and lowers it to the type's per-GiB ratio only when that ratio still reaches the
type's minimum IOPS: below that size EC2 receives the class's IOPS as they are and refuses the
volume (the ratio allows any volume the minimum, gp3's free 3000 baseline, and no more), so the claim
stays Pending. Above it the volume is made with fewer IOPS than the class says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tonebridge.ebsrules import GP3_IOPS, GP3_MAX_IOPS_PER_GIB, GP3_MAX_THROUGHPUT_PER_IOPS
from tonebridge.quantities import parse_quantity
from tools.fit.model import Claim, ClusterView, Problem, object_ref

EBS_PROVISIONER = "ebs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
#: The driver's volume type when the class names none (aws-ebs-csi-driver docs/parameters.md).
EBS_DEFAULT_TYPE = "gp3"
#: Access modes an EBS volume serves: it attaches to one node (multi-attach io2 block volumes aside).
EBS_ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod")
_GIB = 1024**3


@dataclass(frozen=True)
class IopsLimits:
    """Provisioned IOPS of a volume type: total range and the most per GiB of size."""

    minimum: int
    maximum: int
    per_gib: int


#: The driver's table (docs/parameters.md); gp3's from tonebridge.ebsrules.
IOPS_LIMITS = {
    "gp3": IopsLimits(GP3_IOPS[0], GP3_IOPS[1], GP3_MAX_IOPS_PER_GIB),
    "io1": IopsLimits(100, 64000, 50),
    "io2": IopsLimits(100, 64000, 500),
}
#: Smallest volume of each type in GiB (EC2 CreateVolume ``Size``).
MIN_SIZE_GIB = {"gp2": 1, "gp3": 1, "io1": 4, "io2": 4, "st1": 125, "sc1": 125, "standard": 1}


def _default_class(classes: Mapping[str, dict[str, Any]]) -> str | None:
    for name, storage_class in classes.items():
        annotations = storage_class.get("metadata", {}).get("annotations") or {}
        if annotations.get(DEFAULT_CLASS_ANNOTATION) == "true":
            return name
    return None


def _ebs_problems(claim: Claim, class_name: str, parameters: Mapping[str, str]) -> list[str]:
    """Why EC2 (or the driver) would not make the volume the claim and the class ask for."""
    # The driver reads its parameters case-insensitively.
    params = {key.lower(): str(value) for key, value in parameters.items()}
    volume_type = params.get("type", EBS_DEFAULT_TYPE).lower()
    size = math.ceil(parse_quantity(claim.size) / _GIB)
    on = f"{claim.size} on {class_name}"
    problems = [
        f"{on}: {mode} is not an access mode EBS volumes serve"
        for mode in claim.access_modes
        if mode not in EBS_ACCESS_MODES
    ]
    smallest = MIN_SIZE_GIB.get(volume_type)
    if smallest is not None and size < smallest:
        problems.append(f"{on}: {volume_type} volumes are at least {smallest}Gi")
    limits = IOPS_LIMITS.get(volume_type)
    iops = None
    if limits is not None and "iops" in params:
        iops = int(params["iops"])
    elif limits is not None and "iopspergb" in params:
        iops = int(params["iopspergb"]) * size
    if limits is not None and iops is not None:
        if iops < limits.minimum and params.get("allowautoiopspergbincrease") != "true":
            problems.append(f"{on}: {iops} IOPS are below {volume_type}'s minimum of {limits.minimum}")
        iops = min(max(iops, limits.minimum), limits.maximum)
        ratio_cap = limits.per_gib * size
        if iops > max(ratio_cap, limits.minimum):
            if ratio_cap >= limits.minimum:
                bound, fate = f"at most {ratio_cap}", f"the driver lowers it to {ratio_cap}"
            else:
                bound, fate = f"at most the {limits.minimum} minimum", "EC2 refuses it"
            problems.append(
                f"{on}: {iops} IOPS exceed {volume_type}'s {limits.per_gib} per GiB ({bound} for {claim.size}); {fate}"
            )
            iops = ratio_cap if ratio_cap >= limits.minimum else iops
    if volume_type == "gp3" and "throughput" in params:
        granted = iops or GP3_IOPS[0]  # gp3's baseline when the class sets no IOPS
        throughput = int(params["throughput"])
        if throughput > granted * GP3_MAX_THROUGHPUT_PER_IOPS:
            problems.append(
                f"{on}: {throughput} MiB/s exceed gp3's {GP3_MAX_THROUGHPUT_PER_IOPS} MiB/s per IOPS "
                f"(at most {int(granted * GP3_MAX_THROUGHPUT_PER_IOPS)} with {granted} IOPS)"
            )
    return problems


def check(view: ClusterView) -> list[Problem]:
    """Claims whose class is missing or whose volume EC2 would refuse."""
    classes = {c["metadata"]["name"]: c for c in view.of_kind("StorageClass", "storage.k8s.io")}
    default = _default_class(classes)
    problems = []
    for claim in view.all_claims():
        ref = object_ref("PersistentVolumeClaim", claim.name)
        name = claim.storage_class if claim.storage_class is not None else default
        if name is None:
            why = f"{claim.size} with no class and no default StorageClass: the claim stays Pending"
            problems.append(view.problem(claim.namespace, ref, "volume", why))
            continue
        storage_class = classes.get(name)
        if storage_class is None:
            why = f"{claim.size} on {name}: no such StorageClass ({', '.join(sorted(classes)) or 'none exist'})"
            problems.append(view.problem(claim.namespace, ref, "volume", why))
            continue
        if storage_class.get("provisioner") == EBS_PROVISIONER:
            for why in _ebs_problems(claim, name, storage_class.get("parameters") or {}):
                problems.append(view.problem(claim.namespace, ref, "volume", why))
    return problems

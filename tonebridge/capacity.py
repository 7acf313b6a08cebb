"""What one EKS node offers pods: its instance type's size, network interfaces, and allocatable resources.

Pure Python (no cdktf): the configuration rules and the cluster-fit check size pools with it.

Allocatable follows the kubelet: ``capacity - kubeReserved - evictionHard`` (no systemReserved is set on
the EKS AMIs). The reservation is the EKS AL2023 one, as ``nodeadm`` writes it
(awslabs/amazon-eks-ami ``nodeadm/internal/kubelet/config.go``):

- memory ``GetMemoryMebibytesToReserve(maxPods) = 11 * maxPods + 255`` MiB;
- CPU ``getCPUMillicoresToReserve()``: 6% of the first core, 1% of the second, 0.5% of the third and
  fourth, 0.25% of every core above, each range rounded down to a whole millicore;
- ``evictionHard: memory.available: 100Mi``.

Which ``maxPods`` the memory reservation uses: nodeadm computes it from the instance type's classic
ENI limit (``GetClassicMaxPods``, :func:`eni_max_pods`), and a ``maxPods`` given in the user's
NodeConfig (as :mod:`tonebridge.constructs.node_userdata` does) only changes the kubelet's pod limit
in a drop-in file, not the reservation. Karpenter schedules with ``11 * maxPods + 255`` at the
kubelet's ``maxPods`` instead. Callers pass the pod count to reserve for; passing the kubelet's
``maxPods`` (110 here, above every ENI limit of the small types) is the cautious choice, and the one
Karpenter makes when it decides whether a pod fits a new node.

Capacity memory: the kubelet sees less than the nominal size (the hypervisor and the kernel keep some);
Karpenter models that as nominal x (1 - ``vmMemoryOverheadPercent``) with its default 0.075, the
overhead rounded up to a whole MiB (karpenter-provider-aws ``pkg/providers/instancetype/types.go``
``memory()``). The same model is used here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: Karpenter's default ``vmMemoryOverheadPercent``.
VM_MEMORY_OVERHEAD = 0.075
#: Addresses of one /28 prefix (prefix delegation).
IPS_PER_PREFIX = 16
#: nodeadm's ``evictionHard`` ``memory.available``.
EVICTION_HARD_MIB = 100
#: nodeadm's ``GetMemoryMebibytesToReserve``: 255 MiB plus 11 MiB per pod.
RESERVED_MIB_BASE, RESERVED_MIB_PER_POD = 255, 11
#: nodeadm's ``getCPUMillicoresToReserve``: (range end in millicores, basis points of the range reserved).
_CPU_RESERVATION = ((1000, 600), (2000, 100), (4000, 50), (math.inf, 25))


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type as a node: vCPUs, nominal memory, interfaces and IPv4 addresses per interface."""

    name: str
    vcpus: int
    memory_mib: int
    enis: int
    ipv4_per_eni: int
    architecture: str  # "amd64" or "arm64", as the kubernetes.io/arch label writes it


@dataclass(frozen=True, order=True)
class Resources:
    """CPU and memory, in the units the kubelet reserves them (millicores, MiB)."""

    cpu_millis: int
    memory_mib: int

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millis + other.cpu_millis, self.memory_mib + other.memory_mib)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millis - other.cpu_millis, self.memory_mib - other.memory_mib)

    def __mul__(self, count: int) -> Resources:
        return Resources(self.cpu_millis * count, self.memory_mib * count)

    __rmul__ = __mul__

    def fits_in(self, other: Resources) -> bool:
        """Whether both CPU and memory are at most ``other``'s (the scheduler's test, per resource)."""
        return self.cpu_millis <= other.cpu_millis and self.memory_mib <= other.memory_mib


def _family(
    prefix: str, architecture: str, sizes: tuple[tuple[str, int, int, int, int], ...]
) -> dict[str, InstanceType]:
    """One family's sizes: (size, vCPUs, memory GiB x 1024 as MiB, ENIs, IPv4 per ENI)."""
    return {
        f"{prefix}.{size}": InstanceType(f"{prefix}.{size}", vcpus, mib, enis, ips, architecture)
        for size, vcpus, mib, enis, ips in sizes
    }


_GIB = 1024
# Burstable: vCPUs and memory from the EC2 "General purpose instances" specifications; ENIs and IPv4
# addresses per interface from the EC2 User Guide table "Maximum IP addresses per network interface".
# Each (ENIs, IPv4) pair reproduces the VPC CNI's eni-max-pods.txt (amazon-eks-ami
# nodeadm/internal/kubelet/eni-max-pods.txt): t3.medium 3 x (6 - 1) + 2 = 17, c5.large 29, m5.xlarge 58, ...
_BURSTABLE = (
    ("nano", 2, _GIB // 2, 2, 2),
    ("micro", 2, 1 * _GIB, 2, 2),
    ("small", 2, 2 * _GIB, 3, 4),
    ("medium", 2, 4 * _GIB, 3, 6),
    ("large", 2, 8 * _GIB, 3, 12),
    ("xlarge", 4, 16 * _GIB, 4, 15),
    ("2xlarge", 8, 32 * _GIB, 4, 15),
)


def _sized(memory_per_vcpu_gib: int, sizes: tuple[tuple[str, int, int, int], ...]) -> tuple:
    """Fixed-ratio families (c = 2 GiB, m = 4 GiB, r = 8 GiB per vCPU): (size, vCPUs, ENIs, IPv4 per ENI)."""
    return tuple((size, vcpus, vcpus * memory_per_vcpu_gib * _GIB, enis, ips) for size, vcpus, enis, ips in sizes)


# Nitro fifth-generation sizes and their interfaces (EC2 User Guide, as above).
_C5_SIZES = (
    ("large", 2, 3, 10),
    ("xlarge", 4, 4, 15),
    ("2xlarge", 8, 4, 15),
    ("4xlarge", 16, 8, 30),
    ("9xlarge", 36, 8, 30),
    ("12xlarge", 48, 8, 30),
    ("18xlarge", 72, 15, 50),
    ("24xlarge", 96, 15, 50),
)
_GENERAL_SIZES = (
    ("large", 2, 3, 10),
    ("xlarge", 4, 4, 15),
    ("2xlarge", 8, 4, 15),
    ("4xlarge", 16, 8, 30),
    ("8xlarge", 32, 8, 30),
    ("12xlarge", 48, 8, 30),
    ("16xlarge", 64, 15, 50),
    ("24xlarge", 96, 15, 50),
)
_SIXTH_GEN_SIZES = (*_GENERAL_SIZES, ("32xlarge", 128, 15, 50))
_GRAVITON2_SIZES = (("medium", 1, 2, 4), *_GENERAL_SIZES[:7])

#: Every instance type a node group or NodePool of this project may name.
INSTANCE_TYPES: Mapping[str, InstanceType] = MappingProxyType(
    {
        **_family("t3", "amd64", _BURSTABLE),
        # t3a.small has two interfaces where t3.small has three (eni-max-pods.txt: 8, not 11).
        **_family("t3a", "amd64", tuple(("small", 2, 2 * _GIB, 2, 4) if s[0] == "small" else s for s in _BURSTABLE)),
        **_family("t4g", "arm64", _BURSTABLE),
        **_family("c5", "amd64", _sized(2, _C5_SIZES)),
        **_family("c5a", "amd64", _sized(2, _GENERAL_SIZES)),
        **_family("c6i", "amd64", _sized(2, _SIXTH_GEN_SIZES)),
        **_family("c6g", "arm64", _sized(2, _GRAVITON2_SIZES)),
        **_family("m5", "amd64", _sized(4, _GENERAL_SIZES)),
        **_family("m6i", "amd64", _sized(4, _SIXTH_GEN_SIZES)),
        **_family("m6g", "arm64", _sized(4, _GRAVITON2_SIZES)),
        **_family("r5", "amd64", _sized(8, _GENERAL_SIZES)),
        **_family("r6i", "amd64", _sized(8, _SIXTH_GEN_SIZES)),
        **_family("r6g", "arm64", _sized(8, _GRAVITON2_SIZES)),
    }
)


def lookup(name: str) -> InstanceType:
    """The type called ``name``; KeyError naming the known families if this module does not know it."""
    try:
        return INSTANCE_TYPES[name]
    except KeyError:
        families = sorted({known.split(".")[0] for known in INSTANCE_TYPES})
        raise KeyError(
            f"{name!r} is not a known instance type (tonebridge.capacity knows {', '.join(families)})"
        ) from None


def eni_max_pods(instance_type: str) -> int:
    """Pods a node can address when each takes a secondary IPv4 of the node's interfaces.

    The VPC CNI's formula (eni-max-pods.txt): every interface keeps its primary address, and two
    host-network pods (aws-node, kube-proxy) need none.
    """
    return addressable_pods(instance_type, custom_networking=False, prefix_delegation=False)


def addressable_pods(instance_type: str, *, custom_networking: bool, prefix_delegation: bool) -> int:
    """Pods the VPC CNI can give an address on one node, as amazon-eks-ami's max-pods-calculator.sh counts them.

    Custom networking leaves the primary interface to the node (pods use the others); prefix
    delegation puts a /28 prefix (16 addresses) in every secondary address slot. Prefix delegation
    needs a Nitro type: every type of :data:`INSTANCE_TYPES` is one.
    """
    node = lookup(instance_type)
    interfaces = node.enis - 1 if custom_networking else node.enis
    per_interface = (node.ipv4_per_eni - 1) * (IPS_PER_PREFIX if prefix_delegation else 1)
    return interfaces * per_interface + 2


def capacity(instance_type: str) -> Resources:
    """What the kubelet reports as capacity: all vCPUs, and memory less Karpenter's VM overhead."""
    node = lookup(instance_type)
    overhead = math.ceil(node.memory_mib * VM_MEMORY_OVERHEAD)
    return Resources(node.vcpus * 1000, node.memory_mib - overhead)


def kube_reserved(instance_type: str, max_pods: int) -> Resources:
    """nodeadm's kubeReserved for a node of this type reserving for ``max_pods`` pods."""
    total = lookup(instance_type).vcpus * 1000
    cpu, start = 0, 0
    for end, basis_points in _CPU_RESERVATION:
        if total > start:
            cpu += int((min(total, end) - start) * basis_points // 10000)
        start = end
    return Resources(cpu, RESERVED_MIB_BASE + RESERVED_MIB_PER_POD * max_pods)


def allocatable(instance_type: str, max_pods: int) -> Resources:
    """What pods may request on one node: capacity - kubeReserved - the 100Mi memory eviction threshold."""
    return capacity(instance_type) - kube_reserved(instance_type, max_pods) - Resources(0, EVICTION_HARD_MIB)

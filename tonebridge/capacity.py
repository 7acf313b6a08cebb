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

from tonebridge import cloudfacts

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


def _node_types() -> dict[str, InstanceType]:
    """The node families' types from the cloud facts table (:mod:`tonebridge.cloudfacts`: vCPUs, memory,
    interfaces and IPv4 addresses per interface as EC2's DescribeInstanceTypes reports them), bare
    metal left out. Each (ENIs, IPv4) pair reproduces the VPC CNI's eni-max-pods.txt (amazon-eks-ami
    nodeadm/internal/kubelet/eni-max-pods.txt): t3.medium 3 x (6 - 1) + 2 = 17, c5.large 29, m5.xlarge 58, ...
    """
    families = set(cloudfacts.node_families())
    return {
        name: InstanceType(name, t.vcpus, t.memory_mib, t.max_enis, t.ipv4_per_eni, t.kubernetes_arch)
        for name, t in sorted(cloudfacts.ec2_instance_types().items())
        if name.split(".")[0] in families and not t.bare_metal
    }


#: Every instance type a node group or NodePool of this project may name.
INSTANCE_TYPES: Mapping[str, InstanceType] = MappingProxyType(_node_types())


def lookup(name: str) -> InstanceType:
    """The type called ``name``; KeyError saying why this module does not size it, with the nearest names."""
    try:
        return INSTANCE_TYPES[name]
    except KeyError:
        problem = cloudfacts.instance_type_problem(name)
        if problem:
            raise KeyError(problem) from None
        families = ", ".join(cloudfacts.node_families())
        raise KeyError(
            f"{name!r} is an EC2 instance type the capacity model does not size (node families: {families})"
            f"{cloudfacts.suggest(name, INSTANCE_TYPES)}"
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

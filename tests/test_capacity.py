"""The node capacity model: ENI pod limits, the EKS reservation, allocatable."""

from __future__ import annotations

import pytest

from tonebridge.capacity import (
    INSTANCE_TYPES,
    Resources,
    addressable_pods,
    allocatable,
    capacity,
    eni_max_pods,
    kube_reserved,
    lookup,
)

# amazon-eks-ami nodeadm/internal/kubelet/eni-max-pods.txt, one line per type of INSTANCE_TYPES' families.
ENI_MAX_PODS_TXT = """
t3.nano 4 t3.micro 4 t3.small 11 t3.medium 17 t3.large 35 t3.xlarge 58 t3.2xlarge 58
t3a.nano 4 t3a.micro 4 t3a.small 8 t3a.medium 17 t3a.large 35 t3a.xlarge 58 t3a.2xlarge 58
t4g.nano 4 t4g.micro 4 t4g.small 11 t4g.medium 17 t4g.large 35 t4g.xlarge 58 t4g.2xlarge 58
c5.large 29 c5.xlarge 58 c5.2xlarge 58 c5.4xlarge 234 c5.9xlarge 234 c5.12xlarge 234 c5.18xlarge 737 c5.24xlarge 737
c5a.large 29 c5a.xlarge 58 c5a.2xlarge 58 c5a.4xlarge 234 c5a.8xlarge 234 c5a.12xlarge 234 c5a.16xlarge 737
c5a.24xlarge 737
c6i.large 29 c6i.xlarge 58 c6i.2xlarge 58 c6i.4xlarge 234 c6i.8xlarge 234 c6i.12xlarge 234 c6i.16xlarge 737
c6i.24xlarge 737 c6i.32xlarge 737
c6g.medium 8 c6g.large 29 c6g.xlarge 58 c6g.2xlarge 58 c6g.4xlarge 234 c6g.8xlarge 234 c6g.12xlarge 234
c6g.16xlarge 737
m5.large 29 m5.xlarge 58 m5.2xlarge 58 m5.4xlarge 234 m5.8xlarge 234 m5.12xlarge 234 m5.16xlarge 737 m5.24xlarge 737
m6i.large 29 m6i.xlarge 58 m6i.2xlarge 58 m6i.4xlarge 234 m6i.8xlarge 234 m6i.12xlarge 234 m6i.16xlarge 737
m6i.24xlarge 737 m6i.32xlarge 737
m6g.medium 8 m6g.large 29 m6g.xlarge 58 m6g.2xlarge 58 m6g.4xlarge 234 m6g.8xlarge 234 m6g.12xlarge 234
m6g.16xlarge 737
r5.large 29 r5.xlarge 58 r5.2xlarge 58 r5.4xlarge 234 r5.8xlarge 234 r5.12xlarge 234 r5.16xlarge 737 r5.24xlarge 737
r6i.large 29 r6i.xlarge 58 r6i.2xlarge 58 r6i.4xlarge 234 r6i.8xlarge 234 r6i.12xlarge 234 r6i.16xlarge 737
r6i.24xlarge 737 r6i.32xlarge 737
r6g.medium 8 r6g.large 29 r6g.xlarge 58 r6g.2xlarge 58 r6g.4xlarge 234 r6g.8xlarge 234 r6g.12xlarge 234
r6g.16xlarge 737
"""


def _published_max_pods() -> dict[str, int]:
    words = ENI_MAX_PODS_TXT.split()
    return {name: int(pods) for name, pods in zip(words[::2], words[1::2], strict=True)}


def test_eni_max_pods_matches_the_published_table_for_every_known_type():
    published = _published_max_pods()
    assert set(published) == set(INSTANCE_TYPES)
    assert {name: eni_max_pods(name) for name in INSTANCE_TYPES} == published


@pytest.mark.parametrize(
    ("instance_type", "max_pods", "expected"),
    [
        # Karpenter's published allocatable (website/content/en/docs/reference/instance-types.md, AL2023,
        # at the ENI pod limit): same overhead, reservation and eviction threshold as here.
        ("c5.large", 29, Resources(1930, 3114)),
        ("c5.xlarge", 58, Resources(3920, 6584)),
        ("c5.4xlarge", 234, Resources(15890, 27381)),
        ("c5.9xlarge", 234, Resources(35840, 65269)),
        ("c5.18xlarge", 737, Resources(71750, 127934)),
        ("c5a.8xlarge", 234, Resources(31850, 57691)),
        # The system pool: t3.medium at the project's maxPods 110, "about 2.2Gi".
        ("t3.medium", 110, Resources(1930, 2223)),
    ],
)
def test_allocatable_matches_published_values(instance_type, max_pods, expected):
    assert allocatable(instance_type, max_pods) == expected


def test_kube_reserved_follows_nodeadm():
    # 255Mi + 11Mi per pod; CPU 60m (1st core) + 10m (2nd) + 2 x 5m (3rd-4th) + 2.5m per further core.
    assert kube_reserved("t3.medium", 110) == Resources(70, 1465)
    assert kube_reserved("m5.xlarge", 58) == Resources(80, 893)
    assert kube_reserved("r5.2xlarge", 110) == Resources(90, 1465)
    # One vCPU reserves from the first range only.
    assert kube_reserved("c6g.medium", 8) == Resources(60, 343)


def test_capacity_subtracts_the_vm_overhead_rounded_up():
    assert capacity("t3.medium") == Resources(2000, 4096 - 308)
    assert capacity("r5.2xlarge") == Resources(8000, 65536 - 4916)


def test_instance_type_facts():
    assert lookup("t4g.medium").architecture == "arm64"
    assert lookup("c5a.xlarge").architecture == "amd64"
    assert (lookup("r5.2xlarge").vcpus, lookup("r5.2xlarge").memory_mib) == (8, 65536)


def test_unknown_type_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match=r"'x9.huge' is not an EC2 instance type"):
        allocatable("x9.huge", 110)


def test_resources_arithmetic():
    a, b = Resources(500, 1024), Resources(250, 2048)
    assert a + b == Resources(750, 3072)
    assert b - a == Resources(-250, 1024)
    assert 3 * a == a * 3 == Resources(1500, 3072)
    assert a.fits_in(Resources(500, 1024))
    assert not a.fits_in(b)


def test_addressable_pods_with_custom_networking_and_prefix_delegation():
    # max-pods-calculator.sh --cni-custom-networking-enabled --cni-prefix-delegation-enabled --show-max-allowed:
    # (ENIs - 1) x (IPv4 per ENI - 1) x 16 + 2.
    assert addressable_pods("t3.medium", custom_networking=True, prefix_delegation=True) == 2 * 5 * 16 + 2
    assert addressable_pods("t3.small", custom_networking=True, prefix_delegation=True) == 98
    assert addressable_pods("t3.micro", custom_networking=True, prefix_delegation=True) == 18
    assert addressable_pods("c5.xlarge", custom_networking=True, prefix_delegation=False) == 3 * 14 + 2
    assert addressable_pods("c5.xlarge", custom_networking=False, prefix_delegation=True) == 4 * 14 * 16 + 2

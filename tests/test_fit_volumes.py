"""Rule ``volume``: claims against their StorageClass and the EBS CSI driver's limits."""

from __future__ import annotations

from typing import Any

import pytest

from tools.fit import volumes
from tools.fit.model import Claim, ClusterView, Workload


def _class(name: str, default: bool = False, **parameters: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if default:
        metadata["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", **parameters},
    }


FAST_SSD = _class("fast-ssd", iops="5000", throughput="250")
GP3 = _class("gp3", default=True)


def _lines(*claims: Claim, classes=(FAST_SSD, GP3), workloads=()) -> list[str]:
    view = ClusterView(
        "production", "us-west-2", "1.35", objects=list(classes), claims=list(claims), workloads=list(workloads)
    )
    return [p.line() for p in volumes.check(view)]


def test_claim_below_its_class_iops_ratio_is_refused():
    # A StatefulSet's claim template, as the Redis operator writes it: node-conf-<set>-<ordinal>.
    leader = Workload(
        "StatefulSet",
        "production",
        "redis-leader",
        {"spec": {"containers": []}},
        claim_templates=(Claim("production", "node-conf", "1Gi", "fast-ssd"),),
    )
    assert _lines(workloads=[leader]) == [
        "production/us-west-2: production/persistentvolumeclaim/node-conf-redis-leader-0: volume: "
        "1Gi on fast-ssd: 5000 IOPS exceed gp3's 500 per GiB (at most the 3000 minimum for 1Gi); EC2 refuses it"
    ]


def test_claim_large_enough_for_the_minimum_is_lowered_by_the_driver():
    assert _lines(Claim("vault", "data-vault-0", "8Gi", "fast-ssd")) == [
        "production/us-west-2: vault/persistentvolumeclaim/data-vault-0: volume: "
        "8Gi on fast-ssd: 5000 IOPS exceed gp3's 500 per GiB (at most 4000 for 8Gi); the driver lowers it to 4000"
    ]


def test_claims_that_fit_their_class():
    baseline = _class("baseline", iops="3000")  # gp3's free 3000 IOPS suit any size
    claims = (Claim("vault", "data", "10Gi", "fast-ssd"), Claim("vault", "audit", "1Gi", None))
    assert _lines(*claims, Claim("vault", "small", "1Gi", "baseline"), classes=(FAST_SSD, GP3, baseline)) == []


@pytest.mark.parametrize(
    ("claim", "storage_class", "why"),
    [
        (Claim("ns", "c", "5Gi", "missing"), GP3, "5Gi on missing: no such StorageClass (gp3)"),
        (
            Claim("ns", "c", "5Gi", None),
            FAST_SSD,
            "5Gi with no class and no default StorageClass: the claim stays Pending",
        ),
        (
            Claim("ns", "c", "2Gi", "io"),
            _class("io", type="io1", iops="100"),
            "2Gi on io: io1 volumes are at least 4Gi",
        ),
        (
            Claim("ns", "c", "4Gi", "io"),
            _class("io", type="io1", iopsPerGB="10"),
            "4Gi on io: 40 IOPS are below io1's minimum of 100",
        ),
        (
            Claim("ns", "c", "100Gi", "io"),
            _class("io", type="io2", iops="60000"),
            "100Gi on io: 60000 IOPS exceed io2's 500 per GiB (at most 50000 for 100Gi); the driver lowers it to 50000",
        ),
        (
            Claim("ns", "c", "10Gi", "thru"),
            _class("thru", throughput="1000"),
            "10Gi on thru: 1000 MiB/s exceed gp3's 0.25 MiB/s per IOPS (at most 750 with 3000 IOPS)",
        ),
        (
            Claim("ns", "c", "10Gi", "gp3", ("ReadWriteMany",)),
            GP3,
            "10Gi on gp3: ReadWriteMany is not an access mode EBS volumes serve",
        ),
    ],
)
def test_each_class_problem(claim, storage_class, why):
    assert _lines(claim, classes=[storage_class]) == [
        f"production/us-west-2: ns/persistentvolumeclaim/c: volume: {why}"
    ]


def test_auto_increase_raises_iops_to_the_minimum():
    io1 = _class("io", type="io1", iopsPerGB="10", allowAutoIOPSPerGBIncrease="true")
    assert _lines(Claim("ns", "c", "4Gi", "io"), classes=[io1]) == []

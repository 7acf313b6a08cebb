"""Limits of EBS gp3 volumes, shared by configuration validation and the StorageClasses props.

Pure Python (no cdktf). The limits are the documented gp3 ranges a StorageClass may ask the EBS
CSI driver for; a class outside them makes every claim on it fail at provisioning time, long
after ``cdktf deploy`` said it was fine.
"""

from __future__ import annotations

from tonebridge import cloudfacts

_GP3 = cloudfacts.gp3()  # the cloud facts table (tonebridge/cloudfacts/curated.yaml, section ebs)
#: Provisioned IOPS of a gp3 volume (3,000 is the free baseline).
GP3_IOPS = tuple(_GP3["iops"])
#: Provisioned throughput of a gp3 volume in MiB/s (125 is the free baseline).
GP3_THROUGHPUT = tuple(_GP3["throughput_mibps"])
#: gp3 allows at most 500 IOPS per GiB of volume size.
GP3_MAX_IOPS_PER_GIB = _GP3["max_iops_per_gib"]
#: gp3 allows at most 0.25 MiB/s of throughput per provisioned IOPS.
GP3_MAX_THROUGHPUT_PER_IOPS = _GP3["max_throughput_per_iops"]
#: Size of a gp3 volume in GiB.
GP3_SIZE_GIB = tuple(_GP3["size_gib"])


def gp3_problems(iops: int, throughput: int, smallest_volume_gib: int) -> list[tuple[str, str]]:
    """``(field, reason)`` for each gp3 rule a class's settings break; empty when valid.

    ``smallest_volume_gib`` is the smallest claim the class must serve: the EBS CSI driver passes
    the class's IOPS unchanged, so a claim smaller than ``iops / 500`` GiB would be refused by EC2.
    """
    problems = []
    if not GP3_IOPS[0] <= iops <= GP3_IOPS[1]:
        problems.append(("iops", f"{iops} is outside gp3's {GP3_IOPS[0]}-{GP3_IOPS[1]} IOPS"))
    if not GP3_THROUGHPUT[0] <= throughput <= GP3_THROUGHPUT[1]:
        problems.append(("throughput", f"{throughput} is outside gp3's {GP3_THROUGHPUT[0]}-{GP3_THROUGHPUT[1]} MiB/s"))
    elif throughput > iops * GP3_MAX_THROUGHPUT_PER_IOPS:
        problems.append(
            ("throughput", f"{throughput} MiB/s needs at least {int(throughput / GP3_MAX_THROUGHPUT_PER_IOPS)} IOPS")
        )
    if smallest_volume_gib < 1:
        problems.append(("smallest_volume_gib", "must be at least 1"))
    elif iops > smallest_volume_gib * GP3_MAX_IOPS_PER_GIB:
        problems.append(
            (
                "iops",
                f"{iops} IOPS exceed {GP3_MAX_IOPS_PER_GIB} per GiB of a {smallest_volume_gib} GiB volume "
                f"(smallest_volume_gib); at most {smallest_volume_gib * GP3_MAX_IOPS_PER_GIB}",
            )
        )
    return problems

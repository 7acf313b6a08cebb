"""Regenerate the generated part of the cloud facts table (tonebridge/cloudfacts/aws_*.json).

    python scripts/cloudfacts.py          # rewrite the files
    python scripts/cloudfacts.py --check  # exit 1 if they differ from what the installed packages say

Sources, both installed in the project's virtual environment (no network):

- EC2 instance types (vCPUs, memory, architectures, network interfaces, IPv4 addresses per interface,
  hypervisor, bare metal): moto's ``ec2/resources/instance_types.json.gz``, a recording of EC2's
  DescribeInstanceTypes that moto's maintainers refresh from AWS. botocore's EC2 service model (its
  ``InstanceType`` enum) is older than that recording here; the table says how many names it lacks.
- Regions: botocore's ``endpoints.json`` (partition ``aws``). Availability zones (names and zone ids):
  moto's ``instance_type_offerings/availability-zone*/<region>.json.gz`` (DescribeInstanceTypeOfferings
  per location); a region moto has no recording for lists no zones, and its zones are not checked.

The hand-kept facts (EKS and PostgreSQL versions with their support dates, RDS families, GCP regions,
zones and label rules, EBS limits) live in ``tonebridge/cloudfacts/curated.yaml``, each with its source.
"""

from __future__ import annotations

import datetime
import gzip
import json
import sys
from importlib.metadata import version
from pathlib import Path

import botocore
import moto

OUT = Path(__file__).resolve().parent.parent / "tonebridge" / "cloudfacts"
MOTO = Path(moto.__file__).parent / "ec2" / "resources"
BOTOCORE = Path(botocore.__file__).parent / "data"


def _gz(path: Path):
    with gzip.open(path, "rt") as handle:
        return json.load(handle)


def _botocore_instance_types() -> set[str]:
    model = max((BOTOCORE / "ec2").iterdir())  # the newest API version
    with (
        gzip.open(model / "service-2.json.gz", "rt")
        if (model / "service-2.json.gz").exists()
        else open(model / "service-2.json") as handle
    ):
        return set(json.load(handle)["shapes"]["InstanceType"]["enum"])


def _source(*parts: str) -> str:
    return "; ".join(parts)


def instance_types(taken: str) -> dict:
    known = _botocore_instance_types()
    table = {}
    recorded = _gz(MOTO / "instance_types.json.gz")
    for name, t in sorted(recorded.items()):
        net = t["NetworkInfo"]
        table[name] = [
            t["VCpuInfo"]["DefaultVCpus"],
            t["MemoryInfo"]["SizeInMiB"],
            "/".join(sorted(t["ProcessorInfo"]["SupportedArchitectures"])),
            net["MaximumNetworkInterfaces"],
            net["Ipv4AddressesPerInterface"],
            t.get("Hypervisor", "") + ("+metal" if t.get("BareMetal") else ""),
        ]
    return {
        "source": _source(
            f"moto {version('moto')} ec2/resources/instance_types.json.gz (EC2 DescribeInstanceTypes)",
            f"botocore {version('botocore')}'s ec2 InstanceType enum lacks {len(set(recorded) - known)} of these "
            f"(newer than its model) and lists {len(known - set(recorded))} that DescribeInstanceTypes "
            "no longer returns",
        ),
        "taken": taken,
        "columns": ["vcpus", "memory_mib", "architectures", "max_enis", "ipv4_per_eni", "hypervisor"],
        "types": table,
    }


def regions(taken: str) -> dict:
    with open(BOTOCORE / "endpoints.json") as handle:
        partition = next(p for p in json.load(handle)["partitions"] if p["partition"] == "aws")
    table = {}
    for region in sorted(partition["regions"]):
        by_name = MOTO / "instance_type_offerings" / "availability-zone" / f"{region}.json.gz"
        by_id = MOTO / "instance_type_offerings" / "availability-zone-id" / f"{region}.json.gz"
        table[region] = {
            "description": partition["regions"][region].get("description", ""),
            "zones": sorted({o["Location"] for o in _gz(by_name)}) if by_name.exists() else [],
            "zone_ids": sorted({o["Location"] for o in _gz(by_id)}) if by_id.exists() else [],
        }
    return {
        "source": _source(
            f"regions: botocore {version('botocore')} data/endpoints.json (partition aws)",
            f"zones: moto {version('moto')} ec2/resources/instance_type_offerings (DescribeInstanceTypeOfferings)",
        ),
        "taken": taken,
        "regions": table,
    }


def _dump(data: dict) -> str:
    """One line per instance type or region: diffs stay readable."""
    key = "types" if "types" in data else "regions"
    head = {k: v for k, v in data.items() if k != key}
    lines = [json.dumps(head, indent=1)[:-2] + ",", f' "{key}": {{']
    items = [f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in data[key].items()]
    return "\n".join([*lines, ",\n".join(items), " }", "}", ""])


def main(argv: list[str]) -> int:
    files = {"aws_ec2_instance_types.json": instance_types, "aws_regions.json": regions}
    check = "--check" in argv
    stale = []
    for name, build in files.items():
        path = OUT / name
        taken = json.loads(path.read_text())["taken"] if check and path.exists() else datetime.date.today().isoformat()
        text = _dump(build(taken))
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(OUT.parent.parent)}")
    if stale:
        print(f"out of date (run python scripts/cloudfacts.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

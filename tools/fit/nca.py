"""NetworkPolicy evaluation by network-config-analyzer (NCA), one subprocess per cluster.

NCA lives in its own virtualenv (``tools/nca/.venv``: its networkx pin conflicts with checkov's), so
it only ever runs as a subprocess over a folder of YAML it reads: namespaces, pods, policies. Which
end refuses a flow matters to whoever fixes it, so NCA evaluates the policies twice in one run (a
scheme with two configurations): once with only their egress side, once with only their ingress
side. In Kubernetes a connection between pods needs both (the source's egress and the destination's
ingress), and each side alone is exactly what the other configuration leaves unrestricted.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tonebridge.paths import PROJECT_ROOT

NCA_PYTHON = PROJECT_ROOT / "tools" / "nca" / ".venv" / "bin" / "python"
SIDES = ("Egress", "Ingress")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# One line of NCA's ``txt_no_fw_rules`` connectivity map: ``<src> => <dst> : <connections>``.
_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")
# A connection cube ``{protocols:TCP, UDP,dst_ports:53,8000-8001}``: keys are NCA's dimension names.
_CUBE_KEY = re.compile(r"(?:^|,)(protocols|src_ports|dst_ports|icmp_type|icmp_code|methods|paths|hosts):")


@dataclass(frozen=True)
class NcaPod:
    """A pod as NCA reads it: ``ports`` are ``(name or None, number, protocol)`` of its containers."""

    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[tuple[str | None, int, str], ...] = ()

    @property
    def key(self) -> str:
        """How NCA names the pod in its output (``--output_endpoints pods``)."""
        return f"{self.namespace}/{self.name}"

    def to_yaml(self) -> dict[str, Any]:
        ports = [{"containerPort": n, "protocol": p, **({"name": name} if name else {})} for name, n, p in self.ports]
        container = {"name": "main", **({"ports": ports} if ports else {})}
        metadata = {"name": self.name, "namespace": self.namespace, "labels": dict(self.labels)}
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": {"containers": [container]}}


@dataclass(frozen=True)
class _Cube:
    """Protocols (None: all) and destination port ranges (None: all) that one NCA cube allows."""

    protocols: frozenset[str] | None
    protocols_negated: bool
    ports: tuple[tuple[int, int], ...] | None

    def admits(self, protocol: str, port: int) -> bool:
        if self.protocols is not None and (protocol in self.protocols) == self.protocols_negated:
            return False
        return self.ports is None or any(low <= port <= high for low, high in self.ports)


@dataclass(frozen=True)
class Connections:
    """What NCA prints for one pair: ``All connections``, cubes, or ``All but`` cubes."""

    cubes: tuple[_Cube, ...]
    everything: bool = False
    negated: bool = False

    def admits(self, protocol: str, port: int) -> bool:
        if self.everything:
            return True
        return any(c.admits(protocol, port) for c in self.cubes) != self.negated

    @classmethod
    def parse(cls, text: str) -> Connections:
        text = text.strip()
        if text == "All connections":
            return cls((), everything=True)
        if text == "No connections":
            return cls(())
        negated = text.startswith("All but ")
        body = text.removeprefix("All but ").strip()
        if not (body.startswith("{") and body.endswith("}")):
            raise ValueError(f"NCA printed connections this check cannot read: {text!r}")
        return cls(tuple(_cube(c) for c in body[1:-1].split("},{")), negated=negated)


def _cube(text: str) -> _Cube:
    keys = list(_CUBE_KEY.finditer(text))
    values = {
        m.group(1): text[m.end() : keys[i + 1].start() if i + 1 < len(keys) else len(text)] for i, m in enumerate(keys)
    }
    protocols, negated = None, False
    if "protocols" in values:
        names = values["protocols"]
        negated = names.startswith("all but ")
        protocols = frozenset(n.strip().upper() for n in names.removeprefix("all but ").split(","))
    ports = None
    if "dst_ports" in values:
        ranges = []
        for part in values["dst_ports"].split(","):
            low, _, high = part.partition("-")
            ranges.append((int(low), int(high or low)))
        ports = tuple(ranges)
    return _Cube(protocols, negated, ports)


def _ip_ranges(text: str) -> list[tuple[IpAddress, IpAddress]] | None:
    """NCA's IP peer (``10.0.0.0-10.0.255.255,11.0.0.1``) as ranges; None for a pod (``ns/name``)."""
    if "/" in text:
        return None
    ranges = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


def _covers(ranges: Iterable[tuple[IpAddress, IpAddress]], network: IpNetwork) -> bool:
    """Whether the union of ``ranges`` holds every address of ``network``."""
    needed = int(network.network_address)
    for low, high in sorted((int(a), int(b)) for a, b in ranges if a.version == network.version):
        if low > needed:
            return False
        needed = max(needed, high + 1)
        if needed > int(network.broadcast_address):
            return True
    return needed > int(network.broadcast_address)


@dataclass
class SideMap:
    """One side's connectivity: pod pairs, and pods to/from IP ranges, with what each admits (NCA prints
    a pair once per distinct set of connections, so a pair may have several lines)."""

    pods: dict[tuple[str, str], list[Connections]] = field(default_factory=dict)
    to_ips: dict[str, list[tuple[list[tuple[IpAddress, IpAddress]], Connections]]] = field(default_factory=dict)
    from_ips: dict[str, list[tuple[list[tuple[IpAddress, IpAddress]], Connections]]] = field(default_factory=dict)

    def admits(self, source: str, destination: str, protocol: str, port: int) -> bool:
        return any(c.admits(protocol, port) for c in self.pods.get((source, destination), []))

    def admits_to(self, source: str, network: IpNetwork, protocol: str, port: int) -> bool:
        ranges = [r for rs, c in self.to_ips.get(source, []) if c.admits(protocol, port) for r in rs]
        return _covers(ranges, network)

    def admits_from(self, network: IpNetwork, destination: str, protocol: str, port: int) -> bool:
        ranges = [r for rs, c in self.from_ips.get(destination, []) if c.admits(protocol, port) for r in rs]
        return _covers(ranges, network)

    @classmethod
    def parse(cls, text: str) -> SideMap:
        side = cls()
        for line in text.splitlines():
            match = _LINE.match(line.strip())
            if not match:
                continue
            src, dst, conns = match["src"], match["dst"], Connections.parse(match["conns"])
            src_ips, dst_ips = _ip_ranges(src), _ip_ranges(dst)
            if src_ips is None and dst_ips is None:
                side.pods.setdefault((src, dst), []).append(conns)
            elif src_ips is None and dst_ips is not None:
                side.to_ips.setdefault(src, []).append((dst_ips, conns))
            elif dst_ips is None and src_ips is not None:
                side.from_ips.setdefault(dst, []).append((src_ips, conns))
        return side


@dataclass
class Connectivity:
    """NCA's answer for one cluster: ``egress`` as the sources' policies decide it, ``ingress`` as the
    destinations' do; ``seconds`` is how long NCA ran."""

    egress: SideMap
    ingress: SideMap
    seconds: float


def one_side(policy: Mapping[str, Any], side: str) -> dict[str, Any] | None:
    """``policy`` restricted to ``side`` (``Egress`` or ``Ingress``); None if it does not restrict that side.

    Without ``policyTypes`` a policy restricts ingress, and egress if it has egress rules (the
    NetworkPolicy API's defaulting)."""
    spec = policy.get("spec", {})
    types = spec.get("policyTypes") or ["Ingress", *(["Egress"] if spec.get("egress") else [])]
    if side not in types:
        return None
    rules = spec.get(side.lower())
    kept = {
        "podSelector": spec.get("podSelector", {}),
        "policyTypes": [side],
        **({side.lower(): rules} if rules else {}),
    }
    return {**policy, "spec": kept}


def _write(path: Path, documents: Sequence[dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": list(documents)}, sort_keys=False))


def connectivity(
    namespaces: Mapping[str, Mapping[str, str]], pods: Sequence[NcaPod], policies: Sequence[dict[str, Any]]
) -> Connectivity:
    """Run NCA once over ``namespaces`` (name -> labels), ``pods`` and ``policies`` (NetworkPolicy objects)."""
    if not NCA_PYTHON.exists():
        raise RuntimeError(f"network-config-analyzer is not installed (no {NCA_PYTHON}): run make install")
    with tempfile.TemporaryDirectory(prefix="tonebridge-nca-") as tmp:
        folder = Path(tmp)
        _write(folder / "namespaces.yaml", [_namespace(n, labels) for n, labels in sorted(namespaces.items())])
        _write(folder / "pods.yaml", [p.to_yaml() for p in pods])
        scheme: dict[str, Any] = {
            "namespaceList": "namespaces.yaml",
            "podList": "pods.yaml",
            "networkConfigList": [],
            "queries": [],
        }
        for side in SIDES:
            (folder / side).mkdir()
            _write(folder / side / "policies.yaml", [p for p in (one_side(p, side) for p in policies) if p])
            scheme["networkConfigList"].append({"name": side, "networkPolicyList": [side]})
            output = {"outputFormat": "txt_no_fw_rules", "outputEndpoints": "pods", "outputPath": f"{side}.txt"}
            scheme["queries"].append({"name": side, "connectivityMap": [side], "outputConfiguration": output})
        (folder / "scheme.yaml").write_text(yaml.safe_dump(scheme, sort_keys=False))
        started = time.monotonic()
        run = subprocess.run(
            [str(NCA_PYTHON), "-m", "nca", "--scheme", "scheme.yaml"], cwd=folder, capture_output=True, text=True
        )
        seconds = time.monotonic() - started
        outputs = {side: folder / f"{side}.txt" for side in SIDES}
        if run.returncode != 0 or not all(p.exists() for p in outputs.values()):
            raise RuntimeError(f"network-config-analyzer failed (exit {run.returncode}): {run.stderr.strip()[-2000:]}")
        egress, ingress = (SideMap.parse(outputs[side].read_text()) for side in SIDES)
    return Connectivity(egress=egress, ingress=ingress, seconds=seconds)


def _namespace(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}

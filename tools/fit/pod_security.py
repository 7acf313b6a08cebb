"""The Pod Security Standards, as Pod Security Admission evaluates a pod.

A port of ``k8s.io/pod-security-admission/policy/check_*.go`` (release 1.35): each check has the
upstream id, the minimum policy version it applies from, its level, and the same forbidden reason
and detail. ``restricted`` runs the baseline checks except those a restricted check overrides
(``capabilities_baseline`` by ``capabilities_restricted``, ``hostPathVolumes`` by ``restrictedVolumes``,
``seccompProfile_baseline`` by ``seccompProfile_restricted``). Containers are visited as upstream
does: init containers (native sidecars included), then containers.

Not modelled: the seccomp and AppArmor alpha/beta annotations older than the fields (this project
writes fields), and the relaxations for pods in a user namespace (``hostUsers: false``): such pods
are checked as any other, which can only report more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

LEVELS = ("privileged", "baseline", "restricted")

#: ``check_capabilities_baseline.go``: what baseline lets a container add.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
#: ``check_sysctls.go``: the safe sysctls, by the policy version that added them.
_SYSCTLS = (
    (
        0,
        {
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        },
    ),
    (27, {"net.ipv4.ip_local_reserved_ports"}),
    (
        29,
        {
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        },
    ),
    (32, {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}),
)
#: ``check_seLinuxOptions.go``: allowed types (container_engine_t from 1.31).
_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t"}
#: ``check_restrictedVolumes.go``: the volume sources restricted allows.
RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_SECCOMP_OK = ("RuntimeDefault", "Localhost")


@dataclass(frozen=True)
class Violation:
    """One failed check: upstream's id, forbidden reason and detail."""

    check: str
    reason: str
    detail: str


Spec = dict[str, Any]
Metadata = dict[str, Any]


def _containers(spec: Spec) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _context(container: dict[str, Any]) -> dict[str, Any]:
    return container.get("securityContext") or {}


def _pod_context(spec: Spec) -> dict[str, Any]:
    return spec.get("securityContext") or {}


def _quote(names: list[str] | set[str]) -> str:
    ordered = sorted(names) if isinstance(names, set) else names
    return ", ".join(f'"{n}"' for n in ordered)


def _plural(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def _named(kind: str, names: list[str]) -> str:
    return f"{_plural(kind, len(names))} {_quote(names)}"


def _windows(spec: Spec) -> bool:
    return (spec.get("os") or {}).get("name") == "windows"


def _setters(pod_bad: bool, containers: list[str]) -> str:
    parts = ["pod"] if pod_bad else []
    if containers:
        parts.append(_named("container", containers))
    return " and ".join(parts)


def host_namespaces(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    found = [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if spec.get(field)]
    return Violation("hostNamespaces", "host namespaces", ", ".join(found)) if found else None


def privileged(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad = [c["name"] for c in _containers(spec) if _context(c).get("privileged") is True]
    if not bad:
        return None
    return Violation(
        "privileged", "privileged", f"{_named('container', bad)} must not set securityContext.privileged=true"
    )


def capabilities_baseline(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, added = [], set()
    for c in _containers(spec):
        extra = [
            cap for cap in (_context(c).get("capabilities") or {}).get("add") or [] if cap not in BASELINE_CAPABILITIES
        ]
        if extra:
            bad.append(c["name"])
            added.update(extra)
    if not bad:
        return None
    detail = f"{_named('container', bad)} must not include {_quote(added)} in securityContext.capabilities.add"
    return Violation("capabilities_baseline", "non-default capabilities", detail)


def capabilities_restricted(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    if version >= 25 and _windows(spec):
        return None
    missing_drop, adding, added = [], [], set()
    for c in _containers(spec):
        capabilities = _context(c).get("capabilities")
        if capabilities is None:
            missing_drop.append(c["name"])
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop.append(c["name"])
        extra = [cap for cap in capabilities.get("add") or [] if cap != "NET_BIND_SERVICE"]
        if extra:
            adding.append(c["name"])
            added.update(extra)
    details = []
    if missing_drop:
        details.append(f'{_named("container", missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(
            f"{_named('container', adding)} must not include {_quote(added)} in securityContext.capabilities.add"
        )
    return Violation("capabilities_restricted", "unrestricted capabilities", "; ".join(details)) if details else None


def host_path_volumes(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad = [v["name"] for v in spec.get("volumes") or [] if "hostPath" in v]
    return Violation("hostPathVolumes", "hostPath volumes", _named("volume", bad)) if bad else None


def host_ports(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, ports = [], set()
    for c in _containers(spec):
        used = [str(p["hostPort"]) for p in c.get("ports") or [] if p.get("hostPort")]
        if used:
            bad.append(c["name"])
            ports.update(used)
    if not bad:
        return None
    verb = "uses" if len(bad) == 1 else "use"
    detail = f"{_named('container', bad)} {verb} {_plural('hostPort', len(ports))} {', '.join(sorted(ports))}"
    return Violation("hostPorts", "hostPort", detail)


def host_probes_and_lifecycle(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, hosts = [], set()
    for c in _containers(spec):
        handlers = [c.get(p) or {} for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        handlers += [h or {} for h in (c.get("lifecycle") or {}).values()]
        found = {(h.get(kind) or {}).get("host") for h in handlers for kind in ("httpGet", "tcpSocket")} - {None, ""}
        if found:
            bad.append(c["name"])
            hosts.update(found)
    if not bad:
        return None
    verb = "uses" if len(bad) == 1 else "use"
    detail = (
        f"{_named('container', sorted(bad))} {verb} {_plural('probe or lifecycle host', len(hosts))} {_quote(hosts)}"
    )
    return Violation("hostProbesAndHostLifecycle", "probe or lifecycle host", detail)


def app_armor(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, values = [], set()
    pod_type = (_pod_context(spec).get("appArmorProfile") or {}).get("type")
    if pod_type is not None and pod_type not in _SECCOMP_OK:
        bad.append("pod")
        values.add(pod_type)
    containers = []
    for c in _containers(spec):
        kind = (_context(c).get("appArmorProfile") or {}).get("type")
        if kind is not None and kind not in _SECCOMP_OK:
            containers.append(c["name"])
            values.add(kind)
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith(prefix) and value and value != "runtime/default" and not value.startswith("localhost/"):
            bad.append(f"annotation {key}")
            values.add(value)
    if containers:
        bad.append(_named("container", containers))
    if not bad:
        return None
    detail = f"{' and '.join(bad)} must not set AppArmor profile type to {_quote(values)}"
    return Violation("appArmorProfile", "forbidden AppArmor profile", detail)


def se_linux(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    allowed = _SELINUX_TYPES | ({"container_engine_t"} if version >= 31 else set())
    types: set[str] = set()
    user = role = False

    def valid(options: dict[str, Any]) -> bool:
        nonlocal user, role
        ok = True
        if options.get("type", "") not in allowed:
            types.add(options.get("type", ""))
            ok = False
        if options.get("user"):
            user, ok = True, False
        if options.get("role"):
            role, ok = True, False
        return ok

    pod_options = _pod_context(spec).get("seLinuxOptions")
    pod_bad = pod_options is not None and not valid(pod_options)
    bad = [
        c["name"]
        for c in _containers(spec)
        if _context(c).get("seLinuxOptions") is not None and not valid(_context(c)["seLinuxOptions"])
    ]
    if not pod_bad and not bad:
        return None
    data = [f"{_plural('type', len(types))} {_quote(types)}"] if types else []
    data += ["user may not be set"] if user else []
    data += ["role may not be set"] if role else []
    detail = f"{_setters(pod_bad, bad)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}"
    return Violation("seLinuxOptions", "seLinuxOptions", detail)


def proc_mount(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, kinds = [], set()
    for c in _containers(spec):
        mount = _context(c).get("procMount")
        if mount is not None and mount != "Default":
            bad.append(c["name"])
            kinds.add(mount)
    if not bad:
        return None
    return Violation(
        "procMount",
        "procMount",
        f"{_named('container', bad)} must not set securityContext.procMount to {_quote(kinds)}",
    )


def _seccomp(spec: Spec, *, required: bool) -> Violation | None:
    check = "seccompProfile_restricted" if required else "seccompProfile_baseline"
    values: set[str] = set()
    pod_type = (_pod_context(spec).get("seccompProfile") or {}).get("type")
    pod_bad = pod_type is not None and pod_type not in _SECCOMP_OK
    if pod_bad:
        values.add(pod_type)
    explicit, implicit = [], []
    for c in _containers(spec):
        kind = (_context(c).get("seccompProfile") or {}).get("type")
        if kind is None:
            if pod_type is None or pod_bad:
                implicit.append(c["name"])
        elif kind not in _SECCOMP_OK:
            explicit.append(c["name"])
            values.add(kind)
    if pod_bad or explicit:
        detail = f"{_setters(pod_bad, explicit)} must not set securityContext.seccompProfile.type to {_quote(values)}"
        return Violation(check, "seccompProfile", detail)
    if required and implicit:
        detail = (
            f"pod or {_named('container', implicit)} must set securityContext.seccompProfile.type to "
            '"RuntimeDefault" or "Localhost"'
        )
        return Violation(check, "seccompProfile", detail)
    return None


def seccomp_baseline(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    return _seccomp(spec, required=False)


def seccomp_restricted(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    return None if version >= 25 and _windows(spec) else _seccomp(spec, required=True)


def sysctls(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    allowed = set().union(*(names for since, names in _SYSCTLS if version >= since))
    bad = [s.get("name", "") for s in _pod_context(spec).get("sysctls") or [] if s.get("name") not in allowed]
    return Violation("sysctls", "forbidden sysctls", ", ".join(bad)) if bad else None


def windows_host_process(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    pod_bad = (_pod_context(spec).get("windowsOptions") or {}).get("hostProcess") is True
    bad = [c["name"] for c in _containers(spec) if (_context(c).get("windowsOptions") or {}).get("hostProcess") is True]
    if not pod_bad and not bad:
        return None
    return Violation(
        "windowsHostProcess",
        "hostProcess",
        f"{_setters(pod_bad, bad)} must not set securityContext.windowsOptions.hostProcess=true",
    )


def restricted_volumes(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    bad, kinds = [], set()
    for volume in spec.get("volumes") or []:
        sources = set(volume) - {"name"}
        if sources & RESTRICTED_VOLUMES:
            continue
        bad.append(volume["name"])
        kinds.update(sources or {"unknown"})
    if not bad:
        return None
    verb = "uses" if len(bad) == 1 else "use"
    detail = f"{_named('volume', bad)} {verb} {_plural('restricted volume type', len(kinds))} {_quote(kinds)}"
    return Violation("restrictedVolumes", "restricted volume types", detail)


def allow_privilege_escalation(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    if version >= 25 and _windows(spec):
        return None
    bad = [c["name"] for c in _containers(spec) if _context(c).get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    detail = f"{_named('container', bad)} must set securityContext.allowPrivilegeEscalation=false"
    return Violation("allowPrivilegeEscalation", "allowPrivilegeEscalation != false", detail)


def run_as_non_root(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    pod_value = _pod_context(spec).get("runAsNonRoot")
    explicit = [c["name"] for c in _containers(spec) if _context(c).get("runAsNonRoot") is False]
    if pod_value is False or explicit:
        detail = f"{_setters(pod_value is False, explicit)} must not set securityContext.runAsNonRoot=false"
        return Violation("runAsNonRoot", "runAsNonRoot != true", detail)
    implicit = [c["name"] for c in _containers(spec) if _context(c).get("runAsNonRoot") is None]
    if pod_value is not True and implicit:
        detail = f"pod or {_named('container', implicit)} must set securityContext.runAsNonRoot=true"
        return Violation("runAsNonRoot", "runAsNonRoot != true", detail)
    return None


def run_as_user(meta: Metadata, spec: Spec, version: int) -> Violation | None:
    pod_bad = _pod_context(spec).get("runAsUser") == 0
    bad = [c["name"] for c in _containers(spec) if _context(c).get("runAsUser") == 0]
    if not pod_bad and not bad:
        return None
    return Violation("runAsUser", "runAsUser=0", f"{_setters(pod_bad, bad)} must not set runAsUser=0")


Check = Callable[[Metadata, Spec, int], "Violation | None"]


@dataclass(frozen=True)
class _Registered:
    check: Check
    level: str
    since: int
    overrides: str | None = None


#: Every check, upstream's ids in upstream's order (baseline ids sorted, then restricted ids sorted).
CHECKS = (
    _Registered(app_armor, "baseline", 0),
    _Registered(capabilities_baseline, "baseline", 0),
    _Registered(host_namespaces, "baseline", 0),
    _Registered(host_path_volumes, "baseline", 0),
    _Registered(host_ports, "baseline", 0),
    _Registered(host_probes_and_lifecycle, "baseline", 34),
    _Registered(privileged, "baseline", 0),
    _Registered(proc_mount, "baseline", 0),
    _Registered(se_linux, "baseline", 0),
    _Registered(seccomp_baseline, "baseline", 19),
    _Registered(sysctls, "baseline", 0),
    _Registered(windows_host_process, "baseline", 0),
    _Registered(allow_privilege_escalation, "restricted", 8),
    _Registered(capabilities_restricted, "restricted", 22, overrides="capabilities_baseline"),
    _Registered(restricted_volumes, "restricted", 0, overrides="hostPathVolumes"),
    _Registered(run_as_non_root, "restricted", 0),
    _Registered(run_as_user, "restricted", 23),
    _Registered(seccomp_restricted, "restricted", 19, overrides="seccompProfile_baseline"),
)


def violations(level: str, version: int, metadata: Metadata, spec: Spec) -> list[Violation]:
    """What ``level`` at policy version ``1.<version>`` forbids in a pod; nothing for ``privileged``."""
    if level == "privileged":
        return []
    active = [r for r in CHECKS if version >= r.since and (level == "restricted" or r.level == "baseline")]
    overridden = {r.overrides for r in active if r.overrides}
    found = []
    for registered in active:
        violation = registered.check(metadata, spec, version)
        if violation is not None and violation.check not in overridden:
            found.append(violation)
    return found

"""Node user data: the spec's kernel tuning (§12.1) applied on every node at boot.

The parameters are written to ``/etc/sysctl.d`` and loaded before the node joins, so they are in
effect on the host whatever runs on it (a ConfigMap could not do that). EKS managed node groups
on Amazon Linux 2023 take MIME multi-part user data: a ``NodeConfig`` part that nodeadm merges
with the one EKS generates, and a shell part that cloud-init runs.

``net.*`` parameters are per network namespace: the host namespace (and host-network pods such as
the CNI and the ingress proxies) gets them from the file; pod namespaces start from kernel
defaults, so the kubelet allows pods to set the listed ``net.*`` ones themselves in
``securityContext.sysctls``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

#: Spec §12.1, verbatim.
KERNEL_PARAMETERS: dict[str, str] = {
    "net.core.somaxconn": "65535",
    "net.ipv4.tcp_max_syn_backlog": "8192",
    "net.ipv4.tcp_tw_reuse": "1",
    "net.ipv4.tcp_fin_timeout": "30",
    "net.ipv4.ip_local_port_range": "10000 65000",
    "vm.max_map_count": "262144",
    "vm.swappiness": "1",
    "fs.file-max": "2097152",
    "fs.nr_open": "1048576",
}

#: Namespaced parameters Kubernetes does not count as safe; pods may set them once allowed here.
POD_SETTABLE_SYSCTLS = ("net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_tw_reuse")

SYSCTL_FILE = "/etc/sysctl.d/90-tonebridge.conf"
_BOUNDARY = "==TONEBRIDGE=="
_KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")
_VALUE_RE = re.compile(r"^[0-9]+( [0-9]+)*$")


def sysctl_conf(parameters: Mapping[str, str]) -> str:
    """The sysctl.d file, one ``key = value`` per line; keys and values are checked (they end up in a shell)."""
    for key, value in parameters.items():
        if not _KEY_RE.match(key) or not _VALUE_RE.match(str(value)):
            raise ValueError(f"kernel parameter {key}={value!r} is not a sysctl key with a numeric value")
    return "".join(f"{key} = {value}\n" for key, value in parameters.items())


def node_user_data(parameters: Mapping[str, str], max_pods: int) -> str:
    """MIME multi-part user data for an AL2023 EKS node: kubelet settings, then the kernel parameters."""
    allowed = [name for name in POD_SETTABLE_SYSCTLS if name in parameters]
    unsafe = "".join(f"        - {name}\n" for name in allowed)
    node_config = (
        "---\n"
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n" + (f"      allowedUnsafeSysctls:\n{unsafe}" if allowed else "")
    )
    script = (
        "#!/bin/bash\n"
        "set -euo pipefail\n"
        f"cat > {SYSCTL_FILE} <<'SYSCTL'\n"
        f"{sysctl_conf(parameters)}"
        "SYSCTL\n"
        "sysctl --system\n"
    )
    return (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{_BOUNDARY}"\n\n'
        f"--{_BOUNDARY}\n"
        "Content-Type: application/node.eks.aws\n\n"
        f"{node_config}\n"
        f"--{_BOUNDARY}\n"
        'Content-Type: text/x-shellscript; charset="us-ascii"\n\n'
        f"{script}\n"
        f"--{_BOUNDARY}--\n"
    )


def encoded(user_data: str) -> str:
    """Launch templates take user data base64-encoded."""
    return base64.b64encode(user_data.encode()).decode()

"""The AWS emulator (moto server) on loopback that the `local` environment deploys to."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

from tools import timing


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


#: The emulator's certificate is generated at start; the connection never leaves loopback.
_UNVERIFIED = ssl._create_unverified_context()  # noqa: S323


@contextlib.contextmanager
def running_emulator(endpoint: str, timeout: float = 60.0, log_path: str | None = None) -> Iterator[str]:
    """Start ``moto_server`` on the endpoint's loopback port for the duration of the block.

    Refuses to reuse a port that something else already listens on: state left in a foreign
    emulator would make the deploy and its no-change plan meaningless.
    """
    url = urlparse(endpoint)
    host, port = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the emulator must listen on loopback, not {host}")
    if _port_open(host, port):
        raise SystemExit(f"port {port} on {host} is already in use; stop whatever listens there and retry")
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.moto_server", "-H", host, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with timing.CLOCK.step("emulator start"):
            _wait_until_ready(proc, endpoint, timeout)
        yield endpoint
    finally:
        with timing.CLOCK.step("emulator stop"):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if log is not subprocess.DEVNULL:
            log.close()


def _wait_until_ready(proc: subprocess.Popen, endpoint: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"moto server exited with status {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1, context=_UNVERIFIED):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"moto server did not answer on {endpoint} within {timeout:.0f}s") from None
            time.sleep(0.3)

"""A real PostgreSQL server on loopback for the restore drills: Debian's `postgresql` package,
started in a temporary folder (initdb, pg_ctl) on a free port, stopped afterwards.

A missing server fails the test (scripts/install.sh installs the package); it never skips. As
root (CI containers), the server runs as the package's `postgres` user: initdb refuses root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Where Debian's postgresql-<major> packages put the server binaries.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def server_bindir() -> Path:
    """The newest installed server's bin folder; fails loudly if there is none."""
    found = sorted(
        (p for p in DEBIAN_BINARIES.glob("*/bin") if (p / "initdb").is_file() and (p / "pg_ctl").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.fail(
            f"no PostgreSQL server under {DEBIAN_BINARIES}/<major>/bin: install Debian's `postgresql` package "
            "(scripts/install.sh does, `make install`)"
        )
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PgServer:
    port: int
    superuser: str
    password: str
    bindir: Path

    def env(self, user: str | None = None, password: str | None = None) -> dict[str, str]:
        """libpq's environment for a client of this server (TCP on loopback, scram-sha-256)."""
        return {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": user or self.superuser,
            "PGPASSWORD": password or self.password,
            "PGSSLMODE": "disable",
            "PATH": f"{self.bindir}:{os.environ['PATH']}",
        }

    def sql(self, statement: str, database: str = "postgres", **who: str) -> str:
        out = subprocess.run(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", statement],
            env=self.env(**who),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise AssertionError(f"psql failed: {out.stderr}")
        return out.stdout.strip()


@contextlib.contextmanager
def running_postgres() -> Iterator[PgServer]:
    """A fresh cluster in its own folder under the system temp dir (pytest's tmp_path sits below a
    root-only folder that the `postgres` user could not enter); removed afterwards."""
    bindir = server_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="tonebridge-pg-drill-"))
    as_root = os.geteuid() == 0
    runner: list[str] = []
    if as_root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the `postgres` user that Debian's postgresql package creates")
        runner = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
    data, sockets = workdir / "data", workdir / "sockets"
    for folder in (workdir, sockets):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    password = "drill-" + os.urandom(8).hex()
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    if as_root:
        for path in (workdir, sockets, pwfile):
            shutil.chown(path, "postgres", "postgres")
    port = free_port()

    def run(*cmd: str) -> None:
        result = subprocess.run([*runner, *cmd], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")

    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        f"--pwfile={pwfile}",
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--no-instructions",
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "server.log"), "-w", "start")
    try:
        yield PgServer(port=port, superuser="postgres", password=password, bindir=bindir)
    finally:
        try:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

#!/usr/bin/env python3
"""Logical backups of a PostgreSQL server into S3, and their restore: one file, two users.

* The production CronJob runs ``backup`` (this file is mounted into it from a ConfigMap, built from
  this very file by ``tonebridge/constructs/postgres/logical_backup.py``), in CloudNativePG's
  PostgreSQL 16 "system" image, which carries pg_dump and Python with boto3 (barman-cloud's).
* Operators run ``restore`` and ``list`` through ``make restore-postgres`` / ``make list-postgres-backups``;
  the restore drill (``tests/test_restore_drill.py``) runs the same file against a real PostgreSQL
  server and the emulated bucket.

Standard library and boto3 only, no import from the project: the file must run alone in the image.

Layout of one run under ``<prefix>`` (``postgres-logical/<env>``), ``<run>`` a sortable UTC time
(``20261203T041500Z``):

    <prefix>/<run>/globals.sql       roles and their memberships (pg_dumpall --globals-only --no-role-passwords)
    <prefix>/<run>/<database>.dump   pg_dump -Fc: one consistent snapshot per database
    <prefix>/<run>/manifest.json     written last: sizes and SHA-256 of each artefact; a run without it is incomplete

Dumps stream from pg_dump into a multipart upload (no local spool, so no volume sized to the
database); every object is written with SSE-KMS under the key given (the bucket's key). The job's
role may only put objects under the prefix: a failed run leaves objects without a manifest, which
``restore`` ignores and the bucket's lifecycle expires.

Connection: libpq's environment (PGHOST, PGPORT, PGSSLMODE, ...); the user and password from
``--credentials-dir`` (files ``username`` and ``password``, as Vault's CSI provider mounts the
database secrets engine's dynamic credentials) or PGUSER/PGPASSWORD.
S3: boto3's usual chain (IRSA's web identity in the cluster); ``AWS_ENDPOINT_URL`` for another
endpoint. ``TONEBRIDGE_S3_INSECURE_LOOPBACK=1`` skips TLS verification, and only when that endpoint
is on loopback (the emulator's throw-away certificate), never otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

MANIFEST = "manifest.json"
GLOBALS = "globals.sql"
FORMAT = "pg_dump custom (-Fc)"
#: Parts of 64 MiB: 10,000 parts reach 625 GiB, well past the database's storage ceiling.
PART_BYTES = 64 * 1024 * 1024
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")


def log(message: str) -> None:
    print(f"[pg-logical-backup] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[pg-logical-backup] error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


# --- S3 ------------------------------------------------------------------------------------------


def s3_client():
    import boto3  # in the image (barman-cloud's) and in the project's environment
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    verify: bool | None = None
    if os.environ.get("TONEBRIDGE_S3_INSECURE_LOOPBACK") == "1":
        if not endpoint or urlparse(endpoint).hostname not in _LOOPBACK:
            fail("TONEBRIDGE_S3_INSECURE_LOOPBACK is only honoured for an AWS_ENDPOINT_URL on loopback")
        verify = False
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # loopback only, checked above
    config = Config(retries={"max_attempts": 10, "mode": "standard"}, s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=endpoint, verify=verify, config=config)


def _sse(kms_key_id: str | None) -> dict:
    # Explicit SSE-KMS, so that an upload never depends on the bucket default being in place.
    return {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": kms_key_id} if kms_key_id else {})}


class HashingReader:
    """A file-like view of a stream that counts and hashes what boto3 reads from it."""

    def __init__(self, stream) -> None:
        self.stream, self.sha256, self.size = stream, hashlib.sha256(), 0

    def read(self, amount: int = -1) -> bytes:
        data = self.stream.read(amount)
        self.sha256.update(data)
        self.size += len(data)
        return data


def upload_stream(s3, bucket: str, key: str, stream, kms_key_id: str | None) -> dict:
    from boto3.s3.transfer import TransferConfig

    reader = HashingReader(stream)
    s3.upload_fileobj(
        reader,
        bucket,
        key,
        ExtraArgs=_sse(kms_key_id),
        Config=TransferConfig(multipart_chunksize=PART_BYTES, max_concurrency=2),
    )
    return {"key": key, "bytes": reader.size, "sha256": reader.sha256.hexdigest()}


# --- backup --------------------------------------------------------------------------------------


def _credentials(directory: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if directory:
        folder = Path(directory)
        env["PGUSER"] = (folder / "username").read_text().strip()
        env["PGPASSWORD"] = (folder / "password").read_text().strip()
    return env


def _psql_value(env: dict, sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        fail(f"psql: {out.stderr.strip()}")
    return out.stdout.strip()


def _dump(s3, args, env: dict, command: list[str], key: str) -> dict:
    log(f"{' '.join(command)} -> s3://{args.bucket}/{key}")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        entry = upload_stream(s3, args.bucket, key, proc.stdout, args.kms_key_id)
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode(errors="replace")
        proc.wait()
    if proc.returncode != 0:
        fail(f"{command[0]} exited with {proc.returncode}: {stderr.strip()} (no manifest: this run stays incomplete)")
    return entry


def backup(args) -> int:
    env = _credentials(args.credentials_dir)
    s3 = s3_client()
    prefix = args.prefix.strip("/")
    started = dt.datetime.now(dt.UTC)
    run = started.strftime("%Y%m%dT%H%M%SZ")
    databases = args.database or _psql_value(
        env,
        "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datallowconn AND NOT datistemplate",
    ).split(",")
    databases = [d for d in databases if d and d not in args.exclude]
    if not databases:
        fail("no database to back up")
    server_version = _psql_value(env, "SHOW server_version")
    manifest: dict = {
        "run": run,
        "format": FORMAT,
        "server_version": server_version,
        "started": started.isoformat(),
        "globals": _dump(
            s3,
            args,
            env,
            ["pg_dumpall", "--globals-only", "--no-role-passwords", "--no-password"],
            f"{prefix}/{run}/{GLOBALS}",
        ),
        "databases": {},
    }
    for database in databases:
        manifest["databases"][database] = _dump(
            s3,
            args,
            env,
            ["pg_dump", "--format=custom", "--compress=6", "--no-password", f"--dbname={database}"],
            f"{prefix}/{run}/{database}.dump",
        )
    manifest["finished"] = dt.datetime.now(dt.UTC).isoformat()
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    s3.put_object(
        Bucket=args.bucket,
        Key=f"{prefix}/{run}/{MANIFEST}",
        Body=body,
        ContentType="application/json",
        **_sse(args.kms_key_id),
    )
    log(f"complete: s3://{args.bucket}/{prefix}/{run}/ ({', '.join(databases)}; PostgreSQL {server_version})")
    return 0


# --- list and restore ----------------------------------------------------------------------------


def complete_runs(s3, bucket: str, prefix: str) -> list[str]:
    """Runs under ``prefix`` that have a manifest, oldest first (run ids sort by time)."""
    prefix = prefix.strip("/") + "/"
    runs = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            rest = item["Key"][len(prefix) :]
            if rest.count("/") == 1 and rest.endswith(f"/{MANIFEST}"):
                runs.append(rest.split("/")[0])
    return sorted(runs)


def list_runs(args) -> int:
    s3 = s3_client()
    runs = complete_runs(s3, args.bucket, args.prefix)
    for run in runs:
        print(run)
    if not runs:
        fail(f"no complete run under s3://{args.bucket}/{args.prefix.strip('/')}/")
    return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(args, workdir: Path) -> tuple[dict, Path]:
    """The run's manifest and a folder holding its artefacts, each checked against the manifest."""
    if args.from_dir:
        source = Path(args.from_dir)
        manifest = json.loads((source / MANIFEST).read_text())
        return manifest, source
    s3 = s3_client()
    prefix = args.prefix.strip("/")
    runs = complete_runs(s3, args.bucket, prefix)
    if not runs:
        fail(f"no complete run under s3://{args.bucket}/{prefix}/")
    run = runs[-1] if args.run == "latest" else args.run
    if run not in runs:
        fail(f"run {run} has no manifest under s3://{args.bucket}/{prefix}/ (complete runs: {', '.join(runs)})")
    manifest = json.loads(s3.get_object(Bucket=args.bucket, Key=f"{prefix}/{run}/{MANIFEST}")["Body"].read())
    wanted = (
        [manifest["globals"], manifest["databases"][args.database]] if args.database in manifest["databases"] else []
    )
    if not wanted:
        fail(f"run {run} holds no dump of {args.database} (it has {', '.join(sorted(manifest['databases']))})")
    for entry in wanted:
        target = workdir / Path(entry["key"]).name
        log(f"s3://{args.bucket}/{entry['key']} -> {target}")
        s3.download_file(args.bucket, entry["key"], str(target))
    return manifest, workdir


def restore(args) -> int:
    env = _credentials(args.credentials_dir)
    if not _DB_NAME_RE.match(args.database):
        fail(f"{args.database!r} is not a database name this tool restores (letters, digits, _ and -)")
    query = f"SELECT count(*) FROM pg_database WHERE datname = '{args.database}'"  # noqa: S608 - name checked above
    exists = _psql_value(env, query)
    if exists != "0":
        fail(f"database {args.database} exists on the target server; restore creates it (drop or rename it first)")
    with tempfile.TemporaryDirectory(prefix="pg-restore-") as tmp:
        manifest, folder = _fetch(args, Path(tmp))
        if args.database not in manifest["databases"]:
            fail(f"run {manifest['run']} holds no dump of {args.database}")
        entries = {GLOBALS: manifest["globals"], f"{args.database}.dump": manifest["databases"][args.database]}
        for name, entry in entries.items():
            path = folder / name
            if not path.is_file():
                fail(f"{path} is missing")
            if _sha256(path) != entry["sha256"] or path.stat().st_size != entry["bytes"]:
                fail(f"{path} does not match the manifest (size or SHA-256): refusing to restore it")
        log(f"run {manifest['run']} (PostgreSQL {manifest['server_version']}), artefacts verified")
        if not args.skip_globals:
            # Roles that already exist are reported and skipped; the rest are created (without passwords).
            log("applying globals (roles, memberships)")
            subprocess.run(["psql", "-X", "-q", "-d", "postgres", "-f", str(folder / GLOBALS)], env=env, check=False)
        command = [
            "pg_restore",
            "--create",
            "--exit-on-error",
            "--no-password",
            f"--jobs={args.jobs}",
            "--dbname=postgres",
            str(folder / f"{args.database}.dump"),
        ]
        log(" ".join(command))
        if subprocess.run(command, env=env, check=False).returncode != 0:
            fail(f"pg_restore of {args.database} failed")
    log(f"restored {args.database} from run {manifest['run']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    location = argparse.ArgumentParser(add_help=False)
    location.add_argument("--bucket", default=os.environ.get("BACKUP_BUCKET"), help="S3 bucket (BACKUP_BUCKET)")
    location.add_argument(
        "--prefix", default=os.environ.get("BACKUP_PREFIX"), help="postgres-logical/<env> (BACKUP_PREFIX)"
    )
    creds = argparse.ArgumentParser(add_help=False)
    creds.add_argument(
        "--credentials-dir", default=os.environ.get("PG_CREDENTIALS_DIR"), help="username/password files"
    )

    b = sub.add_parser("backup", parents=[location, creds], help="dump globals and every database to S3")
    b.add_argument("--kms-key-id", default=os.environ.get("BACKUP_KMS_KEY_ID"), help="SSE-KMS key (BACKUP_KMS_KEY_ID)")
    b.add_argument("--database", action="append", help="only these databases (default: every connectable one)")
    b.add_argument("--exclude", action="append", default=["rdsadmin"], help="databases never dumped")
    b.set_defaults(func=backup)

    ls = sub.add_parser("list", parents=[location], help="complete runs, oldest first")
    ls.set_defaults(func=list_runs)

    r = sub.add_parser("restore", parents=[location, creds], help="create a database from a run's dump")
    r.add_argument("--database", required=True, help="the database to restore (created; must not exist)")
    r.add_argument("--run", default="latest", help="a run id from `list` (default: the newest complete run)")
    r.add_argument(
        "--from-dir", help="a local copy of one run (e.g. `gcloud storage cp -r gs://<bucket>/<prefix>/<run> .`)"
    )
    r.add_argument("--jobs", type=int, default=4, help="pg_restore parallel jobs")
    r.add_argument("--skip-globals", action="store_true", help="do not apply globals.sql")
    r.set_defaults(func=restore)

    args = parser.parse_args(argv)
    if not args.__dict__.get("from_dir") and (not args.bucket or not args.prefix):
        parser.error("--bucket and --prefix (or BACKUP_BUCKET and BACKUP_PREFIX) are required")
    for tool in ("psql", "pg_dump", "pg_dumpall", "pg_restore"):
        if args.command != "list" and shutil.which(tool) is None:
            fail(f"{tool} is not on PATH (Debian: apt-get install postgresql-client)")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

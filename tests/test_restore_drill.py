# ruff: noqa: S106, S608 - throw-away passwords and SQL of a loopback server this test starts and removes
"""Restore drill 1: production's logical backup, taken and restored the way production does it.

Every step is real except the copy to GCS: a PostgreSQL server on loopback (Debian's package,
started here) stands in for RDS, moto server on its own free port stands in for S3 (a bucket built
like the backups bucket: versioned, object lock, SSE-KMS with its key by default).

1. A marker row is written into the `tonebridge` database.
2. The backup runs through `make backup-postgres`: the file `scripts/pg_logical_backup.py`, the very
   file the production CronJob mounts from its ConfigMap (tests/test_logical_backup.py asserts the
   ConfigMap holds it byte for byte), with the same environment variables the CronJob sets, as a
   read-only role (`pg_read_all_data`, what the Vault database role grants in production).
3. The database is dropped.
4. It is restored through `make restore-postgres DATABASE=tonebridge` (the runbook's command).
5. The marker is read back.

Not run here: the Storage Transfer copy from S3 to GCS (a Google service; no emulator). The
restore reads the S3 copy, then (dropped again) a local copy of the run, as the runbook takes it out of
GCS with `gcloud storage cp -r`, through `FROM_DIR=`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.config import Config

from tests.pg_server import free_port, running_postgres
from tonebridge.paths import PROJECT_ROOT
from tools.emulator import running_emulator

BUCKET = "tonebridge-drill-backups"
PREFIX = "postgres-logical/drill"
DATABASE = "tonebridge"

#: A real PostgreSQL, moto server and `make` in subprocesses (tests/conftest.py, kinds of tests).
pytestmark = pytest.mark.integration


def _make(target: str, env: dict[str, str], *variables: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        # PY: this interpreter (the project's environment); inside `pipenv run` the venv's python3 has no pipenv.
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), target, f"PY={sys.executable}", *variables],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    print(result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def emulated_s3(tmp_path_factory):
    endpoint = f"https://127.0.0.1:{free_port()}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running_emulator(endpoint, log_path=str(log)):
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-2")
        cfg = Config(s3={"addressing_style": "path"})
        kms = session.client("kms", endpoint_url=endpoint, verify=False)
        s3 = session.client("s3", endpoint_url=endpoint, verify=False, config=cfg)
        key = kms.create_key(Description="drill backups key")["KeyMetadata"]["Arn"]
        s3.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
            ObjectLockEnabledForBucket=True,
        )
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        yield {"endpoint": endpoint, "s3": s3, "key": key}


def test_logical_backup_is_restored_after_the_database_is_dropped(emulated_s3, tmp_path):
    marker = f"drill-{uuid.uuid4()}"
    s3_env = {
        "AWS_ENDPOINT_URL": emulated_s3["endpoint"],
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-west-2",
        "TONEBRIDGE_S3_INSECURE_LOOPBACK": "1",
        # The CronJob's environment (tonebridge/constructs/postgres/logical_backup.py).
        "BACKUP_BUCKET": BUCKET,
        "BACKUP_PREFIX": PREFIX,
        "BACKUP_KMS_KEY_ID": emulated_s3["key"],
    }
    with running_postgres() as pg:
        # The owner and the application's data, as production has them.
        pg.sql("CREATE ROLE tonebridge LOGIN PASSWORD 'app'")
        pg.sql(f"CREATE DATABASE {DATABASE} OWNER tonebridge")
        pg.sql(
            "CREATE TABLE drill_marker (id serial PRIMARY KEY, marker text NOT NULL, at timestamptz DEFAULT now())",
            DATABASE,
            user="tonebridge",
            password="app",
        )
        pg.sql(f"INSERT INTO drill_marker (marker) VALUES ('{marker}')", DATABASE, user="tonebridge", password="app")
        # The backup identity: read-only, as Vault's database role creates it in production.
        pg.sql("CREATE ROLE backup_reader LOGIN PASSWORD 'reader' IN ROLE pg_read_all_data")

        # 2. Backup, as the CronJob runs it, with the read-only role's credentials from files (the CSI mount).
        creds = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"drill-creds-{uuid.uuid4().hex}")
        os.makedirs(creds, mode=0o700)
        for name, value in (("username", "backup_reader"), ("password", "reader")):
            with open(os.path.join(creds, name), "w") as handle:
                handle.write(value)
        backup_env = {**pg.env(), **s3_env, "PG_CREDENTIALS_DIR": creds}
        for var in ("PGUSER", "PGPASSWORD"):
            backup_env.pop(var)
        assert _make("backup-postgres", backup_env).returncode == 0

        s3 = emulated_s3["s3"]
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/")["Contents"])
        run = keys[0].split("/")[2]
        assert keys == [
            f"{PREFIX}/{run}/{n}" for n in ("globals.sql", "manifest.json", "postgres.dump", f"{DATABASE}.dump")
        ]
        for key in keys:  # every artefact written encrypted with the backups key
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ServerSideEncryption"] == "aws:kms"
            assert head["SSEKMSKeyId"] == emulated_s3["key"]
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{run}/manifest.json")["Body"].read())
        assert set(manifest["databases"]) == {"postgres", DATABASE}
        assert manifest["databases"][DATABASE]["bytes"] > 0

        # 3. The database is lost.
        pg.sql(f"DROP DATABASE {DATABASE}")
        assert pg.sql(f"SELECT count(*) FROM pg_database WHERE datname = '{DATABASE}'") == "0"

        # 4. Restore through the runbook's command, as an operator with the new server's admin login.
        restore_env = {**pg.env(), **s3_env}
        assert _make("restore-postgres", restore_env, f"DATABASE={DATABASE}").returncode == 0

        # 5. The marker is back, and so is the owner.
        assert pg.sql("SELECT marker FROM drill_marker", DATABASE) == marker
        owner = f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{DATABASE}'"
        assert pg.sql(owner) == "tonebridge"

        # The GCP path: the run as `gcloud storage cp -r` leaves it in a folder (here copied out of the
        # emulated bucket: the transfer itself cannot run here), restored with FROM_DIR=.
        pg.sql(f"DROP DATABASE {DATABASE}")
        copy = tmp_path / run
        copy.mkdir()
        for key in keys:
            s3.download_file(BUCKET, key, str(copy / key.rsplit("/", 1)[1]))
        assert _make("restore-postgres", restore_env, f"DATABASE={DATABASE}", f"FROM_DIR={copy}").returncode == 0
        assert pg.sql("SELECT marker FROM drill_marker", DATABASE) == marker

        # A second restore onto the existing database is refused, never merged into it.
        again = _make("restore-postgres", restore_env, f"DATABASE={DATABASE}")
        assert again.returncode != 0 and "exists on the target server" in again.stderr + again.stdout


def test_incomplete_run_is_never_restored(emulated_s3, tmp_path):
    """A run whose job died before the manifest is ignored: restore takes the newest complete one."""
    s3 = emulated_s3["s3"]
    prefix = f"{PREFIX}-partial"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/29991231T000000Z/{DATABASE}.dump", Body=b"torn")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": emulated_s3["endpoint"],
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-west-2",
        "TONEBRIDGE_S3_INSECURE_LOOPBACK": "1",
        "BACKUP_BUCKET": BUCKET,
        "BACKUP_PREFIX": prefix,
    }
    listed = _make("list-postgres-backups", env)
    assert listed.returncode != 0 and "no complete run" in listed.stderr + listed.stdout

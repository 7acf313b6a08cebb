"""Production's logical backup (platform stack of the primary region): a CronJob that runs
``scripts/pg_logical_backup.py backup`` against the RDS database and writes the artefacts under
``s3://<backups bucket>/<prefix>/<env>/``, from where S3 replication carries them to the secondary
region and the Storage Transfer job to GCP.

Why a logical dump beside RDS's own snapshots: snapshots and automated backups stay inside AWS
(and inside RDS); a lost account or both regions would take them along. A ``pg_dump -Fc`` file is
restorable by any PostgreSQL 16 server, including one started in the GCP standby.

* The script is this repository's file, carried in a ConfigMap and run as is: the restore drill
  (tests/test_restore_drill.py) runs the same file, so what is drilled is what runs.
* Image: CloudNativePG's PostgreSQL 16 "system" image (the staging database's): pg_dump 16 and Python
  with boto3 (barman-cloud's), running as its non-root ``postgres`` user (26).
* Identity: its own ServiceAccount, no Kubernetes API token; AWS through IRSA (put under the prefix
  only: :mod:`tonebridge.constructs.postgres.logical_backup_role`); the database through a dynamic
  login from Vault's database secrets engine, mounted by the Secrets Store CSI driver as files
  ``username`` and ``password`` (one lease: the provider reads the path once per mount).
* Pod: restricted (non-root, read-only root, no capabilities, RuntimeDefault seccomp); no Istio sidecar
  (a Job whose sidecar never exits never completes; the database is outside the mesh);
  ``concurrencyPolicy: Forbid``, ``activeDeadlineSeconds`` = the configured worst case, no retries on
  the same schedule slot beyond two.
* Network: the namespace denies by default; this job may reach the database subnets on 5432 and HTTPS
  (S3 through the VPC's gateway endpoint, STS through its interface endpoint). Vault is read by the
  CSI provider on the node, not by the pod.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from tonebridge import flows
from tonebridge.constructs.app_secrets import SecretObject, secret_provider_class
from tonebridge.constructs.ci_rbac import service_account
from tonebridge.constructs.flow_declarations import declare_flows
from tonebridge.constructs.kube import CustomResources, Dependencies, kube_object
from tonebridge.constructs.network_policies import tcp
from tonebridge.constructs.pod_defaults import restricted_container_context, restricted_pod_context
from tonebridge.paths import PROJECT_ROOT
from tonebridge.props.logical_backup import LogicalBackupSettings

#: The one file the CronJob runs and the drills run.
SCRIPT = PROJECT_ROOT / "scripts" / "pg_logical_backup.py"
SCRIPT_NAME = SCRIPT.name
#: The ConfigMap volume holding the script, mounted at a path named after it inside the container
#: (nothing of the image's own layout is assumed).
SCRIPT_VOLUME = "script"
MOUNT = f"/{SCRIPT_VOLUME}"
CREDENTIALS = "/run/secrets/postgres"
#: CloudNativePG images run as the postgres user.
POSTGRES_UID = 26
POSTGRES_PORT = 5432
HTTPS = 443
NAME = "postgres-logical-backup"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "backup"}


def script_text() -> str:
    return SCRIPT.read_text()


@dataclass(frozen=True)
class LogicalBackupProps:
    """Props of :class:`LogicalBackup`: its settings, and the wiring the stack resolves.

    settings: the job as configured (``database.logical_backup``, :class:`LogicalBackupSettings`): where it
        runs and as whom, schedule, worst-case duration, image, TLS mode, its Vault role and database login.
    environment: the environment's name (artefacts under ``<prefix>/<environment>/``). role_arn: its IRSA role.
    db_host / db_port / database: the RDS endpoint (a reference) and database name.
    bucket / kms_key_arn: where the artefacts go and their key. region: for the AWS SDK.
    vault_address / ca_cert_path / auth_mount / audience: the CSI provider's login.
    database_cidrs: the data-tier subnets (egress on the database port).
    resources: the container's requests and limits.
    """

    settings: LogicalBackupSettings
    environment: str
    role_arn: str
    db_host: str
    db_port: int | str
    database: str
    bucket: str
    kms_key_arn: str
    region: str
    vault_address: str
    ca_cert_path: str
    auth_mount: str
    audience: str
    database_cidrs: Sequence[str]
    resources: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        }
    )

    def __post_init__(self) -> None:
        if not self.database_cidrs:
            raise ValueError("database_cidrs must name the data-tier subnets (the job could not reach the database)")
        if not self.vault_address.startswith("https://"):
            raise ValueError("vault_address must be https://")

    @property
    def key_prefix(self) -> str:
        """Where this environment's artefacts go in the bucket (``<prefix>/<environment>``)."""
        return self.settings.key_prefix(self.environment)


def config_map(props: LogicalBackupProps) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": props.settings.namespace, "labels": dict(LABELS)},
        "data": {SCRIPT_NAME: script_text()},
    }


def provider_class(props: LogicalBackupProps) -> dict[str, Any]:
    return secret_provider_class(
        NAME,
        props.settings.namespace,
        vault_address=props.vault_address,
        ca_cert_path=props.ca_cert_path,
        role=props.settings.vault_role,
        auth_mount=props.auth_mount,
        audience=props.audience,
        objects=[
            SecretObject("username", props.settings.credentials_path, "username"),
            SecretObject("password", props.settings.credentials_path, "password"),
        ],
    )


def cron_job(props: LogicalBackupProps) -> dict[str, Any]:
    env = {
        "PGHOST": props.db_host,
        "PGPORT": str(props.db_port),
        "PGDATABASE": props.database,
        "PGSSLMODE": props.settings.ssl_mode,
        "PGCONNECT_TIMEOUT": "30",
        "PG_CREDENTIALS_DIR": CREDENTIALS,
        "BACKUP_BUCKET": props.bucket,
        "BACKUP_PREFIX": props.key_prefix,
        "BACKUP_KMS_KEY_ID": props.kms_key_arn,
        "AWS_REGION": props.region,
        "AWS_STS_REGIONAL_ENDPOINTS": "regional",
        "HOME": "/tmp",  # noqa: S108 - an emptyDir: the root filesystem is read-only
    }
    pod = {
        "metadata": {"labels": {**LABELS, "sidecar.istio.io/inject": "false"}},
        "spec": {
            "serviceAccountName": props.settings.service_account,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": restricted_pod_context(POSTGRES_UID, POSTGRES_UID),
            "containers": [
                {
                    "name": "backup",
                    "image": props.settings.image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["python3", f"{MOUNT}/{SCRIPT_NAME}", "backup", "--database", props.database],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "resources": {k: dict(v) for k, v in props.resources.items()},
                    "securityContext": restricted_container_context(),
                    "volumeMounts": [
                        {"name": SCRIPT_VOLUME, "mountPath": MOUNT, "readOnly": True},
                        {"name": "credentials", "mountPath": CREDENTIALS, "readOnly": True},
                        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108
                    ],
                }
            ],
            "volumes": [
                {"name": SCRIPT_VOLUME, "configMap": {"name": NAME, "defaultMode": 0o444}},
                {
                    "name": "credentials",
                    "csi": {
                        "driver": "secrets-store.csi.k8s.io",
                        "readOnly": True,
                        "volumeAttributes": {"secretProviderClass": NAME},
                    },
                },
                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            ],
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "namespace": props.settings.namespace, "labels": dict(LABELS)},
        "spec": {
            "schedule": props.settings.schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": props.settings.max_duration_minutes * 60,
                    "ttlSecondsAfterFinished": 7 * 24 * 3600,
                    "template": pod,
                }
            },
        },
    }


def network_policy(props: LogicalBackupProps) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": NAME, "namespace": props.settings.namespace},
        "spec": {
            "podSelector": {"matchLabels": dict(LABELS)},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": c}} for c in props.database_cidrs], "ports": tcp(POSTGRES_PORT)},
                # S3 (gateway endpoint: S3's public ranges, routed inside the VPC) and STS (interface endpoint).
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(HTTPS)},
            ],
        },
    }


def backup_flows(props: LogicalBackupProps) -> list[flows.Flow]:
    job = flows.Endpoint(NAME, namespace=props.settings.namespace, pod_labels=dict(LABELS))
    return [
        *(
            flows.Flow(job, flows.Endpoint("postgres (RDS)", cidr=c), POSTGRES_PORT, "pg_dump reads the database")
            for c in props.database_cidrs
        ),
        flows.Flow(job, flows.Endpoint("s3 and sts", cidr="0.0.0.0/0"), HTTPS, "uploads to S3, IRSA's STS call"),
    ]


class LogicalBackup(Construct):
    """Attributes: ``cron_job``, ``config_map``, ``service_account``, ``policy`` (Manifests),
    ``secret_provider`` (release of the SecretProviderClass)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        props: LogicalBackupProps,
        *,
        depends_on: Dependencies = (),
        csi_depends_on: Dependencies = (),
    ) -> None:
        super().__init__(scope, id_)
        self.props = props
        account = service_account(
            props.settings.service_account,
            props.settings.namespace,
            token=False,
            annotations={"eks.amazonaws.com/role-arn": props.role_arn},
        )
        self.service_account = kube_object(self, account, depends_on=depends_on)
        self.config_map = kube_object(self, config_map(props), depends_on=depends_on)
        self.policy = kube_object(self, network_policy(props), depends_on=depends_on)
        declare_flows(self, backup_flows(props))
        self.secret_provider = CustomResources(
            self,
            "secrets",
            release_name=f"{NAME}-secrets",
            namespace=props.settings.namespace,
            objects=[provider_class(props)],
            depends_on=[*depends_on, *csi_depends_on],
        ).release
        self.cron_job = kube_object(
            self,
            cron_job(props),
            depends_on=[*depends_on, self.service_account, self.config_map, self.policy, self.secret_provider],
        )

"""``<env>-dr``: the disaster-recovery site on Google Cloud (spec §9.1, §9.2, §5.1).

Only environments with a ``dr`` section get this stack, and only they import the google provider
(see :func:`tonebridge.app.add_environment`). It depends on the primary region's stack, whose
backups bucket and key the transfer job reads; nothing on the AWS side depends on it. Its state
lives in the environment's S3 bucket like every other stack's, and it keeps an AWS provider (the
primary region) for the one AWS resource it owns: the role Storage Transfer assumes.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from cdktf_cdktf_provider_google.provider import GoogleProvider
from constructs import Construct

from tonebridge.config.cloud_rules import gcp_labels
from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.gcp.dr_region import DrRegion
from tonebridge.constructs.gcp.transfer import BackupTransfer, TransferSource, TransferWiring
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.data_recovery import add_backup_freshness, expiring_prefixes
from tonebridge.stacks.infrastructure import InfrastructureStack


class DrStack(TonebridgeStack):
    """The GCP standby and the daily backup copy; ``primary`` is the primary region's stack."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, primary: InfrastructureStack) -> None:
        super().__init__(scope, env, "dr", env.aws.primary_region)
        dr = env.dr
        if dr is None or primary.backups is None:
            raise ValueError(f"{self.name}: needs a dr section and the primary region's backups bucket")
        GoogleProvider(
            self,
            "google",
            project=dr.project_id,
            region=dr.region,
            default_labels=gcp_labels(env),
            add_terraform_attribution_label=True,
        )
        self.site = DrRegion(self, "dr", dr, labels=gcp_labels(env), expiring_prefixes=expiring_prefixes(env))
        self.transfer = BackupTransfer(
            self,
            "backup-transfer",
            dr.transfer,
            TransferWiring(
                project_id=dr.project_id,
                source_bucket=primary.backups.bucket_name,
                source_bucket_arn=primary.backups.bucket_arn,
                source_key_arn=primary.backups.key.arn,
                source_region=env.aws.primary_region,
                sink_bucket=self.site.bucket.name,
                # Other environments' database backups (staging's CloudNativePG), under <environment>/.
                extra_sources=[
                    TransferSource(
                        name=environment,
                        bucket=bucket.bucket_name,
                        bucket_arn=bucket.bucket_arn,
                        key_arn=bucket.key.arn,
                    )
                    for environment, bucket in sorted(primary.environment_backups.items())
                ],
            ),
        )
        #: Alert when the newest production database backup in GCS is older than its RPO.
        self.backup_freshness = add_backup_freshness(self, env)
        self.add_dependency(primary)
        outputs = {
            "gke_cluster_name": self.site.cluster.name,
            "gke_cluster_endpoint": self.site.cluster.endpoint,
            "network": self.site.network.name,
            "backups_bucket": self.site.bucket.name,
            "registry_url": f"{dr.region}-docker.pkg.dev/{dr.project_id}/{dr.registry.repository_id}",
            "transfer_job": self.transfer.job.name,
            "transfer_role_arn": self.transfer.role.arn,
            "edge_address": self.site.edge_address.address,
        }
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value, sensitive=name == "gke_cluster_endpoint")

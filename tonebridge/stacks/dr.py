"""``<env>-dr``: the disaster-recovery site on Google Cloud (spec §9.1, §9.2, §5.1).

Only environments with a ``dr`` section get this stack, and only they import the google provider
(see :func:`tonebridge.app.add_environment`). It depends on the primary region's stack, whose
backups bucket and key the transfer job reads; nothing on the AWS side depends on it. Its state
lives in the environment's S3 bucket like every other stack's, and it keeps an AWS provider (the
primary region) for the one AWS resource it owns: the role Storage Transfer assumes.
"""

from __future__ import annotations

from constructs import Construct

from tonebridge.config.cloud_rules import gcp_labels
from tonebridge.config.models import EnvironmentConfig
from tonebridge.features.dr import BackupSources, add_dr
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.data_recovery import add_backup_freshness, expiring_prefixes
from tonebridge.stacks.infrastructure import InfrastructureStack


class DrStack(TonebridgeStack):
    """The GCP standby and the daily backup copy; ``primary`` is the primary region's stack."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, primary: InfrastructureStack) -> None:
        super().__init__(scope, env, "dr", env.aws.primary_region)
        if env.dr is None or primary.backups is None:
            raise ValueError(f"{self.name}: needs a dr section and the primary region's backups bucket")
        sources = BackupSources(env.aws.primary_region, primary.backups, primary.environment_backups)
        self.dr = add_dr(self, env.dr, sources, labels=gcp_labels(env), expiring_prefixes=expiring_prefixes(env))
        self.site, self.transfer = self.dr.site, self.dr.transfer
        #: Alert when the newest production database backup in GCS is older than its RPO.
        self.backup_freshness = add_backup_freshness(self, env)
        self.add_dependency(primary)

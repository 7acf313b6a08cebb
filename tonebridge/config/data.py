"""Typed models of the data sections: the RDS PostgreSQL database (spec §4.1, §9.1, §11.1) and the
backups bucket with its cross-region replica (spec §9.2).

Cross-field rules (replication needs a secondary region, window overlap, lifecycle ordering) live in
:mod:`tonebridge.config.semantics`, so that each problem is reported against its own field.
"""

from __future__ import annotations

from tonebridge.config.recovery import LogicalBackupConfig
from tonebridge.config.types import StrictModel
from tonebridge.postgres_settings import PostgresSettings
from tonebridge.props.backups import BackupsSettings
from tonebridge.props.postgres import RdsSettings


class DatabaseConfig(StrictModel):
    """The relational database: server settings of spec §4.1 and the RDS engine that runs them."""

    settings: PostgresSettings = PostgresSettings()
    rds: RdsSettings = RdsSettings()
    logical_backup: LogicalBackupConfig = LogicalBackupConfig()


#: The backups section is BackupBuckets' own settings (tonebridge/props/backups.py).
BackupsConfig = BackupsSettings

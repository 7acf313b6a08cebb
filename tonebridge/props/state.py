"""StateSettings: the Terraform state backend of an environment (spec §11.1), created by the
``<env>-state`` bootstrap stack. The configuration's ``state`` section *is* this model and
:class:`~tonebridge.constructs.state_backend.StateBackend` takes the same object. Cdktf-free (rules layer).
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.props.aws_names import BucketName, Region, TableName
from tonebridge.props.types import StrictModel


class StateSettings(StrictModel):
    """Names of the Terraform state backend (created by the `<env>-state` bootstrap stack)."""

    bucket: BucketName = Field(
        description="S3 bucket of every stack's state (`<env>/<stack>.tfstate`), versioned and encrypted under its "
        "own key (§11.1 `tonebridge-terraform-state`)."
    )
    lock_table: TableName = Field(
        description="DynamoDB table of the state locks, taken beside the S3 lock file (§11.1 `dynamodb_table`)."
    )
    region: Region = Field(
        description="Region of the bucket and the table (the `<env>-state` stack), where every stack's backend "
        "finds them."
    )
    access_log_bucket: BucketName | None = Field(
        default=None, description="Server access log bucket for the state bucket; defaults to '<bucket>-access-logs'."
    )
    protect: bool = Field(
        default=True, description="prevent_destroy on the bucket, deletion protection on the table, no force_destroy."
    )
    noncurrent_version_retention_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days a superseded state version is kept (for a rollback) before S3 deletes it.",
    )
    access_log_retention_days: int = Field(default=365, ge=1, le=3650, description="How long access logs are kept.")

    @property
    def access_log_bucket_name(self) -> str:
        return self.access_log_bucket or f"{self.bucket}-access-logs"

    def backend_arguments(self, key: str) -> dict[str, object]:
        """The S3 backend's arguments for the state object ``key``: this bucket (encrypted objects) in
        this region, locked by this table."""
        return {
            "bucket": self.bucket,
            "key": key,
            "region": self.region,
            "encrypt": True,
            "dynamodb_table": self.lock_table,
        }

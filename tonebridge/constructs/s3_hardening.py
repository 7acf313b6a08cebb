"""What every ToneBridge bucket shares: no public access, no ACLs, TLS 1.2+ only, and the policy
statement that lets S3 server access logging deliver into a log bucket; and for the buckets that
hold state and backups, a policy that admits only the principals it names.

The state backend and the backup buckets both use these; each keeps its own resource ids.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from tonebridge.constructs.trust import policy_document


def block_public_access(scope: Construct, prefix: str, bucket: S3Bucket) -> None:
    """Block every form of public access and disable ACLs (the bucket owner owns every object).
    Creates ``<prefix>-public-access`` and ``<prefix>-ownership`` in ``scope``."""
    S3BucketPublicAccessBlock(
        scope,
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketOwnershipControls(
        scope,
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    )


def versioning_enabled(scope: Construct, construct_id: str, bucket: S3Bucket) -> S3BucketVersioningA:
    """Versioning on: an overwrite or delete keeps the previous version (the lifecycle expires it)."""
    return S3BucketVersioningA(
        scope,
        construct_id,
        bucket=bucket.id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )


def default_encryption(
    scope: Construct, construct_id: str, bucket: S3Bucket, key_arn: str | None
) -> S3BucketServerSideEncryptionConfigurationA:
    """Default encryption: SSE-KMS under ``key_arn`` with an S3 bucket key (fewer KMS calls), or SSE-S3
    when ``key_arn`` is None (S3 server access log delivery writes only with SSE-S3)."""
    if key_arn is None:
        by_default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="AES256"
        )
        rule = S3BucketServerSideEncryptionConfigurationRuleA(apply_server_side_encryption_by_default=by_default)
    else:
        by_default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms", kms_master_key_id=key_arn
        )
        rule = S3BucketServerSideEncryptionConfigurationRuleA(
            apply_server_side_encryption_by_default=by_default, bucket_key_enabled=True
        )
    return S3BucketServerSideEncryptionConfigurationA(scope, construct_id, bucket=bucket.id, rule=[rule])


def expiring_versions(
    scope: Construct,
    construct_id: str,
    bucket: S3Bucket,
    *,
    rule_id: str,
    noncurrent_days: int,
    expiration_days: int | None = None,
    versioning: S3BucketVersioningA | None = None,
) -> S3BucketLifecycleConfiguration:
    """One whole-bucket lifecycle rule: superseded versions expire after ``noncurrent_days``, current
    objects after ``expiration_days`` (None: kept), and incomplete multipart uploads are aborted after 7 days.
    With ``versioning``, the rule waits for it (S3 refuses noncurrent-version rules before versioning)."""
    expiration = None
    if expiration_days is not None:
        expiration = [S3BucketLifecycleConfigurationRuleExpiration(days=expiration_days)]
    return S3BucketLifecycleConfiguration(
        scope,
        construct_id,
        bucket=bucket.id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id=rule_id,
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                expiration=expiration,
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                ],
            )
        ],
        depends_on=[versioning] if versioning else None,
    )


def log_delivery_statement(log_bucket_arn: str, source_bucket: str) -> dict:
    """Lets S3 server access logging write ``source_bucket``'s logs under ``<source_bucket>/``."""
    return {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{source_bucket}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:*:s3:::{source_bucket}"}},
    }


def tls_only_policy(bucket_arn: str, extra: list[dict] | None = None) -> str:
    """Deny every request that does not use TLS, or uses TLS older than 1.2; ``extra`` statements follow."""

    def deny(sid: str, condition: dict) -> dict:
        resources = [bucket_arn, f"{bucket_arn}/*"]
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": resources,
            "Condition": condition,
        }

    statements = [
        deny("DenyInsecureTransport", {"Bool": {"aws:SecureTransport": "false"}}),
        deny("DenyOutdatedTLS", {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        *(extra or []),
    ]
    return policy_document(*statements)


def _deny_unless_principal(sid: str, action: str, bucket_arn: str, principal_arns: list[str]) -> dict:
    """Deny ``action`` on the bucket and its objects to every principal whose ARN is not listed."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": action,
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": principal_arns}},
    }


def named_principals_only(bucket_arn: str, principal_arns: list[str]) -> dict:
    """Deny every request from a principal not in ``principal_arns`` (``aws:PrincipalArn``: a role's
    sessions match the role's ARN). Identity policies granting broad S3 rights in the account no
    longer reach the bucket: only the named roles and users do."""
    return _deny_unless_principal("DenyUnnamedPrincipals", "s3:*", bucket_arn, principal_arns)


def deny_retention_bypass(bucket_arn: str, break_glass_arn: str) -> dict:
    """Nobody but the break-glass role may bypass governance retention (delete or shorten a locked
    version early); under COMPLIANCE mode not even it can, and this stays as a second wall."""
    return _deny_unless_principal("DenyRetentionBypass", "s3:BypassGovernanceRetention", bucket_arn, [break_glass_arn])


class NamedAccessPolicy(Construct):
    """The bucket policy of a protected bucket (state, backups): TLS 1.2+ only, and only the named
    principals, which :meth:`allow` extends one at a time (a new job's role is one line).

    ``principals``: the ARNs always allowed (the deploy identities and the break-glass role).
    ``extra``: further statements (for example :func:`deny_retention_bypass`).
    Attributes: ``policy`` (aws_s3_bucket_policy), ``principal_arns``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: S3Bucket,
        principals: list[str],
        extra: list[dict] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._bucket_arn = bucket.arn
        self._extra = list(extra or [])
        self.principal_arns: list[str] = list(principals)
        self.policy = S3BucketPolicy(scope, "policy", bucket=bucket.id, policy=self._render())

    def allow(self, principal_arn: str) -> None:
        """Name one more principal that may reach the bucket (its own IAM policy still decides what)."""
        self.principal_arns.append(principal_arn)
        self.policy.policy = self._render()

    def _render(self) -> str:
        return tls_only_policy(
            self._bucket_arn, extra=[named_principals_only(self._bucket_arn, self.principal_arns), *self._extra]
        )

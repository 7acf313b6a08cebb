"""What every ToneBridge bucket shares: no public access, no ACLs, TLS 1.2+ only, and the policy
statement that lets S3 server access logging deliver into a log bucket.

The state backend and the backup buckets both use these; each keeps its own resource ids.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from constructs import Construct


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
    return json.dumps({"Version": "2012-10-17", "Statement": statements})

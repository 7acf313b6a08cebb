"""The emulator launcher evaluates the state bucket's TLS-only policy as AWS does."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

from tonebridge.ops import moto_server

BUCKET = "arn:aws:s3:::tonebridge-terraform-state"
NO_PLAIN_HTTP = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
NO_OLD_TLS = {**NO_PLAIN_HTTP, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
DENY_KEY = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/secret"}


@pytest.fixture
def patched(monkeypatch):
    """The policy correction alone, undone after each test."""
    monkeypatch.setattr(IAMPolicyStatement, "is_action_permitted", moto_server._is_action_permitted)
    return monkeypatch


def _permission(*statements, **facts) -> PermissionResult:
    policy = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    return policy.is_action_permitted("s3:GetObject", f"{BUCKET}/production/x.tfstate", None, facts or None)


def test_tls_requests_pass_the_tls_only_policy(patched):
    assert _permission(NO_PLAIN_HTTP, NO_OLD_TLS) == PermissionResult.NEUTRAL


def test_plain_http_and_old_tls_are_still_denied(patched):
    assert _permission(NO_PLAIN_HTTP, **{"aws:SecureTransport": "false"}) == PermissionResult.DENIED
    assert _permission(NO_OLD_TLS, **{"s3:TlsVersion": "1.0"}) == PermissionResult.DENIED


def test_unconditional_deny_is_untouched(patched):
    policy = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": [DENY_KEY]}))
    assert policy.is_action_permitted("s3:GetObject", f"{BUCKET}/secret") == PermissionResult.DENIED


def test_force_destroy_of_a_versioned_bucket_with_delete_markers(monkeypatch):
    import boto3
    from moto import mock_aws
    from moto.s3.models import FakeDeleteMarker

    monkeypatch.delattr(FakeDeleteMarker, "dispose", raising=False)
    # S3 alone is exercised: skip loading AWS's managed IAM policies (1.5 s), which
    # install_corrections() would otherwise turn on for the rest of the session.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    moto_server.install_corrections()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-west-2")
        s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        s3.put_bucket_versioning(Bucket="state", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="state", Key="x.tflock", Body=b"lock")
        s3.delete_object(Bucket="state", Key="x.tflock")
        versions = s3.list_object_versions(Bucket="state")
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
        ]
        s3.delete_objects(Bucket="state", Delete={"Objects": objects})
        s3.delete_bucket(Bucket="state")

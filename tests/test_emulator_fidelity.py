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

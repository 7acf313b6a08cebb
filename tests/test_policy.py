"""checkov over every synthesized stack: zero unexpected findings, zero stale skips."""

from __future__ import annotations

import pytest

from tests.conftest import require_tool
from tools import policy


@pytest.mark.external
def test_checkov_passes_every_stack(synth_dir):
    require_tool("checkov")
    report = policy.scan(synth_dir / "stacks")
    assert report.passed > 400
    assert not report.unexpected, "\n".join(map(str, report.unexpected))
    assert not report.stale, [f"{s.check} {s.resource}" for s in report.stale]


def test_every_skip_has_a_reason_and_a_narrow_scope():
    for skip in policy.load_skips():
        assert skip.stack != "*" and skip.resource != "*", skip
        assert len(skip.reason) > 60, skip
        assert skip.scan in ("synthesized", "plan", "both"), skip


def test_an_unlisted_finding_fails_the_scan():
    finding = policy.Finding("CKV_AWS_145", "production-state", "aws_s3_bucket.state-backend_bucket_X", "kms")
    skips = policy.load_skips()
    assert not any(s.matches(finding) for s in skips)
    log_bucket = policy.Finding("CKV_AWS_145", "production-state", "aws_s3_bucket.state-backend_log-bucket_X", "kms")
    assert any(s.matches(log_bucket) for s in skips)

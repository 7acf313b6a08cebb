"""The settings of a region's public L7 entry, ``platform.<region>.edge`` (spec §2.2).

One model is both the configuration's section and what :func:`tonebridge.features.edge.add_edge`,
:class:`tonebridge.constructs.edge_protection.EdgeProtection` (the web ACL's rules) and
:class:`tonebridge.constructs.edge_load_balancer.EdgeLoadBalancer` (the ALB's options) read: no copy in
between. cdktf-free (rules layer).
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.props.aws_names import BucketName
from tonebridge.props.edge_types import DEFAULT_MANAGED_RULE_GROUPS, CountryCode, Hostname, PathPrefix
from tonebridge.props.types import LogRetentionDays, StrictModel


class EdgeSettings(StrictModel):
    """The region's public L7 entry: WAFv2 web ACL, ACM certificate and the ALB (infrastructure stack),
    the Istio gateway's pods bound to its target groups (platform stack), its HTTPS listener (global stack)."""

    enabled: bool = True
    hostname: Hostname | None = Field(default=None, description="Public name the ALB's certificate is for.")
    alternative_names: list[Hostname] = Field(default_factory=list)
    rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000, description="Requests per IP per 5 minutes.")
    blocked_countries: list[CountryCode] = Field(default_factory=list)
    managed_rule_groups: list[str] = Field(default_factory=lambda: list(DEFAULT_MANAGED_RULE_GROUPS), min_length=1)
    waf_log_retention_days: LogRetentionDays = 365
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection: bool = True
    access_logs_bucket: BucketName | None = Field(
        default=None, description="S3 bucket (SSE-S3, ELB log delivery allowed) for ALB access logs."
    )
    paths: list[PathPrefix] = Field(default_factory=lambda: ["/api", "/auth"], min_length=1)
    shield_advanced: bool = Field(default=False, description="Shield Advanced protection of the ALB (paid).")

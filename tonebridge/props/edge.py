"""The settings of a region's public L7 entry, ``platform.<region>.edge`` (spec §2.2).

One model is both the configuration's section and what :func:`tonebridge.features.edge.add_edge`,
:class:`tonebridge.constructs.edge_protection.EdgeProtection` (the web ACL's rules) and
:class:`tonebridge.constructs.edge_load_balancer.EdgeLoadBalancer` (the ALB's options) read: no copy in
between. cdktf-free (rules layer).
"""

from __future__ import annotations

from pydantic import Field

from tonebridge.props.aws_names import BucketName
from tonebridge.props.edge_types import (
    CountryCode,
    Hostname,
    ManagedRuleGroups,
    PathPrefix,
    RateLimit,
    default_managed_rule_groups,
)
from tonebridge.props.types import LogRetentionDays, StrictModel


class EdgeSettings(StrictModel):
    """The region's public L7 entry: WAFv2 web ACL, ACM certificate and the ALB (infrastructure stack),
    the Istio gateway's pods bound to its target groups (platform stack), its HTTPS listener (global stack)."""

    enabled: bool = Field(
        default=True,
        description="Give the region a public entry; needs `hostname` and Istio (the ALB forwards to its gateway).",
    )
    hostname: Hostname | None = Field(default=None, description="Public name the ALB's certificate is for.")
    alternative_names: list[Hostname] = Field(
        default_factory=list,
        description="Further public names on the certificate, served like `hostname` (and CloudFront's aliases "
        "in the primary region).",
    )
    rate_limit: RateLimit = 2000
    blocked_countries: list[CountryCode] = Field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 codes the web ACL's geo rule blocks; like `rate_limit`, moved to "
        "`dns.cdn.waf` where CloudFront is in front (the ALB then sees CloudFront's addresses).",
    )
    managed_rule_groups: ManagedRuleGroups = Field(default_factory=default_managed_rule_groups)
    waf_log_retention_days: LogRetentionDays = Field(
        default=365,
        description="Days the CloudWatch log group keeps the web ACL's logs (Authorization and Cookie headers "
        "redacted).",
    )
    ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06",
        description="ELB security policy of the HTTPS listener; only TLS 1.2+ policies (ELBSecurityPolicy-TLS13-1-2-*, "
        "-TLS13-1-3-*, FS-1-2-*) are accepted.",
    )
    deletion_protection: bool = Field(
        default=True, description="The ALB cannot be deleted (Terraform included) until this is turned off."
    )
    access_logs_bucket: BucketName | None = Field(
        default=None, description="S3 bucket (SSE-S3, ELB log delivery allowed) for ALB access logs."
    )
    paths: list[PathPrefix] = Field(
        default_factory=lambda: ["/api", "/auth"],
        min_length=1,
        description="Path prefixes (at most 99) the listener forwards to the Istio gateway, each with everything "
        "below it; any other path gets a 404 from the ALB.",
    )
    shield_advanced: bool = Field(default=False, description="Shield Advanced protection of the ALB (paid).")

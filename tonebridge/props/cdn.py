"""The `dns.cdn` section: CloudFront in front of the regional ALBs (spec §2.1/§2.2, CloudFlare's CDN).

These models are both the configuration's `dns.cdn` section and the settings of
:class:`tonebridge.constructs.edge_cdn.CdnDistribution` (``CdnSettings``) and
:class:`tonebridge.constructs.origin_secret.OriginSecret` (``OriginSecretSettings``): one model, no copy
in between. Rules across sections (paths under the ALB's routes, bucket names) live in
:mod:`tonebridge.config.edge_rules`.

The distribution lives in the ``<env>-global`` stack. Its origin is one Route53 name
(``dns.routing.origin_hostname``) that latency- or geolocation-routes to the healthy regional ALBs,
so every request method fails over (CloudFront origin groups fail over GET, HEAD and OPTIONS only,
and refuse cache behaviours that allow POST). Values are bounded by what CloudFront, WAF and ALB accept.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from tonebridge.props.aws_names import BucketName
from tonebridge.props.edge_types import CountryCode, ManagedRuleGroups, RateLimit, default_managed_rule_groups
from tonebridge.props.types import LogRetentionDays, StrictModel

#: CloudFront's largest TTL we accept for a cached path: one year (CloudFront allows more; nothing
#: the platform serves should be cached longer than its yearly certificate and asset rotations).
MAX_TTL_SECONDS = 31_536_000
#: CloudFront's default quota of cache behaviours per distribution.
MAX_CACHE_BEHAVIOURS = 25
_PATTERN_RE = re.compile(r"^/[A-Za-z0-9._~/*?-]{0,254}$")
#: Header names CloudFront refuses as origin custom headers (and Host, which it sets itself).
_RESERVED_HEADERS = re.compile(r"^(x-amz-|x-edge-|cloudfront-)|^(host|via|x-forwarded-for|x-real-ip|connection)$", re.I)
_HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _pattern(value: str) -> str:
    if not _PATTERN_RE.match(value) or "//" in value or value in ("/", "/*"):
        raise ValueError(
            f"{value!r} is not a CloudFront path pattern below the root (for example /static/*; "
            "letters, digits, . _ ~ / - * ? only)"
        )
    return value


def _header(value: str) -> str:
    if not _HEADER_RE.match(value) or _RESERVED_HEADERS.search(value):
        raise ValueError(f"{value!r} is not a header name CloudFront sends to an origin (token, not X-Amz-*, Host …)")
    return value


PathPattern = Annotated[str, AfterValidator(_pattern)]
HeaderName = Annotated[str, AfterValidator(_header)]


class CachePathSettings(StrictModel):
    """A cached path: its own cache policy (TTLs in seconds; GET/HEAD/OPTIONS only)."""

    path: PathPattern = Field(
        description="CloudFront path pattern of the behaviour (for example /static/*), under one of the primary "
        "edge's routed `paths`."
    )
    min_ttl: int = Field(
        default=0,
        ge=0,
        le=MAX_TTL_SECONDS,
        description="Seconds an object stays cached at least, even if the origin's Cache-Control asks for less.",
    )
    default_ttl: int = Field(
        default=86_400,
        ge=0,
        le=MAX_TTL_SECONDS,
        description="Seconds an object stays cached when the origin sends no Cache-Control or Expires.",
    )
    max_ttl: int = Field(
        default=MAX_TTL_SECONDS,
        ge=1,
        le=MAX_TTL_SECONDS,
        description="Seconds an object stays cached at most, even if the origin's Cache-Control asks for more.",
    )
    query_strings: bool = Field(default=False, description="Query strings in the cache key (and to the origin).")

    @model_validator(mode="after")
    def _ordered(self) -> CachePathSettings:
        if not self.min_ttl <= self.default_ttl <= self.max_ttl:
            raise ValueError(
                f"needs min_ttl <= default_ttl <= max_ttl (got {self.min_ttl}, {self.default_ttl}, {self.max_ttl})"
            )
        return self


class CdnWafSettings(StrictModel):
    """The CLOUDFRONT-scope web ACL: it sees the viewer's own address, so the per-IP rate limit and the
    geo rule live here (moved from the regional ACLs, which behind CloudFront see CloudFront's
    addresses); the managed rule groups are mirrored in the regional ACLs as defence in depth."""

    rate_limit: RateLimit = 2000
    blocked_countries: list[CountryCode] = Field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 codes whose viewers are refused, by the web ACL's geo rule and "
        "CloudFront's geo restriction alike; empty blocks none.",
    )
    managed_rule_groups: ManagedRuleGroups = Field(default_factory=default_managed_rule_groups)
    log_retention_days: LogRetentionDays = Field(
        default=365,
        description="Days the us-east-1 CloudWatch log group keeps the ACL's logs (Authorization and Cookie "
        "headers redacted).",
    )


class CdnLogsSettings(StrictModel):
    """Standard logging (legacy) to an S3 bucket in us-east-1 (ACLs on, as CloudFront requires; SSE-KMS with
    a customer key that CloudFront's log delivery may use)."""

    bucket: BucketName = Field(
        description="Name of the log bucket this stack creates; not the state's or the backups' bucket."
    )
    retention_days: int = Field(default=365, ge=1, le=3650, description="Days a log file is kept before S3 deletes it.")
    include_cookies: bool = Field(
        default=False, description="Write viewers' cookies into the logs (they can carry session tokens)."
    )


class SecurityHeadersSettings(StrictModel):
    """The response headers policy on every behaviour (HSTS and the usual browser protections)."""

    enabled: bool = Field(
        default=True,
        description="Attach the policy to every behaviour; false sends the origin's headers unchanged.",
    )
    hsts_max_age: int = Field(default=63_072_000, ge=86_400, le=63_072_000, description="Seconds (2 years max).")
    hsts_include_subdomains: bool = Field(
        default=True, description="HSTS covers every subdomain too (includeSubDomains)."
    )
    hsts_preload: bool = Field(
        default=False,
        description="Mark HSTS for the browsers' preload lists (preload); needs include_subdomains and a max age "
        "of a year or more.",
    )
    frame_options: Literal["DENY", "SAMEORIGIN"] = Field(
        default="DENY",
        description="X-Frame-Options: DENY forbids framing anywhere, SAMEORIGIN allows the site's own pages.",
    )
    referrer_policy: Literal["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"] = Field(
        default="strict-origin-when-cross-origin",
        description="Referrer-Policy: how much of the page's URL browsers send to the sites it links to.",
    )

    @model_validator(mode="after")
    def _preload(self) -> SecurityHeadersSettings:
        if self.hsts_preload and not (self.hsts_include_subdomains and self.hsts_max_age >= 31_536_000):
            raise ValueError("hsts_preload needs hsts_include_subdomains and hsts_max_age of at least 31536000")
        return self


class OriginSecretSettings(StrictModel):
    """The header CloudFront adds to every origin request and the ALB's rules require.

    The value is generated by Secrets Manager (GetRandomPassword) into one of two slots, ``a`` and
    ``b``, each a secret of its own; it never appears in code or configuration. The ALB accepts both
    slots, CloudFront sends ``active``: rotate by regenerating the inactive slot, then switching
    ``active`` (docs/runbooks/secret-rotation.md).
    """

    header: HeaderName = Field(
        default="X-Origin-Verify", description="Name of the request header that carries the secret to the ALBs."
    )
    active: Literal["a", "b"] = Field(
        default="a",
        description="The slot whose value CloudFront sends; switch it after regenerating the other slot to rotate.",
    )
    length: int = Field(default=64, ge=32, le=128, description="ALB header conditions match 128 characters at most.")
    recovery_window_days: int = Field(default=7, ge=0, le=30, description="0 deletes at once (emulator).")

    @model_validator(mode="after")
    def _window(self) -> OriginSecretSettings:
        if 0 < self.recovery_window_days < 7:
            raise ValueError("recovery_window_days is 0 or 7-30 (Secrets Manager's bounds)")
        return self


class CdnSettings(StrictModel):
    """CloudFront distribution for the primary region's edge hostname (and its alternative names)."""

    enabled: bool = Field(
        default=True,
        description="Serve the public names through CloudFront; needs the primary's edge hostname and "
        "`dns.routing.origin_hostname`. False: the names point at the regional ALBs.",
    )
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_All",
        description="Edge locations that serve viewers: 100 North America and Europe, 200 adds most of Asia, the "
        "Middle East and Africa, All every location (the highest price).",
    )
    minimum_protocol_version: Literal["TLSv1.2_2019", "TLSv1.2_2021"] = Field(
        default="TLSv1.2_2021",
        description="CloudFront's viewer security policy: both allow TLS 1.2 and 1.3; 2021 drops the weaker "
        "TLS 1.2 ciphers.",
    )
    http_version: Literal["http2", "http2and3"] = Field(
        default="http2and3", description="Highest HTTP version offered to viewers: HTTP/2, or HTTP/3 (QUIC) too."
    )
    ipv6: bool = Field(
        default=True, description="Answer viewers over IPv6 too, with AAAA alias records beside the A records."
    )
    origin_read_timeout: int = Field(default=30, ge=1, le=60, description="Seconds CloudFront waits for the origin.")
    cache_paths: list[CachePathSettings] = Field(
        default_factory=list,
        max_length=MAX_CACHE_BEHAVIOURS,
        description="Paths CloudFront caches, one behaviour each; everything else (the API) is never cached.",
    )
    waf: CdnWafSettings = CdnWafSettings()
    logs: CdnLogsSettings
    security_headers: SecurityHeadersSettings = SecurityHeadersSettings()
    origin_secret: OriginSecretSettings = OriginSecretSettings()
    shield_advanced: bool = Field(default=False, description="Shield Advanced protection of the distribution (paid).")

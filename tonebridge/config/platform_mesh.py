"""Typed models of the mesh, edge and GitOps parts of ``platform.<region>``.

``istio`` (spec §3.3), ``edge`` (the L7 load balancer and web ACL of spec §2.2) and ``argocd``
(spec §6.1). Defaults are the spec's values where it gives them. ``istio`` and ``argocd`` are the
Istio and Argo CD constructs' own settings models (:mod:`tonebridge.props.istio`, :mod:`tonebridge.props.argocd`).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from tonebridge.config.types import BucketName, LogRetentionDays, StrictModel
from tonebridge.props.argocd import (
    ArgoApplicationSettings,
    ArgoCdSettings,
    ArgoSignatureKeySettings,
    ArgoSsoSettings,
)
from tonebridge.props.istio import IstioSettings

# --- shared -----------------------------------------------------------------------------------

_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")

_ISO_CODES = """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
    ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID
    IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR
    NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC
    VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
#: ISO 3166-1 alpha-2 codes (officially assigned), the codes WAF geo match statements accept.
ISO_3166_ALPHA2 = frozenset(_ISO_CODES.split())


def _hostname(value: str) -> str:
    if not _HOSTNAME_RE.match(value):
        raise ValueError(f"{value!r} is not a fully qualified lowercase DNS name")
    return value


def _country(value: str) -> str:
    if value not in ISO_3166_ALPHA2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (for example KP)")
    return value


def _path(value: str) -> str:
    if not _PATH_RE.match(value) or value == "/" or value.endswith("/") or "//" in value:
        raise ValueError(f"{value!r} must be an absolute path prefix such as /api (no trailing '/')")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
CountryCode = Annotated[str, AfterValidator(_country)]
PathPrefix = Annotated[str, AfterValidator(_path)]


# --- istio (spec §3.3): the settings of tonebridge.constructs.istio, in tonebridge.props.istio ---

IstioConfig = IstioSettings


# --- edge (spec §2.2) -------------------------------------------------------------------------

#: AWS managed rule groups the web ACL evaluates by default (names as WAF lists them).
DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


class EdgeConfig(StrictModel):
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


# --- argo cd (spec §6.1): the settings of tonebridge.constructs.argocd, in tonebridge.props.argocd ---

ArgoApplicationConfig = ArgoApplicationSettings
ArgoSsoConfig = ArgoSsoSettings
ArgoSignatureKeyConfig = ArgoSignatureKeySettings
ArgoCdConfig = ArgoCdSettings

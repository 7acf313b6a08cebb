"""Field types of the public edge: DNS names, path prefixes, country codes, the WAF's managed rule groups.

Shared by the global edge's settings (:mod:`tonebridge.props.global_dns`, :mod:`tonebridge.props.cdn`)
and the regional edge's (``platform.<region>.edge``); cdktf-free, so configuration and constructs share them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

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

#: AWS managed rule groups a web ACL evaluates by default (names as WAF lists them).
DEFAULT_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


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


#: A web ACL's per-IP rate-based rule (CloudFront's ACL and each region's): WAF counts over 5 minutes and
#: accepts 10 to 2,000,000,000.
RateLimit = Annotated[int, Field(ge=10, le=2_000_000_000, description="Requests per IP per 5 minutes.")]
#: The AWS managed rule groups a web ACL evaluates (CloudFront's and, as defence in depth, each region's).
ManagedRuleGroups = Annotated[
    list[str],
    Field(
        min_length=1,
        description="AWS managed rule groups the web ACL evaluates, by WAF's names, distinct: the IP reputation "
        "list first, the others after the geo and rate rules.",
    ),
]


def default_managed_rule_groups() -> list[str]:
    """:data:`DEFAULT_MANAGED_RULE_GROUPS` as a fresh list (a field's default factory)."""
    return list(DEFAULT_MANAGED_RULE_GROUPS)

"""The AWS side of a region's public L7 entry (spec §2.2): a WAFv2 web ACL and an ACM certificate.

The ALB itself is made in the cluster by the AWS Load Balancer Controller from an Ingress (platform
stack), which names the ACL and the certificate by ARN. Both live here so that Terraform validates,
plans and applies them like any other AWS resource.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate, AcmCertificateOptions
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from tonebridge.constructs.kms import EncryptionKey, EncryptionKeyProps, logs_grant

#: WAF sends logs only to CloudWatch log groups whose name starts with this.
WAF_LOG_PREFIX = "aws-waf-logs-"
#: Headers that carry credentials: never written to the WAF log.
REDACTED_HEADERS = ("authorization", "cookie")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class WebAclRules(Protocol):
    """The rules a web ACL evaluates: the settings models ``platform.<region>.edge``
    (:class:`tonebridge.props.edge.EdgeSettings`) and ``dns.cdn.waf`` (:class:`tonebridge.props.cdn.CdnWafSettings`)
    both are one, validated there (hostnames, rate limit bounds, ISO country codes, at least one rule group).

    rate_limit: requests per client IP in any 5-minute window before WAF blocks it.
    blocked_countries: ISO 3166-1 alpha-2 codes blocked outright (none: no geo rule).
    managed_rule_groups: AWS managed rule groups evaluated in this order, before the rate rule.
    """

    @property
    def rate_limit(self) -> int: ...
    @property
    def blocked_countries(self) -> Sequence[str]: ...
    @property
    def managed_rule_groups(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class EdgeProtectionProps:
    """Props of :class:`EdgeProtection` (the wiring; the rules are the settings, :class:`WebAclRules`).

    name: prefix of every resource name (web ACL, metrics, log group, key alias); letters, digits, '-', '_'.
    region: the stack's region (the log key's CloudWatch Logs grant names it).
    hostname: the public DNS name of the certificate.
    alternative_names: further names on the certificate (default none).
    log_retention_days: how long WAF logs are kept (default 365).
    scope: ``REGIONAL`` (an ALB's ACL) or ``CLOUDFRONT`` (a distribution's; its ACL, log group and
        certificate must then be created in us-east-1: the caller gives them that region's provider).
    client_ip_rules: the geo and per-IP rate rules (default True). Off for a regional ACL behind
        CloudFront: there every request comes from CloudFront's addresses, so a per-IP limit would
        throttle whole edge locations, and a forwarded-address header is the client's to forge; the
        CLOUDFRONT ACL, which sees the viewer's address, carries them instead.
    """

    name: str
    region: str
    hostname: str
    alternative_names: Sequence[str] = field(default_factory=tuple)
    log_retention_days: int = 365
    scope: str = "REGIONAL"
    client_ip_rules: bool = True

    def __post_init__(self) -> None:
        if self.scope not in ("REGIONAL", "CLOUDFRONT"):
            raise ValueError(f"scope {self.scope!r} must be REGIONAL or CLOUDFRONT")
        if not _NAME_RE.match(self.name) or len(self.name) > 100 - len("-rate-limit"):
            raise ValueError(f"name {self.name!r} must be letters, digits, '-' or '_' (at most 89)")
        # The hostnames, rate limit, countries, rule groups and log retention come from the configuration's
        # edge and cdn.waf models, which hold their rules (one place each).


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class EdgeProtection(Construct):
    """A REGIONAL web ACL (AWS managed rule groups, geo block, per-IP rate limit; CloudWatch metrics
    on every rule; logs to a CMK-encrypted log group with credentials redacted) and a DNS-validated
    ACM certificate.

    The certificate's validation records are published by the global DNS stack (a later issue); until
    then it stays pending. Attributes: ``web_acl_arn``, ``certificate_arn``, ``log_group_name``,
    ``validation_options`` (the records DNS must publish), ``web_acl``, ``certificate``.
    """

    def __init__(self, scope: Construct, id_: str, rules: WebAclRules, props: EdgeProtectionProps) -> None:
        super().__init__(scope, id_)
        name = props.name
        log_group_name = f"{WAF_LOG_PREFIX}{name}"
        self.key = EncryptionKey(
            self,
            "key",
            EncryptionKeyProps(
                alias=f"{name}-waf-logs",
                description=f"{name}: WAF logs",
                service_grants=[logs_grant(props.region, log_group_name)],
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=self.key.arn,
        )
        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=name,
            description=f"{name}: public L7 entry",
            scope=props.scope,
            default_action=Wafv2WebAclDefaultAction(allow={}),
            rule=self._rules(rules, props),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
        self.certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.hostname,
            subject_alternative_names=list(props.alternative_names) or None,
            validation_method="DNS",
            options=AcmCertificateOptions(certificate_transparency_logging_preference="ENABLED"),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.web_acl_arn: str = self.web_acl.arn
        self.certificate_arn: str = self.certificate.arn
        self.log_group_name: str = log_group_name
        self.validation_options = self.certificate.domain_validation_options

    @staticmethod
    def _rules(settings: WebAclRules, props: EdgeProtectionProps) -> list[Wafv2WebAclRule]:
        """Cheapest verdicts first: known-bad sources, geo block, rate limit, then the managed rule sets."""
        name = props.name
        rules: list[Wafv2WebAclRule] = []
        groups = list(settings.managed_rule_groups)
        reputation = [g for g in groups if g == "AWSManagedRulesAmazonIpReputationList"]
        ordered = reputation + [g for g in groups if g not in reputation]

        def managed(group: str) -> Wafv2WebAclRule:
            return Wafv2WebAclRule(
                name=f"aws-{group}",
                priority=len(rules),
                override_action=Wafv2WebAclRuleOverrideAction(none={}),
                statement={"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                visibility_config=_visibility(f"{name}-{group}"),
            )

        for group in reputation:
            rules.append(managed(group))
        if settings.blocked_countries and props.client_ip_rules:
            rules.append(
                Wafv2WebAclRule(
                    name="geo-block",
                    priority=len(rules),
                    action=Wafv2WebAclRuleAction(block={}),
                    statement={"geo_match_statement": {"country_codes": list(settings.blocked_countries)}},
                    visibility_config=_visibility(f"{name}-geo-block"),
                )
            )
        if props.client_ip_rules:
            rules.append(_rate_rule(props.name, settings.rate_limit, len(rules)))
        for group in ordered[len(reputation) :]:
            rules.append(managed(group))
        return rules


def _rate_rule(name: str, limit: int, priority: int) -> Wafv2WebAclRule:
    return Wafv2WebAclRule(
        name="rate-limit",
        priority=priority,
        action=Wafv2WebAclRuleAction(block={}),
        statement={
            "rate_based_statement": {
                "limit": limit,
                "aggregate_key_type": "IP",
                "evaluation_window_sec": 300,
            }
        },
        visibility_config=_visibility(f"{name}-rate-limit"),
    )

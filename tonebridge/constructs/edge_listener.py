"""The HTTPS listener of a region's ALB (spec §2.2): TLS 1.2/1.3 only, path rules to the Istio gateway.

It is created by the global stack once ACM has issued the certificate (ALB refuses a certificate that
is still pending validation, and the validation records live in the global stack's zone): see
:mod:`tonebridge.constructs.edge_load_balancer`. Requests for the edge hostname whose path starts with
one of ``paths`` go to the gateway's target group; ``/healthz/ready`` (any host, for Route53's health
checks, which address the ALB by its own name) goes to the gateway's readiness port; everything else
gets a 404 from the ALB itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionHttpHeader,
    LbListenerRuleConditionPathPattern,
)
from constructs import Construct

from tonebridge.constructs.istio import GATEWAY_HEALTH_PATH

_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$")
_SSL_POLICY_RE = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-)")
#: Priority of the health rule: after every path rule (at most 99 of them).
HEALTH_RULE_PRIORITY = 100
#: ALB's quota of condition values per rule.
MAX_CONDITION_VALUES = 5


class ListenerRoutes(Protocol):
    """What the listener routes and how it speaks TLS: the region's edge settings
    (:class:`tonebridge.props.edge.EdgeSettings`).

    paths: path prefixes routed to the gateway (1-99, no trailing '/').
    ssl_policy: an ELB policy allowing TLS 1.2 and 1.3 only.
    """

    @property
    def paths(self) -> Sequence[str]: ...
    @property
    def ssl_policy(self) -> str: ...


@dataclass(frozen=True)
class EdgeListenerProps:
    """Props of :class:`EdgeListener`.

    load_balancer_arn, certificate_arn (the validated one), gateway_target_group_arn,
    status_target_group_arn: tokens from the infrastructure stack and the certificate validation.
    hostnames: the certificate's names, which the path rules match.
    routes: the paths and TLS policy (the edge settings, :class:`ListenerRoutes`).
    provider: the AWS provider of the ALB's region.
    origin_header / origin_header_values: with CloudFront in front, the path rules also require this
        header with one of these values (the secret slots, tokens; at most two, so that a rule keeps
        within ALB's five condition values: two path patterns, one host, two header values).
    """

    load_balancer_arn: str
    certificate_arn: str
    gateway_target_group_arn: str
    status_target_group_arn: str
    hostnames: Sequence[str]
    routes: ListenerRoutes
    provider: TerraformProvider
    origin_header: str | None = None
    origin_header_values: Sequence[str] = ()

    def __post_init__(self) -> None:
        if bool(self.origin_header) != bool(self.origin_header_values):
            raise ValueError("origin_header and origin_header_values go together")
        if self.origin_header and 2 + len(self.hostnames) + len(self.origin_header_values) > MAX_CONDITION_VALUES:
            raise ValueError(f"a path rule would exceed ALB's {MAX_CONDITION_VALUES} condition values")
        paths, ssl_policy = self.routes.paths, self.routes.ssl_policy
        if not 1 <= len(paths) < HEALTH_RULE_PRIORITY:
            raise ValueError(f"paths: 1 to {HEALTH_RULE_PRIORITY - 1} path prefixes")
        for path in paths:
            if not _PATH_RE.match(path):
                raise ValueError(f"paths: {path!r} must be an absolute prefix such as /api (no trailing '/')")
        if len(set(paths)) != len(paths):
            raise ValueError("paths must be distinct")
        if not self.hostnames:
            raise ValueError("hostnames: at least one")
        if not _SSL_POLICY_RE.match(ssl_policy):
            raise ValueError(f"ssl_policy {ssl_policy!r} must allow only TLS 1.2+ (an ELBSecurityPolicy-TLS13-*)")


class EdgeListener(Construct):
    """Attributes: ``listener``, ``rules`` (path rules in order, then the health rule)."""

    def __init__(self, scope: Construct, id_: str, props: EdgeListenerProps) -> None:
        super().__init__(scope, id_)
        self.listener = LbListener(
            self,
            "https",
            provider=props.provider,
            load_balancer_arn=props.load_balancer_arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=props.routes.ssl_policy,
            certificate_arn=props.certificate_arn,
            default_action=[
                LbListenerDefaultAction(
                    type="fixed-response",
                    fixed_response=LbListenerDefaultActionFixedResponse(
                        content_type="text/plain", status_code="404", message_body="not found"
                    ),
                )
            ],
        )
        self.rules: list[LbListenerRule] = []
        for priority, path in enumerate(props.routes.paths, start=1):
            self.rules.append(
                self._rule(
                    props,
                    f"path-{priority}",
                    priority,
                    props.gateway_target_group_arn,
                    [path, f"{path}/*"],
                    props.hostnames,
                )
            )
        self.rules.append(
            self._rule(
                props, "health", HEALTH_RULE_PRIORITY, props.status_target_group_arn, [GATEWAY_HEALTH_PATH], None
            )
        )

    def _rule(
        self,
        props: EdgeListenerProps,
        id_: str,
        priority: int,
        target_group_arn: str,
        patterns: list[str],
        hosts: Sequence[str] | None,
    ) -> LbListenerRule:
        conditions = [LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=patterns))]
        if hosts:
            conditions.append(
                LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=list(hosts)))
            )
            if props.origin_header:
                header = LbListenerRuleConditionHttpHeader(
                    http_header_name=props.origin_header, values=list(props.origin_header_values)
                )
                conditions.append(LbListenerRuleCondition(http_header=header))
        return LbListenerRule(
            self,
            id_,
            provider=props.provider,
            listener_arn=self.listener.arn,
            priority=priority,
            action=[LbListenerRuleAction(type="forward", target_group_arn=target_group_arn)],
            condition=conditions,
        )

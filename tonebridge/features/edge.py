"""The region's public entry (spec §2.2): the WAFv2 web ACL and ACM certificate (EdgeProtection) and
the internet-facing ALB in front of the Istio gateway (EdgeLoadBalancer). The platform stack binds the
gateway's pods to the ALB's target groups; the global stack adds the HTTPS listener and DNS."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer, EdgeLoadBalancerProps
from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
from tonebridge.features.network import RegionalNetwork
from tonebridge.features.region import RegionPlacement
from tonebridge.props.edge import EdgeSettings


@dataclass(frozen=True)
class RegionalEdge:
    """``protection`` (web ACL, certificate) and ``load_balancer`` (the ALB), or None where the region
    has no public entry."""

    protection: EdgeProtection | None = None
    load_balancer: EdgeLoadBalancer | None = None

    @property
    def outputs(self) -> dict[str, object]:
        protection, lb = self.protection, self.load_balancer
        if protection is None or lb is None:
            return {}
        return {
            "edge_web_acl_arn": protection.web_acl_arn,
            "edge_certificate_arn": protection.certificate_arn,
            "edge_certificate_validation": protection.validation_options,
            "edge_load_balancer_arn": lb.arn,
            "edge_load_balancer_dns_name": lb.dns_name,
            "edge_load_balancer_zone_id": lb.zone_id,
            "edge_gateway_target_group_arn": lb.gateway_target_group_arn,
            "edge_status_target_group_arn": lb.status_target_group_arn,
        }


def add_edge(
    scope: Construct,
    settings: EdgeSettings | None,
    at: RegionPlacement,
    network: RegionalNetwork,
    *,
    behind_cdn: bool,
    cdn_origin: str | None,
) -> RegionalEdge:
    """The web ACL and certificate (id ``edge``) and the ALB (id ``edge-alb``), both named
    ``<prefix>-<region>``, for ``settings`` with a hostname (None: no public entry here). ``behind_cdn``
    (CloudFront in front): the certificate also names CloudFront's origin, ``cdn_origin``, the client-IP
    rules move to the CLOUDFRONT ACL, and only CloudFront (and Route53's checkers) get in."""
    if settings is None or not settings.hostname:
        return RegionalEdge()
    protection = EdgeProtection(
        scope,
        "edge",
        settings,
        EdgeProtectionProps(
            name=at.name,
            region=at.region,
            hostname=settings.hostname,
            alternative_names=[*settings.alternative_names, *([cdn_origin] if behind_cdn and cdn_origin else [])],
            log_retention_days=settings.waf_log_retention_days,
            client_ip_rules=not behind_cdn,
        ),
    )
    vpc, cluster = network.vpc, network.cluster
    load_balancer = EdgeLoadBalancer(
        scope,
        "edge-alb",
        settings,
        EdgeLoadBalancerProps(
            name=at.name,
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.subnet_ids["public"],
            target_cidrs=network.internal_cidrs,
            target_security_group_id=cluster.node_security_group_id,
            cluster_name=network.cluster_name,
            web_acl_arn=protection.web_acl_arn,
            origin_protection=behind_cdn,
        ),
    )
    return RegionalEdge(protection, load_balancer)

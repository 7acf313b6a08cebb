"""The global edge: the public zone, the traffic manager and the CDN in front of the regions
(spec §2.1, §2.2, §9.1).

:func:`add_global_edge` builds, in the ``<env>-global`` stack's scope (ids as they always were):

* A Route53 public hosted zone for ``dns.zone``.
* The ACM validation records of every regional edge certificate; the same name in two certificates
  yields the same record, which is published once, and validates CloudFront's certificate too (the
  primary's names). Then, per region, the wait for the certificate (``aws_acm_certificate_validation``)
  and the ALB's HTTPS listener, which needs an issued certificate
  (:mod:`tonebridge.constructs.edge_listener`); behind CloudFront its rules want the origin name and
  the secret origin header.
* Per region, a Route53 HTTPS health check of the ALB (through the listener to the Istio gateway's
  readiness). Routing (``dns.routing``): under ``regions.<routed name>`` one latency (or geolocation)
  record per region aliased to its ALB and tied to its health check; the routed name (CloudFront's
  origin, or the public name without a CDN) is a failover pair whose PRIMARY aliases that set and
  whose SECONDARY, with ``dns.dr.failover``, is the GCP standby's address.
* With ``dns.cdn``: CloudFront (:mod:`tonebridge.constructs.edge_cdn`), its CLOUDFRONT web ACL and
  certificate (us-east-1), the origin secret (:mod:`tonebridge.constructs.origin_secret`), and the
  public names aliased to the distribution (A and AAAA).
* With ``dns.dr`` and the standby's address: the DR hostname, always pointing at the GCP standby.
* The stack's outputs (zone id and name servers; the distribution's name, ARN and web ACL).

Its settings are the configuration's `dns` section itself (:class:`~tonebridge.props.global_dns.GlobalDnsSettings`);
the rest is wiring: each region's edge (its names, certificate and ALB, from the infrastructure stacks),
the names of the environment, the stack's per-region providers, the DR address (a token of the DR stack).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cdktf import Fn, TerraformIterator, TerraformOutput, TerraformProvider, TerraformResource, Token
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
    Route53RecordGeolocationRoutingPolicy,
    Route53RecordLatencyRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct

from tonebridge.constructs.edge_cdn import CdnDistribution, CdnWiring
from tonebridge.constructs.edge_listener import EdgeListener, EdgeListenerProps
from tonebridge.constructs.edge_load_balancer import EdgeLoadBalancer
from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
from tonebridge.constructs.istio import GATEWAY_HEALTH_PATH
from tonebridge.constructs.origin_secret import SLOTS, OriginSecret
from tonebridge.features.edge_hosts import forwarded_hosts
from tonebridge.props.edge import EdgeSettings
from tonebridge.props.global_dns import GlobalDnsSettings

#: CloudFront's certificate, web ACL and log bucket key must be in us-east-1.
CLOUDFRONT_REGION = "us-east-1"


@dataclass(frozen=True)
class RegionalEdge:
    """One region's edge as the infrastructure stack built it: ``settings`` (its names, paths and TLS
    policy), ``protection`` (its certificate and web ACL) and ``load_balancer`` (the ALB)."""

    settings: EdgeSettings
    protection: EdgeProtection
    load_balancer: EdgeLoadBalancer


@dataclass(frozen=True)
class Site:
    """Who the global edge belongs to: ``name`` (``<Project>-<environment>``, the prefix of the CDN's
    resources), ``environment`` (the zone's comment, the health checks' names), ``primary_region``
    (whose edge names CloudFront serves, and the default of geolocation routing), ``primary``
    (that region's edge settings), ``protect`` (false: the CDN's log bucket is destroyed with its logs),
    ``emulated`` (deployed to the AWS emulator: nothing propagates to edge locations, so nothing to wait for)."""

    name: str
    environment: str
    primary_region: str
    primary: EdgeSettings
    protect: bool
    emulated: bool = False


@dataclass(frozen=True)
class GlobalEdge:
    """What :func:`add_global_edge` built. ``routed_name``: CloudFront's origin with the CDN, else the
    public edge hostname itself. ``regional_records`` by region (latency) or location (geolocation)."""

    zone: Route53Zone
    validation_records: Route53Record | None
    routed_name: str | None
    health_checks: Mapping[str, Route53HealthCheck]
    regional_records: Mapping[str, Route53Record]
    failover_records: Mapping[str, Route53Record]
    cdn_protection: EdgeProtection | None
    origin_secret: OriginSecret | None
    distribution: CdnDistribution | None
    cdn_records: Sequence[Route53Record]
    dr_record: Route53Record | None


def add_global_edge(
    scope: Construct,
    settings: GlobalDnsSettings,
    edges: Mapping[str, RegionalEdge],
    site: Site,
    *,
    provider_for: Callable[[str], TerraformProvider],
    dr_address: str | None = None,
) -> GlobalEdge:
    """``edges``: the regions with an edge; ``provider_for(region)``: the scope's AWS provider of a region;
    ``dr_address``: the GCP standby's address (a token), where there is a DR site."""
    return _Builder(scope, settings, site, provider_for).build(edges, dr_address)


class _Builder:
    def __init__(
        self,
        scope: Construct,
        settings: GlobalDnsSettings,
        site: Site,
        provider_for: Callable[[str], TerraformProvider],
    ) -> None:
        self.scope, self.settings, self.site, self.provider_for = scope, settings, site, provider_for
        self.cdn = settings.cdn if settings.cdn and settings.cdn.enabled else None

    def build(self, edges: Mapping[str, RegionalEdge], dr_address: str | None) -> GlobalEdge:
        scope, dns, cdn, site = self.scope, self.settings, self.cdn, self.site
        zone = Route53Zone(scope, "zone", name=dns.zone, comment=f"{site.environment}: public zone (cdktf)")
        self.zone_id = zone.zone_id
        protection = secret = None
        if cdn:
            protection = self._cdn_protection()
            secret = OriginSecret(scope, "origin-secret", cdn.origin_secret, name=f"{site.name}-cdn")
        # CloudFront's certificate names the primary's edge names, which the primary's regional certificate
        # also names: ACM asks for the same record per name in one account, so the regional records
        # validate it too. (Its own options could not join the for_each: a certificate of this stack has
        # record names that are unknown until apply.)
        self.validation = self._validation_records(edges)
        routed = dns.routing.origin_hostname if cdn else site.primary.hostname
        health_checks = {region: self._region(region, regional, secret) for region, regional in edges.items()}
        regional_records: dict[str, Route53Record] = {}
        failover_records: dict[str, Route53Record] = {}
        if edges and routed:
            regional_records = self._regional_records(routed, edges, health_checks)
            failover_records = self._failover_pair(routed, regional_records, dr_address)
        distribution, cdn_records = None, []
        if cdn and protection and secret:
            distribution, cdn_records = self._cdn(protection, secret)
        dr_record = None
        if dns.dr and dr_address:
            dr_record = Route53Record(
                scope, "dr", zone_id=zone.zone_id, name=dns.dr.hostname, type="A", ttl=dns.dr.ttl, records=[dr_address]
            )
        TerraformOutput(scope, "zone_id", value=zone.zone_id)
        TerraformOutput(scope, "name_servers", value=zone.name_servers)
        if distribution and protection:
            TerraformOutput(scope, "cdn_domain_name", value=distribution.domain_name)
            TerraformOutput(scope, "cdn_distribution_arn", value=distribution.arn)
            TerraformOutput(scope, "cdn_web_acl_arn", value=protection.web_acl_arn)
        return GlobalEdge(
            zone,
            self.validation,
            routed,
            health_checks,
            regional_records,
            failover_records,
            protection,
            secret,
            distribution,
            cdn_records,
            dr_record,
        )

    def _in_region(self, construct: Construct, region: str) -> None:
        """Every resource under ``construct`` is created through ``region``'s provider."""
        provider = self.provider_for(region)
        for child in construct.node.find_all():
            if isinstance(child, TerraformResource):
                child.provider = provider

    def _validation_records(self, edges: Mapping[str, RegionalEdge]) -> Route53Record | None:
        if not edges:
            return None
        options = [regional.protection.validation_options for regional in edges.values()]
        # toset: a name validated in two regions gives the same record twice; it is published once.
        each = TerraformIterator.from_complex_list(Token.as_any(Fn.toset(Fn.concat(options))), "resource_record_name")
        return Route53Record(
            self.scope,
            "certificate-validation",
            for_each=each,
            zone_id=self.zone_id,
            name=each.get_string("resource_record_name"),
            type=each.get_string("resource_record_type"),
            records=[each.get_string("resource_record_value")],
            ttl=self.settings.validation_ttl,
        )

    def _certificate(self, id_: str, region: str, certificate_arn: str) -> AcmCertificateValidation:
        return AcmCertificateValidation(
            self.scope,
            id_,
            provider=self.provider_for(region),
            certificate_arn=certificate_arn,
            depends_on=[self.validation],
        )

    def _region(self, region: str, regional: RegionalEdge, secret: OriginSecret | None) -> Route53HealthCheck:
        """The certificate wait, the HTTPS listener and the health check of one region's ALB."""
        dns, names, lb = self.settings, regional.settings, regional.load_balancer
        validation = self._certificate(f"certificate-{region}", region, regional.protection.certificate_arn)
        EdgeListener(
            self.scope,
            f"listener-{region}",
            EdgeListenerProps(
                load_balancer_arn=lb.arn,
                certificate_arn=validation.certificate_arn,
                gateway_target_group_arn=lb.gateway_target_group_arn,
                status_target_group_arn=lb.status_target_group_arn,
                # Behind CloudFront the Host header is the origin name (viewer Host is not forwarded); the
                # platform stack's Gateway serves the same hosts.
                hostnames=forwarded_hosts(names, dns),
                routes=names,
                provider=self.provider_for(region),
                origin_header=dns.cdn.origin_secret.header if secret else None,
                origin_header_values=[secret.values[slot] for slot in SLOTS] if secret else (),
            ),
        )
        check = dns.health_check
        return Route53HealthCheck(
            self.scope,
            f"health-{region}",
            type="HTTPS",
            fqdn=lb.dns_name,
            port=443,
            resource_path=GATEWAY_HEALTH_PATH,
            request_interval=check.request_interval,
            failure_threshold=check.failure_threshold,
            measure_latency=True,
            # Runbook: hold traffic on the secondary while the primary flaps (`make hold-primary`).
            invert_healthcheck=True if region == self.site.primary_region and check.hold_primary else None,
            tags={"Name": f"{self.site.environment}-{region}-edge"},
        )

    def _regional_records(
        self, routed: str, edges: Mapping[str, RegionalEdge], health_checks: Mapping[str, Route53HealthCheck]
    ) -> dict[str, Route53Record]:
        """``regions.<routed>``: one latency (or geolocation) record per region (or location), aliased to its
        ALB and tied to its health check: an unhealthy region drops out of the answer."""
        routing = self.settings.routing
        inner = f"regions.{routed}"
        records: dict[str, Route53Record] = {}

        def regional(id_: str, region: str, identifier: str, **policy) -> Route53Record:
            lb = edges[region].load_balancer
            return Route53Record(
                self.scope,
                id_,
                zone_id=self.zone_id,
                name=inner,
                type="A",
                set_identifier=identifier,
                alias=Route53RecordAlias(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True),
                health_check_id=health_checks[region].id,
                **policy,
            )

        if routing.policy == "latency":
            for region in edges:
                records[region] = regional(
                    f"latency-{region}",
                    region,
                    region,
                    latency_routing_policy=Route53RecordLatencyRoutingPolicy(region=region),
                )
        else:
            for rule in routing.geolocation:
                where = rule.continent or rule.country
                policy = (
                    Route53RecordGeolocationRoutingPolicy(continent=rule.continent)
                    if rule.continent
                    else Route53RecordGeolocationRoutingPolicy(country=rule.country)
                )
                records[where] = regional(
                    f"geo-{where}", rule.region, f"{where}-{rule.region}", geolocation_routing_policy=policy
                )
            default = routing.default_region or self.site.primary_region
            records["default"] = regional(
                "geo-default",
                default,
                f"default-{default}",
                geolocation_routing_policy=Route53RecordGeolocationRoutingPolicy(country="*"),
            )
        return records

    def _failover_pair(
        self, routed: str, regional: Mapping[str, Route53Record], dr_address: str | None
    ) -> dict[str, Route53Record]:
        """``<routed>``: a failover pair whose PRIMARY aliases the regional set (healthy while one region is)
        and whose SECONDARY, with ``dns.dr.failover``, is the GCP standby."""
        dr = self.settings.dr
        inner = Route53RecordAlias(name=f"regions.{routed}", zone_id=self.zone_id, evaluate_target_health=True)
        pair = {"aws": self._failover("aws", "PRIMARY", routed, alias=inner, depends_on=list(regional.values()))}
        if dr is not None and dr.failover and dr_address is not None:
            pair["gcp"] = self._failover("gcp", "SECONDARY", routed, ttl=dr.ttl, records=[dr_address])
        return pair

    def _failover(self, identifier: str, role: str, name: str, **target) -> Route53Record:
        """One side of the routed name's failover pair: an alias (``alias``) or an address (``ttl``, ``records``)."""
        return Route53Record(
            self.scope,
            f"failover-{identifier}",
            zone_id=self.zone_id,
            name=name,
            type="A",
            set_identifier=identifier,
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=role),
            **target,
        )

    def _cdn_protection(self) -> EdgeProtection:
        """The CLOUDFRONT web ACL and CloudFront's certificate (the primary's edge names), in us-east-1."""
        site = self.site
        protection = EdgeProtection(
            self.scope,
            "cdn-edge",
            self.cdn.waf,
            EdgeProtectionProps(
                name=f"{site.name}-cdn",
                region=CLOUDFRONT_REGION,
                hostname=site.primary.hostname,
                alternative_names=site.primary.alternative_names,
                log_retention_days=self.cdn.waf.log_retention_days,
                scope="CLOUDFRONT",
            ),
        )
        self._in_region(protection, CLOUDFRONT_REGION)
        return protection

    def _cdn(self, protection: EdgeProtection, secret: OriginSecret) -> tuple[CdnDistribution, list[Route53Record]]:
        """The distribution, and the public names aliased to it (A and AAAA)."""
        cdn, site = self.cdn, self.site
        validation = self._certificate("certificate-cdn", CLOUDFRONT_REGION, protection.certificate_arn)
        aliases = [site.primary.hostname, *site.primary.alternative_names]
        distribution = CdnDistribution(
            self.scope,
            "cdn",
            cdn,
            CdnWiring(
                name=site.name,
                aliases=aliases,
                certificate_arn=validation.certificate_arn,
                web_acl_arn=protection.web_acl_arn,
                origin_domain=self.settings.routing.origin_hostname,
                origin_header_value=secret.active_value,
                force_destroy_logs=not site.protect,
                wait_for_deployment=not site.emulated,
            ),
        )
        self._in_region(distribution, CLOUDFRONT_REGION)
        target = Route53RecordAlias(
            name=distribution.domain_name, zone_id=distribution.hosted_zone_id, evaluate_target_health=False
        )
        records = [
            Route53Record(
                self.scope,
                f"cdn-{index}-{record_type.lower()}",
                zone_id=self.zone_id,
                name=name,
                type=record_type,
                alias=target,
            )
            for index, name in enumerate(aliases)
            for record_type in (("A", "AAAA") if cdn.ipv6 else ("A",))
        ]
        return distribution, records

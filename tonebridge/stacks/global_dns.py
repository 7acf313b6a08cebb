"""``<env>-global``: the public zone, the traffic manager and the CDN in front of the regions (spec §2.1, §2.2, §9.1).

* A Route53 public hosted zone for ``dns.zone``.
* The ACM validation records of every regional edge certificate (the infrastructure stacks output
  them as ``edge_certificate_validation``); the same name in two certificates yields the same record,
  which is published once, and validates CloudFront's certificate too (the primary's names). Then,
  per region, the wait for the certificate (``aws_acm_certificate_validation``) and the ALB's
  HTTPS listener, which needs an issued certificate (see :mod:`tonebridge.constructs.edge_listener`);
  behind CloudFront its rules want the origin name and the secret origin header.
* Per region, a Route53 HTTPS health check of the ALB (through the listener to the Istio gateway's
  readiness). Routing (``dns.routing``): under ``regions.<routed name>`` one latency (or
  geolocation) record per region aliased to its ALB and tied to its health check; the routed name
  (CloudFront's origin, or the public name without a CDN) is a failover pair whose PRIMARY aliases
  that set and whose SECONDARY, with ``dns.dr.failover``, is the GCP standby's address.
* With ``dns.cdn``: CloudFront (:mod:`tonebridge.constructs.edge_cdn`), its CLOUDFRONT web ACL and
  certificate (us-east-1), the origin secret (:mod:`tonebridge.constructs.origin_secret`), and the
  public names aliased to the distribution (A and AAAA).
* With ``dns.dr`` (and a DR stack): the DR hostname always points at the GCP standby's address.

AWS only (the DR address arrives as a cross-stack output), so the emulator deploys it. It depends on
every regional infrastructure and platform stack (and the DR stack when there is one): it is the last
to deploy and the first to destroy.
"""

from __future__ import annotations

from cdktf import Fn, TerraformIterator, TerraformOutput, TerraformResource, TerraformStack, Token
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

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.edge_cdn import CachedPath, CdnDistribution, CdnDistributionProps, SecurityHeaders
from tonebridge.constructs.edge_listener import EdgeListener, EdgeListenerProps
from tonebridge.constructs.edge_protection import EdgeProtection, EdgeProtectionProps
from tonebridge.constructs.istio import GATEWAY_HEALTH_PATH
from tonebridge.constructs.origin_secret import SLOTS, OriginSecret, OriginSecretProps
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.infrastructure import InfrastructureStack

#: CloudFront's certificate, web ACL and log bucket key must be in us-east-1.
CLOUDFRONT_REGION = "us-east-1"


class GlobalDnsStack(TonebridgeStack):
    """``regional``: the infrastructure stacks by region; ``after``: stacks that must be deployed
    first (the platform stacks, the DR stack); ``dr_address``: the GCP standby's address (a token)."""

    def __init__(
        self,
        scope: Construct,
        env: EnvironmentConfig,
        regional: dict[str, InfrastructureStack],
        *,
        after: list[TerraformStack],
        dr_address: str | None = None,
    ) -> None:
        super().__init__(scope, env, "global", env.aws.primary_region)
        dns = env.dns
        if dns is None:
            raise ValueError(f"{self.name}: needs a dns section")
        self.zone = Route53Zone(self, "zone", name=dns.zone, comment=f"{env.name}: public zone (cdktf)")
        edges = {region: stack for region, stack in regional.items() if stack.edge and stack.edge_lb}
        cdn = dns.cdn if dns.cdn and dns.cdn.enabled else None
        primary_edge = env.platform[env.aws.primary_region].edge
        self.cdn_protection: EdgeProtection | None = None
        self.origin_secret: OriginSecret | None = None
        if cdn:
            self.cdn_protection = self._cdn_protection(env)
            self.origin_secret = OriginSecret(
                self,
                "origin-secret",
                OriginSecretProps(
                    name=f"{env.tags['Project']}-{env.name}-cdn",
                    active=cdn.origin_secret.active,
                    length=cdn.origin_secret.length,
                    recovery_window_days=cdn.origin_secret.recovery_window_days,
                ),
            )
        # CloudFront's certificate names the primary's edge names, which the primary's regional certificate
        # also names: ACM asks for the same record per name in one account, so the regional records
        # validate it too. (Its own options could not join the for_each: a certificate of this stack has
        # record names that are unknown until apply.)
        self.validation_records = self._validation_records(edges, dns.validation_ttl)
        self.health_checks: dict[str, Route53HealthCheck] = {}
        self.regional_records: dict[str, Route53Record] = {}
        for region, stack in edges.items():
            self._region(env, region, stack)
        #: The routed name: CloudFront's origin with the CDN, else the public edge hostname itself.
        self.routed_name = dns.routing.origin_hostname if cdn else primary_edge.hostname
        self.failover_records: dict[str, Route53Record] = {}
        if edges and self.routed_name:
            self._routing(env, edges, dr_address)
        self.distribution: CdnDistribution | None = None
        self.cdn_records: list[Route53Record] = []
        if cdn and self.cdn_protection and self.origin_secret:
            self._cdn(env)
        self.dr_record: Route53Record | None = None
        if dns.dr and dr_address:
            self.dr_record = Route53Record(
                self,
                "dr",
                zone_id=self.zone.zone_id,
                name=dns.dr.hostname,
                type="A",
                ttl=dns.dr.ttl,
                records=[dr_address],
            )
        for stack in [*regional.values(), *after]:
            self.add_dependency(stack)
        TerraformOutput(self, "zone_id", value=self.zone.zone_id)
        TerraformOutput(self, "name_servers", value=self.zone.name_servers)
        if self.distribution:
            TerraformOutput(self, "cdn_domain_name", value=self.distribution.domain_name)
            TerraformOutput(self, "cdn_distribution_arn", value=self.distribution.arn)
            TerraformOutput(self, "cdn_web_acl_arn", value=self.cdn_protection.web_acl_arn)

    def _in_region(self, construct: Construct, region: str) -> None:
        """Every resource under ``construct`` is created through ``region``'s provider."""
        provider = self.provider_for(region)
        for child in construct.node.find_all():
            if isinstance(child, TerraformResource):
                child.provider = provider

    def _validation_records(self, edges: dict[str, InfrastructureStack], ttl: int) -> Route53Record | None:
        if not edges:
            return None
        options = [stack.edge.validation_options for stack in edges.values()]
        # toset: a name validated in two regions gives the same record twice; it is published once.
        each = TerraformIterator.from_complex_list(Token.as_any(Fn.toset(Fn.concat(options))), "resource_record_name")
        return Route53Record(
            self,
            "certificate-validation",
            for_each=each,
            zone_id=self.zone.zone_id,
            name=each.get_string("resource_record_name"),
            type=each.get_string("resource_record_type"),
            records=[each.get_string("resource_record_value")],
            ttl=ttl,
        )

    def _region(self, env: EnvironmentConfig, region: str, stack: InfrastructureStack) -> None:
        """The certificate wait, the HTTPS listener and the health check of one region's ALB."""
        dns, edge, lb = env.dns, env.platform[region].edge, stack.edge_lb
        provider = self.provider_for(region)
        validation = AcmCertificateValidation(
            self,
            f"certificate-{region}",
            provider=provider,
            certificate_arn=stack.edge.certificate_arn,
            depends_on=[self.validation_records],
        )
        secret = self.origin_secret
        EdgeListener(
            self,
            f"listener-{region}",
            EdgeListenerProps(
                load_balancer_arn=lb.arn,
                certificate_arn=validation.certificate_arn,
                gateway_target_group_arn=lb.gateway_target_group_arn,
                status_target_group_arn=lb.status_target_group_arn,
                # Behind CloudFront the Host header is the origin name (viewer Host is not forwarded).
                hostnames=[dns.routing.origin_hostname] if secret else [edge.hostname, *edge.alternative_names],
                paths=edge.paths,
                ssl_policy=edge.ssl_policy,
                provider=provider,
                origin_header=dns.cdn.origin_secret.header if secret else None,
                origin_header_values=[secret.values[slot] for slot in SLOTS] if secret else (),
            ),
        )
        self.health_checks[region] = Route53HealthCheck(
            self,
            f"health-{region}",
            type="HTTPS",
            fqdn=lb.dns_name,
            port=443,
            resource_path=GATEWAY_HEALTH_PATH,
            request_interval=dns.health_check.request_interval,
            failure_threshold=dns.health_check.failure_threshold,
            measure_latency=True,
            # Runbook: hold traffic on the secondary while the primary flaps (`make hold-primary`).
            invert_healthcheck=True if region == env.aws.primary_region and dns.health_check.hold_primary else None,
            tags={"Name": f"{env.name}-{region}-edge"},
        )

    def _routing(self, env: EnvironmentConfig, edges: dict[str, InfrastructureStack], dr_address: str | None) -> None:
        """``regions.<name>``: one latency (or geolocation) record per region, aliased to its ALB and tied to
        its health check; ``<name>``: a failover pair whose PRIMARY aliases that set (healthy while one region
        is) and whose SECONDARY, with ``dns.dr.failover``, is the GCP standby."""
        dns = env.dns
        routing = dns.routing
        inner = f"regions.{self.routed_name}"

        def regional(id_: str, region: str, identifier: str, **policy) -> Route53Record:
            lb = edges[region].edge_lb
            return Route53Record(
                self,
                id_,
                zone_id=self.zone.zone_id,
                name=inner,
                type="A",
                set_identifier=identifier,
                alias=Route53RecordAlias(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True),
                health_check_id=self.health_checks[region].id,
                **policy,
            )

        if routing.policy == "latency":
            for region in edges:
                self.regional_records[region] = regional(
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
                self.regional_records[where] = regional(
                    f"geo-{where}", rule.region, f"{where}-{rule.region}", geolocation_routing_policy=policy
                )
            default = routing.default_region or env.aws.primary_region
            self.regional_records["default"] = regional(
                "geo-default",
                default,
                f"default-{default}",
                geolocation_routing_policy=Route53RecordGeolocationRoutingPolicy(country="*"),
            )
        set_members = list(self.regional_records.values())
        self.failover_records["aws"] = Route53Record(
            self,
            "failover-aws",
            zone_id=self.zone.zone_id,
            name=self.routed_name,
            type="A",
            set_identifier="aws",
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="PRIMARY"),
            alias=Route53RecordAlias(name=inner, zone_id=self.zone.zone_id, evaluate_target_health=True),
            depends_on=set_members,
        )
        if dns.dr is not None and dns.dr.failover and dr_address is not None:
            self.failover_records["gcp"] = Route53Record(
                self,
                "failover-gcp",
                zone_id=self.zone.zone_id,
                name=self.routed_name,
                type="A",
                set_identifier="gcp",
                failover_routing_policy=Route53RecordFailoverRoutingPolicy(type="SECONDARY"),
                ttl=dns.dr.ttl,
                records=[dr_address],
            )

    def _cdn_protection(self, env: EnvironmentConfig) -> EdgeProtection:
        """The CLOUDFRONT web ACL and CloudFront's certificate (the primary's edge names), in us-east-1."""
        cdn, edge = env.dns.cdn, env.platform[env.aws.primary_region].edge
        protection = EdgeProtection(
            self,
            "cdn-edge",
            EdgeProtectionProps(
                name=f"{env.tags['Project']}-{env.name}-cdn",
                region=CLOUDFRONT_REGION,
                hostname=edge.hostname,
                alternative_names=edge.alternative_names,
                rate_limit=cdn.waf.rate_limit,
                blocked_countries=cdn.waf.blocked_countries,
                managed_rule_groups=cdn.waf.managed_rule_groups,
                log_retention_days=cdn.waf.log_retention_days,
                scope="CLOUDFRONT",
            ),
        )
        self._in_region(protection, CLOUDFRONT_REGION)
        return protection

    def _cdn(self, env: EnvironmentConfig) -> None:
        """The distribution, and the public names aliased to it (A and AAAA)."""
        cdn, edge = env.dns.cdn, env.platform[env.aws.primary_region].edge
        protection, secret = self.cdn_protection, self.origin_secret
        validation = AcmCertificateValidation(
            self,
            "certificate-cdn",
            provider=self.provider_for(CLOUDFRONT_REGION),
            certificate_arn=protection.certificate_arn,
            depends_on=[self.validation_records],
        )
        aliases = [edge.hostname, *edge.alternative_names]
        headers = cdn.security_headers
        self.distribution = CdnDistribution(
            self,
            "cdn",
            CdnDistributionProps(
                name=f"{env.tags['Project']}-{env.name}",
                aliases=aliases,
                certificate_arn=validation.certificate_arn,
                web_acl_arn=protection.web_acl_arn,
                origin_domain=env.dns.routing.origin_hostname,
                origin_header=cdn.origin_secret.header,
                origin_header_value=secret.active_value,
                log_bucket=cdn.logs.bucket,
                log_retention_days=cdn.logs.retention_days,
                include_cookies=cdn.logs.include_cookies,
                cached_paths=[CachedPath(**p.model_dump()) for p in cdn.cache_paths],
                blocked_countries=cdn.waf.blocked_countries,
                security_headers=(
                    SecurityHeaders(**headers.model_dump(exclude={"enabled"})) if headers.enabled else None
                ),
                price_class=cdn.price_class,
                minimum_protocol_version=cdn.minimum_protocol_version,
                http_version=cdn.http_version,
                ipv6=cdn.ipv6,
                origin_read_timeout=cdn.origin_read_timeout,
                shield_advanced=cdn.shield_advanced,
                force_destroy_logs=not env.state.protect,
            ),
        )
        self._in_region(self.distribution, CLOUDFRONT_REGION)
        for index, name in enumerate(aliases):
            for record_type in ("A", "AAAA") if cdn.ipv6 else ("A",):
                self.cdn_records.append(
                    Route53Record(
                        self,
                        f"cdn-{index}-{record_type.lower()}",
                        zone_id=self.zone.zone_id,
                        name=name,
                        type=record_type,
                        alias=Route53RecordAlias(
                            name=self.distribution.domain_name,
                            zone_id=self.distribution.hosted_zone_id,
                            evaluate_target_health=False,
                        ),
                    )
                )

"""``<env>-global``: the public zone and the traffic manager in front of the regions (spec §2.1, §9.1).

* A Route53 public hosted zone for ``dns.zone``.
* The ACM validation records of every regional edge certificate (the infrastructure stacks output
  them as ``edge_certificate_validation``); the same name in two regions yields the same record,
  which is published once. Then, per region, the wait for the certificate
  (``aws_acm_certificate_validation``) and the ALB's HTTPS listener, which needs an issued
  certificate (see :mod:`tonebridge.constructs.edge_listener`).
* Per region, a Route53 HTTPS health check of the ALB (through the listener to the Istio gateway's
  readiness), and a failover record for the edge hostname aliased to the ALB: PRIMARY for the
  primary region, SECONDARY for the secondary.
* With ``dns.dr`` (and a DR stack): the DR hostname always points at the GCP standby's static
  address, and ``dns.dr.failover: true`` makes the SECONDARY record point there instead of the
  secondary AWS region.

AWS only (the DR address arrives as a cross-stack output), so the emulator deploys it. It depends on
every regional infrastructure and platform stack (and the DR stack when there is one): it is the last
to deploy and the first to destroy.
"""

from __future__ import annotations

from cdktf import Fn, TerraformIterator, TerraformOutput, TerraformStack, Token
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordFailoverRoutingPolicy,
)
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.constructs.edge_listener import EdgeListener, EdgeListenerProps
from tonebridge.constructs.istio import GATEWAY_HEALTH_PATH
from tonebridge.stacks.base import TonebridgeStack
from tonebridge.stacks.infrastructure import InfrastructureStack


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
        self.validation_records = self._validation_records(edges, dns.validation_ttl)
        self.health_checks: dict[str, Route53HealthCheck] = {}
        self.failover_records: dict[str, Route53Record] = {}
        for region, stack in edges.items():
            role = "PRIMARY" if region == env.aws.primary_region else "SECONDARY"
            self._region(env, region, stack, role, dr_address)
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

    def _region(
        self, env: EnvironmentConfig, region: str, stack: InfrastructureStack, role: str, dr_address: str | None
    ) -> None:
        dns, edge, lb = env.dns, env.platform[region].edge, stack.edge_lb
        provider = self.provider_for(region)
        validation = AcmCertificateValidation(
            self,
            f"certificate-{region}",
            provider=provider,
            certificate_arn=stack.edge.certificate_arn,
            depends_on=[self.validation_records],
        )
        EdgeListener(
            self,
            f"listener-{region}",
            EdgeListenerProps(
                load_balancer_arn=lb.arn,
                certificate_arn=validation.certificate_arn,
                gateway_target_group_arn=lb.gateway_target_group_arn,
                status_target_group_arn=lb.status_target_group_arn,
                hostnames=[edge.hostname, *edge.alternative_names],
                paths=edge.paths,
                ssl_policy=edge.ssl_policy,
                provider=provider,
            ),
        )
        check = Route53HealthCheck(
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
            invert_healthcheck=True if role == "PRIMARY" and dns.health_check.hold_primary else None,
            tags={"Name": f"{env.name}-{region}-edge"},
        )
        self.health_checks[region] = check
        to_dr = role == "SECONDARY" and dns.dr is not None and dns.dr.failover and dr_address is not None
        target: dict = (
            {"ttl": dns.dr.ttl, "records": [dr_address]}
            if to_dr
            else {
                "alias": Route53RecordAlias(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True),
                "health_check_id": check.id,
            }
        )
        self.failover_records[region] = Route53Record(
            self,
            f"failover-{region}",
            zone_id=self.zone.zone_id,
            name=edge.hostname,
            type="A",
            set_identifier=role.lower(),
            failover_routing_policy=Route53RecordFailoverRoutingPolicy(type=role),
            **target,
        )

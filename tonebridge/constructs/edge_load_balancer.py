"""The region's public ALB (spec §2.2), owned by Terraform so that its DNS name is known to the global stack.

The AWS Load Balancer Controller no longer makes the ALB from an Ingress: Terraform creates the ALB,
its security group, the HTTP listener (a redirect to HTTPS), the web ACL association and two target
groups of type ``ip``; the platform stack binds the Istio gateway's pods to them with
TargetGroupBindings (the controller keeps registering pod IPs). The ALB's ``dns_name`` and
``zone_id`` are then ordinary outputs that the global stack aliases its failover records to.

The HTTPS listener is not here: ALB refuses a certificate that ACM has not issued yet, and ACM issues
it only once the global stack has published the validation records in the zone it owns. The global
stack waits for the certificate (``aws_acm_certificate_validation``) and adds the listener and its
path rules (see :mod:`tonebridge.stacks.global_dns`), so the first deploy runs straight through.

Target groups:

* ``gateway``: the gateway Service's HTTP port; health-checked on its readiness endpoint.
* ``status``: the gateway's readiness port itself, reachable as ``/healthz/ready`` through the HTTPS
  listener only, so that Route53's health checks probe the whole path (ALB, gateway pods) and not
  just the ALB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from cdktf_cdktf_provider_aws.data_aws_ec2_managed_prefix_list import DataAwsEc2ManagedPrefixList
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction, LbListenerDefaultActionRedirect
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.shield_protection import ShieldProtection
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from constructs import Construct

from tonebridge.constructs.aws_context import AwsContext
from tonebridge.constructs.istio import GATEWAY_HEALTH_PATH, GATEWAY_STATUS_PORT

#: ALB and target group names: at most 32 characters, letters, digits and '-', no leading or trailing '-'.
_LB_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
#: The tag the controller's IRSA policy requires on what it may register targets in.
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
#: AWS-managed prefix lists of CloudFront's origin-facing servers (weight 55 against the security
#: group's 60 rules) and of Route53's health checkers (weight 25, per region): two groups, one each.
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
ROUTE53_HEALTH_CHECKS_PREFIX_LIST = "com.amazonaws.{region}.route53-healthchecks"


class AlbOptions(Protocol):
    """The ALB's options, read from the region's edge settings (:class:`tonebridge.props.edge.EdgeSettings`).

    deletion_protection: the ALB cannot be deleted until this is turned off (production).
    access_logs_bucket: S3 bucket for access logs (ELB log delivery allowed), or None.
    shield_advanced: enrol the ALB in Shield Advanced (needs the account's paid subscription).
    """

    @property
    def deletion_protection(self) -> bool: ...
    @property
    def access_logs_bucket(self) -> str | None: ...
    @property
    def shield_advanced(self) -> bool: ...


@dataclass(frozen=True)
class EdgeLoadBalancerProps:
    """Props of :class:`EdgeLoadBalancer` (the wiring; its options are the settings, :class:`AlbOptions`).

    name: the ALB's name (at most 32 characters); target group names derive from it (`-gw`, `-st` are
        appended only when they still fit, otherwise AWS generates them).
    vpc_id, subnet_ids: the VPC and its public subnets (one per zone, at least two).
    target_cidrs: where the gateway's pods live (the VPC and the pod range): the only egress allowed.
    target_security_group_id: the security group of the pods' ENIs (the nodes' group, through the
        ENIConfigs): it admits the ALB on the gateway's ports. Terraform owns these rules, so the
        TargetGroupBindings leave ``networking`` out and the controller changes no security group.
    cluster_name: the cluster whose Load Balancer Controller registers the pods (tags the target groups).
    web_acl_arn: the region's WAFv2 web ACL (EdgeProtection).
    service_port: the gateway Service's HTTP port (default 80).
    idle_timeout: seconds an idle connection stays open (default 60).
    origin_protection: CloudFront is the only way in (default False: open to the internet). HTTPS is
        admitted from CloudFront's origin-facing prefix list and Route53's health checkers only, no HTTP;
        the listener's rules also require CloudFront's secret origin header (global stack).
    """

    name: str
    vpc_id: str
    subnet_ids: list[str]
    target_cidrs: list[str]
    target_security_group_id: str
    cluster_name: str
    web_acl_arn: str
    service_port: int = 80
    idle_timeout: int = 60
    origin_protection: bool = False

    def __post_init__(self) -> None:
        if not _LB_NAME_RE.match(self.name) or self.name.lower().startswith("internal-"):
            raise ValueError(f"name {self.name!r}: an ALB name is 1-32 letters, digits or '-', no '-' at either end")
        if not self.target_cidrs:
            raise ValueError("target_cidrs: the gateway's pod range is required (the ALB's only egress)")
        if not self.web_acl_arn:
            raise ValueError("web_acl_arn is required: no public entry without WAF")
        if not 1 <= self.service_port <= 65535:
            raise ValueError("service_port must be a TCP port")
        if not 1 <= self.idle_timeout <= 4000:
            raise ValueError("idle_timeout must be 1-4000 seconds")


def _child_name(name: str, suffix: str) -> str | None:
    return f"{name}-{suffix}" if len(name) + len(suffix) + 1 <= 32 else None


class EdgeLoadBalancer(Construct):
    """Internet-facing ALB, invalid headers dropped, WAF attached, HTTP redirected to HTTPS.

    Attributes: ``lb`` (the aws_lb), ``arn``, ``dns_name``, ``zone_id``, ``security_group_id``,
    ``gateway_target_group_arn``, ``status_target_group_arn``.
    """

    def __init__(self, scope: Construct, id_: str, options: AlbOptions, props: EdgeLoadBalancerProps) -> None:
        super().__init__(scope, id_)
        self.security_group = self._security_group(
            props, "security-group", "alb", "public ALB (HTTPS, HTTP redirect), egress to the gateway pods only"
        )
        sg = self.security_group.id
        security_groups = [sg]
        if props.origin_protection:
            security_groups.append(self._origin_protection(props, sg))
        else:
            for port, what in ((443, "HTTPS"), (80, "HTTP, redirected to HTTPS")):
                VpcSecurityGroupIngressRule(
                    self,
                    f"ingress-{port}",
                    security_group_id=sg,
                    description=f"{what} from the internet",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4="0.0.0.0/0",
                )
        for index, cidr in enumerate(props.target_cidrs):
            for port in sorted({props.service_port, GATEWAY_STATUS_PORT}):
                VpcSecurityGroupEgressRule(
                    self,
                    f"egress-{index}-{port}",
                    security_group_id=sg,
                    description="to the Istio gateway pods (traffic and readiness)",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                )
        for port in sorted({props.service_port, GATEWAY_STATUS_PORT}):
            VpcSecurityGroupIngressRule(
                self,
                f"targets-{port}",
                security_group_id=props.target_security_group_id,
                description="from the public ALB to the Istio gateway pods",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=sg,
            )
        self.lb = Lb(
            self,
            "alb",
            name=props.name,
            internal=False,
            load_balancer_type="application",
            security_groups=security_groups,
            subnets=props.subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=options.deletion_protection,
            desync_mitigation_mode="defensive",
            idle_timeout=props.idle_timeout,
            access_logs=(
                LbAccessLogs(bucket=options.access_logs_bucket, prefix=f"alb/{props.name}", enabled=True)
                if options.access_logs_bucket
                else None
            ),
        )
        Wafv2WebAclAssociation(self, "web-acl", resource_arn=self.lb.arn, web_acl_arn=props.web_acl_arn)
        if options.shield_advanced:
            ShieldProtection(self, "shield", name=props.name, resource_arn=self.lb.arn)
        self.gateway_target_group = self._target_group(props, "gateway", "gw", props.service_port)
        self.status_target_group = self._target_group(props, "status", "st", GATEWAY_STATUS_PORT)
        LbListener(
            self,
            "http",
            load_balancer_arn=self.lb.arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
                )
            ],
        )
        self.arn: str = self.lb.arn
        self.dns_name: str = self.lb.dns_name
        self.zone_id: str = self.lb.zone_id
        self.security_group_id: str = sg
        self.gateway_target_group_arn: str = self.gateway_target_group.arn
        self.status_target_group_arn: str = self.status_target_group.arn

    def _origin_protection(self, props: EdgeLoadBalancerProps, sg: str) -> str:
        """HTTPS from Route53's health checkers into ``sg``; a second group admits CloudFront (the two
        prefix lists' weights do not fit one group's 60 rules). Returns the second group's id."""
        checkers = DataAwsEc2ManagedPrefixList(
            self,
            "route53-health-checkers",
            name=ROUTE53_HEALTH_CHECKS_PREFIX_LIST.format(region=AwsContext.of(self).region),
        )
        VpcSecurityGroupIngressRule(
            self,
            "ingress-health-checkers",
            security_group_id=sg,
            description="HTTPS from Route53 health checkers (/healthz/ready)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=checkers.id,
        )
        cloudfront = DataAwsEc2ManagedPrefixList(self, "cloudfront", name=CLOUDFRONT_PREFIX_LIST)
        origin = self._security_group(
            props, "origin-security-group", "cloudfront", "HTTPS from CloudFront's origin-facing servers only"
        )
        VpcSecurityGroupIngressRule(
            self,
            "ingress-cloudfront",
            security_group_id=origin.id,
            description="HTTPS from CloudFront (origin-facing prefix list)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=cloudfront.id,
        )
        return origin.id

    def _security_group(self, props: EdgeLoadBalancerProps, id_: str, suffix: str, purpose: str) -> SecurityGroup:
        """A security group named and tagged ``<name>-<suffix>``, described ``<name>: <purpose>``."""
        name = f"{props.name}-{suffix}"
        return SecurityGroup(
            self, id_, name=name, description=f"{props.name}: {purpose}", vpc_id=props.vpc_id, tags={"Name": name}
        )

    def _target_group(self, props: EdgeLoadBalancerProps, id_: str, suffix: str, port: int) -> LbTargetGroup:
        """Targets are pod IPs (registered by the controller's TargetGroupBinding); both groups judge a
        pod by the gateway's readiness endpoint, so a draining gateway leaves both at once."""
        return LbTargetGroup(
            self,
            id_,
            name=_child_name(props.name, suffix),
            target_type="ip",
            port=port,
            protocol="HTTP",
            vpc_id=props.vpc_id,
            deregistration_delay="30",
            tags={CLUSTER_TAG: props.cluster_name},
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                protocol="HTTP",
                port=str(GATEWAY_STATUS_PORT),
                path=GATEWAY_HEALTH_PATH,
                matcher="200",
                interval=10,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=2,
            ),
        )

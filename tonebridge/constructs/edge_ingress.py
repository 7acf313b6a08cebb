"""The region's public L7 load balancer (spec §2.2) as an Ingress of class ``alb``.

The AWS Load Balancer Controller makes an internet-facing ALB from it: TLS terminated with the ACM
certificate (TLS 1.2/1.3 only), HTTP redirected to HTTPS, the WAFv2 web ACL attached, path rules
forwarding straight to the Istio gateway's pods (target type ip), health-checked on the gateway's
readiness endpoint. The certificate and web ACL come from the infrastructure stack by ARN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.constructs.kube import kube_object

_PREFIX = "alb.ingress.kubernetes.io/"
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$")
_SSL_POLICY_RE = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-)")


@dataclass(frozen=True)
class EdgeIngressProps:
    """Props of :class:`EdgeIngress`.

    name, namespace: the Ingress (in the gateway's namespace; an Ingress can only name Services there).
    hostname: the public name the rules match (the certificate's).
    certificate_arn, web_acl_arn: from the infrastructure stack (tokens).
    service, service_port: the Istio gateway's Service and its HTTP port.
    health_port, health_path: the gateway's readiness endpoint.
    paths: path prefixes routed to the gateway (at least one).
    ssl_policy: an ELB policy allowing TLS 1.2 and 1.3 only (default ELBSecurityPolicy-TLS13-1-2-2021-06).
    deletion_protection: the ALB cannot be deleted until this is turned off (production).
    access_logs_bucket: S3 bucket for ALB access logs, or None (then no access logs).
    shield_advanced: ask the controller to enrol the ALB in Shield Advanced (needs a subscription).
    tags: tags the controller puts on the ALB, its target groups and security groups.
    """

    hostname: str
    certificate_arn: str
    web_acl_arn: str
    service: str
    paths: Sequence[str]
    name: str = "edge"
    namespace: str = "istio-system"
    service_port: int = 80
    health_port: int = 15021
    health_path: str = "/healthz/ready"
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    deletion_protection: bool = True
    access_logs_bucket: str | None = None
    shield_advanced: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("paths: at least one path prefix is required")
        for path in self.paths:
            if not _PATH_RE.match(path):
                raise ValueError(f"paths: {path!r} must be an absolute prefix such as /api (no trailing '/')")
        if len(set(self.paths)) != len(self.paths):
            raise ValueError("paths must be distinct")
        if not _SSL_POLICY_RE.match(self.ssl_policy):
            raise ValueError(f"ssl_policy {self.ssl_policy!r} must allow only TLS 1.2+ (an ELBSecurityPolicy-TLS13-*)")
        for port_name in ("service_port", "health_port"):
            if not 1 <= getattr(self, port_name) <= 65535:
                raise ValueError(f"{port_name} must be a TCP port")
        if not self.health_path.startswith("/"):
            raise ValueError("health_path must start with '/'")
        if not self.certificate_arn or not self.web_acl_arn:
            raise ValueError("certificate_arn and web_acl_arn are required: no public entry without TLS and WAF")


def load_balancer_attributes(props: EdgeIngressProps) -> str:
    """The ALB's attributes, in the controller's ``key=value,...`` form."""
    attributes = {
        "deletion_protection.enabled": str(props.deletion_protection).lower(),
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }
    if props.access_logs_bucket:
        attributes |= {
            "access_logs.s3.enabled": "true",
            "access_logs.s3.bucket": props.access_logs_bucket,
            "access_logs.s3.prefix": f"alb/{props.name}",
        }
    return ",".join(f"{k}={v}" for k, v in attributes.items())


def ingress_manifest(props: EdgeIngressProps) -> dict[str, Any]:
    annotations = {
        "scheme": "internet-facing",
        "target-type": "ip",
        "listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}], separators=(",", ":")),
        "ssl-redirect": "443",
        "certificate-arn": props.certificate_arn,
        "ssl-policy": props.ssl_policy,
        "backend-protocol": "HTTP",
        "healthcheck-protocol": "HTTP",
        "healthcheck-port": str(props.health_port),
        "healthcheck-path": props.health_path,
        "success-codes": "200",
        "wafv2-acl-arn": props.web_acl_arn,
        "load-balancer-attributes": load_balancer_attributes(props),
    }
    if props.shield_advanced:
        annotations["shield-advanced-protection"] = "true"
    if props.tags:
        annotations["tags"] = ",".join(f"{k}={v}" for k, v in props.tags.items())
    backend = {"service": {"name": props.service, "port": {"number": props.service_port}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": props.name,
            "namespace": props.namespace,
            "annotations": {_PREFIX + key: value for key, value in annotations.items()},
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {
                    "host": props.hostname,
                    "http": {
                        "paths": [{"path": path, "pathType": "Prefix", "backend": backend} for path in props.paths]
                    },
                }
            ],
        },
    }


class EdgeIngress(Construct):
    """Attributes: ``manifest`` (the kubernetes_manifest), ``object`` (the Ingress as written)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        props: EdgeIngressProps,
        *,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        self.object = ingress_manifest(props)
        self.manifest: Manifest = kube_object(self, self.object, depends_on=depends_on, construct_id="ingress")

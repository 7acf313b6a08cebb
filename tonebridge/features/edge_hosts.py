"""The Host headers a region's edge forwards to the Istio gateway (spec §2.2), in one place.

The ALB's path rules (global stack, :mod:`tonebridge.constructs.edge_listener`) forward requests for these
hosts only, and the gateway's ``Gateway`` (platform stack, :mod:`tonebridge.constructs.edge_binding`) must
serve exactly them: behind CloudFront the Host is the origin name (CloudFront does not forward the viewer's),
without it the edge hostname and its alternative names.
"""

from __future__ import annotations

from tonebridge.props.edge import EdgeSettings
from tonebridge.props.global_dns import GlobalDnsSettings


def cdn_enabled(dns: GlobalDnsSettings | None) -> bool:
    """Whether CloudFront is in front of the regions."""
    return bool(dns and dns.cdn and dns.cdn.enabled)


def forwarded_hosts(edge: EdgeSettings, dns: GlobalDnsSettings | None) -> list[str]:
    """The hosts the region's ALB forwards to the gateway."""
    if cdn_enabled(dns) and dns is not None and dns.routing.origin_hostname:
        return [dns.routing.origin_hostname]
    return [name for name in (edge.hostname, *edge.alternative_names) if name]

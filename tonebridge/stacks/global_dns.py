"""``<env>-global``: the public zone, the traffic manager and the CDN in front of the regions (spec §2.1, §2.2, §9.1).

What it holds is the global edge (:func:`tonebridge.features.global_edge.add_global_edge`): the zone, the
certificate validation records, each region's HTTPS listener and health check, the latency (or
geolocation) records and the failover pair of the routed name, CloudFront with its web ACL and origin
secret (``dns.cdn``), and the GCP standby's record (``dns.dr``).

AWS only (the DR address arrives as a cross-stack output), so the emulator deploys it. It depends on
every regional infrastructure and platform stack (and the DR stack when there is one): it is the last
to deploy and the first to destroy.
"""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from tonebridge.config.models import EnvironmentConfig
from tonebridge.features.global_edge import RegionalEdge, Site, add_global_edge
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
        primary = env.aws.primary_region
        super().__init__(scope, env, "global", primary)
        if env.dns is None:
            raise ValueError(f"{self.name}: needs a dns section")
        edges = {
            region: RegionalEdge(env.platform[region].edge, stack.edge, stack.edge_lb)
            for region, stack in regional.items()
            if stack.edge and stack.edge_lb
        }
        site = Site(
            f"{env.tags['Project']}-{env.name}",
            env.name,
            primary,
            env.platform[primary].edge,
            env.state.protect,
            emulated=env.aws.emulator is not None,
        )
        #: The zone, routing records, health checks, CDN and DR record (a GlobalEdge).
        self.edge = add_global_edge(self, env.dns, edges, site, provider_for=self.provider_for, dr_address=dr_address)
        for stack in [*regional.values(), *after]:
            self.add_dependency(stack)

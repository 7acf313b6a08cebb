"""Build the cdktf App for a list of validated environments."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import App

from tonebridge import references
from tonebridge.config.models import EnvironmentConfig
from tonebridge.stacks.infrastructure import InfrastructureStack
from tonebridge.stacks.platform import PlatformStack
from tonebridge.stacks.state import StateStack

references.install()  # before the first construct: a resource's attributes are read from the kernel once


def add_environment(app: App, env: EnvironmentConfig) -> list:
    """All stacks of one environment: the state bootstrap first, then per AWS region its
    infrastructure and, on top of that region's cluster, its platform."""
    state = StateStack(app, env)
    stacks = [state]
    regional: dict[str, InfrastructureStack] = {}
    platforms: list = []
    for region in env.aws_regions:
        infra = InfrastructureStack(app, env, region)
        infra.add_dependency(state)  # the backend must exist before the first init
        regional[region] = infra
        platforms.append(PlatformStack(app, env, region, infra))
        stacks += [infra, platforms[-1]]
    dr = None
    if env.dr:  # google bindings only where a DR site is configured (tests/test_lazy_providers.py)
        from tonebridge.stacks.dr import DrStack

        dr = DrStack(app, env, regional[env.aws.primary_region])
        stacks.append(dr)
    if env.dns:
        from tonebridge.stacks.global_dns import GlobalDnsStack

        after = [*platforms, *([dr] if dr else [])]
        address = dr.site.edge_address.address if dr else None
        stacks.append(GlobalDnsStack(app, env, regional, after=after, dr_address=address))
    return stacks


def build_app(envs: Sequence[EnvironmentConfig], outdir: str | None = None) -> App:
    app = App(outdir=outdir) if outdir else App()
    for env in envs:
        add_environment(app, env)
    return app

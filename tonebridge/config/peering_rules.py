"""Cross-field rules of ``network.<region>.peering``: who may peer with whom.

The secondary region's stack requests the peering and accepts it in the primary region (it already reads
the primary's outputs, so the primary is deployed first); a region never peers with itself or with a region
the environment does not have. The ranges of the regions are disjoint already (semantics.py), which is what
peering needs of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from tonebridge.config.errors import Problem
from tonebridge.config.models import EnvironmentConfig


def peering_problems(cfg: EnvironmentConfig) -> Iterator[Problem]:
    for region, net in cfg.network.items():
        if net.peering is None:
            continue
        path = ("network", region, "peering", "region")
        peer = net.peering.region
        if peer == region:
            yield Problem(path, f"{region} cannot peer with itself")
        elif peer not in cfg.network:
            yield Problem(path, f"{peer} is not an AWS region of this environment (have: {', '.join(cfg.network)})")
        elif region == cfg.aws.primary_region or peer != cfg.aws.primary_region:
            yield Problem(
                path,
                f"only the secondary region peers, with the primary ({cfg.aws.primary_region}): its stack is "
                "deployed after the primary's and accepts the peering there",
            )

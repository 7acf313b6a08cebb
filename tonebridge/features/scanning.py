"""Spec §5.2's image scanning as a feature: trivy-operator, where ``platform.<region>.scanning`` enables it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from tonebridge.constructs.trivy import TrivyOperator
from tonebridge.props.scanning import ScanningSettings

if TYPE_CHECKING:
    from tonebridge.features.depends import Placement


def add_scanning(
    scope: Construct,
    settings: ScanningSettings,
    *,
    kubernetes_version: str,
    controllers: Placement,
) -> TrivyOperator | None:
    """trivy-operator (construct id ``trivy``) beside the other controllers; None where scanning is off."""
    if not settings.enabled:
        return None
    node_selector, tolerations = controllers
    return TrivyOperator(
        scope,
        "trivy",
        settings,
        kubernetes_version=kubernetes_version,
        node_selector=node_selector,
        tolerations=tolerations,
    )

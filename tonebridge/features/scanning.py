"""Spec §5.2's image scanning as a feature: trivy-operator, where ``platform.<region>.scanning`` enables it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from tonebridge.constructs.trivy import TrivyOperator
from tonebridge.props.scanning import ScanningSettings


def add_scanning(
    scope: Construct,
    settings: ScanningSettings,
    *,
    kubernetes_version: str,
    node_selector: Mapping[str, str],
    tolerations: Sequence[Mapping[str, str]],
) -> TrivyOperator | None:
    """trivy-operator (construct id ``trivy``) beside the other controllers; None where scanning is off."""
    if not settings.enabled:
        return None
    return TrivyOperator(
        scope,
        "trivy",
        settings,
        kubernetes_version=kubernetes_version,
        node_selector=node_selector,
        tolerations=tolerations,
    )

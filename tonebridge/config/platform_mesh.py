"""Typed models of the mesh, edge and GitOps parts of ``platform.<region>``.

``istio`` (spec §3.3), ``edge`` (the L7 load balancer and web ACL of spec §2.2) and ``argocd``
(spec §6.1). Defaults are the spec's values where it gives them. ``istio`` and ``argocd`` are the
Istio and Argo CD constructs' own settings models (:mod:`tonebridge.props.istio`, :mod:`tonebridge.props.argocd`).
"""

from __future__ import annotations

from tonebridge.props.argocd import (
    ArgoApplicationSettings,
    ArgoCdSettings,
    ArgoSignatureKeySettings,
    ArgoSsoSettings,
)
from tonebridge.props.edge import EdgeSettings
from tonebridge.props.istio import IstioSettings

# --- istio (spec §3.3): the settings of tonebridge.constructs.istio, in tonebridge.props.istio ---

IstioConfig = IstioSettings


# --- edge (spec §2.2) -------------------------------------------------------------------------

#: The edge's settings are the edge feature's own model (:mod:`tonebridge.props.edge`); the field types
#: (hostnames, country codes, path prefixes) live in :mod:`tonebridge.props.edge_types`.
EdgeConfig = EdgeSettings


# --- argo cd (spec §6.1): the settings of tonebridge.constructs.argocd, in tonebridge.props.argocd ---

ArgoApplicationConfig = ArgoApplicationSettings
ArgoSsoConfig = ArgoSsoSettings
ArgoSignatureKeyConfig = ArgoSignatureKeySettings
ArgoCdConfig = ArgoCdSettings

"""Typed models of the compute sections: one EKS cluster per AWS region, and the container registries
(:mod:`tonebridge.props.registries`).

A cluster's model is TonebridgeCluster's own settings (:mod:`tonebridge.props.cluster`), so the YAML
and the construct can never disagree about what is valid.
"""

from __future__ import annotations

from tonebridge.props.cluster import (
    ClusterSettings,
    InstanceType,
    KarpenterSettings,
    NodeGroupSettings,
    TaintSettings,
)
from tonebridge.props.registries import RegistriesSettings

__all__ = ["ClusterConfig", "InstanceType", "KarpenterConfig", "NodeGroupConfig", "RegistriesConfig", "TaintConfig"]


#: The cluster models are the construct's settings (tonebridge/props/cluster.py), under the names
#: the configuration modules use.
ClusterConfig = ClusterSettings
NodeGroupConfig = NodeGroupSettings
TaintConfig = TaintSettings
KarpenterConfig = KarpenterSettings

#: The registries section is the constructs' own settings (tonebridge/props/registries.py).
RegistriesConfig = RegistriesSettings

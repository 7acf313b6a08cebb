"""Every cluster-fit rule over one cluster, in one place."""

from __future__ import annotations

from tools.fit import (
    admission,
    apirules,
    gateways,
    login_flows,
    network,
    quotas,
    scheduling,
    schemas,
    volumes,
    webhooks,
)
from tools.fit.model import ClusterView, Problem
from tools.fit.view import Cluster


def application_namespaces(view: ClusterView) -> list[str]:
    """Namespaces isolated by a default deny (a policy selecting every pod, for ingress and egress): between
    them, a flow nobody declared must be denied."""
    isolated = []
    for policy in view.of_kind("NetworkPolicy", "networking.k8s.io"):
        spec = policy.get("spec", {})
        denies_all = not spec.get("ingress") and not spec.get("egress")
        every_pod = spec.get("podSelector") in ({}, None)
        if every_pod and denies_all and {"Ingress", "Egress"} <= set(spec.get("policyTypes", [])):
            isolated.append(policy["metadata"]["namespace"])
    return sorted(set(isolated))


def fit_problems(cluster: Cluster) -> list[Problem]:
    """What the cluster would refuse, could not schedule, or cut off; sorted, without repeats."""
    view = cluster.view
    problems = [
        *view.problems,
        *schemas.check(view),
        *apirules.check(view),
        *admission.check(view),
        *quotas.check(view),
        *scheduling.check(view),
        *volumes.check(view),
        *webhooks.check(view),
        *gateways.check(view),
        *network.check(view, cluster.flows, application_namespaces(view)),
        *login_flows.check(view, cluster.flows),
    ]
    return sorted(set(problems))

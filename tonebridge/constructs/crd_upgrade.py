"""CRDs of a chart that keeps them in ``crds/``, applied before every install and upgrade of its release.

Helm installs a chart's ``crds/`` folder on the first install and never again, so an operator upgraded by
Helm would run against its previous CRDs. For the charts that ship neither CRD templates nor an upgrade hook
(``crds: apply`` in tonebridge/versions.yaml), a ``terraform_data`` resource keyed on the chart's repository,
name and version runs ``helm show crds … | kubectl apply --server-side`` before the release: once per version,
again on every version change, ordered before the operator that needs the new schema. Server-side apply with
``--force-conflicts`` takes over fields Helm wrote at the first install, so the two never fight.

The step runs where Terraform runs (the operator pipeline), with the same ``aws`` CLI the kubernetes and helm
providers authenticate with, plus ``helm`` and ``kubectl``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cdktf import DataResource, LocalExecProvisioner
from constructs import Construct

from tonebridge.constructs.aws_context import stack_of


@dataclass(frozen=True)
class CrdTarget:
    """The cluster the platform stack installs into."""

    cluster_name: str
    region: str


def crd_target(scope: Construct) -> CrdTarget:
    """The cluster of the stack ``scope`` is in (``PlatformStack.crd_target``)."""
    target = getattr(stack_of(scope), "crd_target", None)
    if not isinstance(target, CrdTarget):
        raise ValueError(
            f"{scope.node.path}: a chart whose CRDs Helm never upgrades needs its stack's crd_target (the cluster)"
        )
    return target


def apply_command(target: CrdTarget, repository: str, chart: str, version: str) -> str:
    """The shell command that applies the chart's ``crds/`` (its subcharts' included) to the cluster."""
    source = (
        f"{repository}/{chart}"
        if repository.startswith("oci://")
        else f"{shlex.quote(chart)} --repo {shlex.quote(repository)}"
    )
    return "\n".join(
        [
            "set -euo pipefail",
            'kubeconfig="$(mktemp)"',
            "trap 'rm -f \"$kubeconfig\"' EXIT",
            f"aws eks update-kubeconfig --name {shlex.quote(target.cluster_name)} --region {shlex.quote(target.region)}"
            ' --kubeconfig "$kubeconfig" >/dev/null',
            f"helm show crds {source} --version {shlex.quote(version)}"
            ' | kubectl --kubeconfig "$kubeconfig" apply --server-side --force-conflicts'
            " --field-manager=tonebridge-crds -f -",
        ]
    )


class CrdUpgrade(Construct):
    """Applies a chart's ``crds/`` before its release; re-runs whenever the chart's version changes.

    Attribute: ``resource`` (the terraform_data, for the release's ``depends_on``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, repository: str, chart: str, version: str) -> None:
        super().__init__(scope, construct_id)
        target = crd_target(self)
        self.resource = DataResource(
            self,
            "apply",
            triggers_replace={"repository": repository, "chart": chart, "version": version},
            provisioners=[
                LocalExecProvisioner(
                    type="local-exec",
                    command=apply_command(target, repository, chart, version),
                    interpreter=["/bin/bash", "-c"],
                )
            ],
        )

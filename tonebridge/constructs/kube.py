"""Building blocks of the platform stacks: Kubernetes objects, pinned Helm releases, custom resources.

Three ways an object reaches a cluster, each for a reason:

* :func:`kube_object` — a core Kubernetes object as a ``kubernetes_manifest``: planned field by
  field, and what the stack writes is exactly the object (tests validate it against the schema).
* :class:`ChartRelease` — a third-party component from its Helm chart, pinned in
  :mod:`tonebridge.charts`, with values built from typed configuration and passed as JSON.
* :class:`CustomResources` — objects whose CRD an operator's chart installs in the same stack.
  ``kubernetes_manifest`` needs the CRD at plan time and so cannot create them in the first apply;
  a release of the repository's own chart (charts/tonebridge-resources) installs them after their
  operator instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import AssetType, ITerraformDependable, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from tonebridge.charts import RESOURCES, HelmChart
from tonebridge.constructs.crd_upgrade import CrdUpgrade
from tonebridge.kubeapi import is_core, object_problem
from tonebridge.tokens import is_unresolved

#: What a construct's ``depends_on`` takes: resources (or constructs' resources) to create first.
Dependencies = Sequence[ITerraformDependable]


def _checked(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    problem = object_problem(obj)
    if problem:
        raise ValueError(problem)
    return obj


def object_id(obj: Mapping[str, Any]) -> str:
    """A construct id that names the object: ``<kind>-<namespace>-<name>``."""
    meta = obj["metadata"]
    parts = [obj["kind"].lower(), meta.get("namespace", ""), meta["name"]]
    return "-".join(p for p in parts if p)


def kube_object(
    scope: Construct,
    obj: Mapping[str, Any],
    *,
    depends_on: Dependencies = (),
    construct_id: str | None = None,
) -> Manifest:
    """A core Kubernetes object (namespace, quota, policy, ...) as a ``kubernetes_manifest``."""
    _checked(obj)
    if not is_core(obj):
        raise ValueError(f"{obj['kind']} ({obj['apiVersion']}) is a custom resource: use CustomResources")
    return Manifest(
        scope,
        construct_id or object_id(obj),
        manifest=dict(obj),
        depends_on=list(depends_on) or None,
    )


def _terraform_literal(value: Any) -> Any:
    """Escape Terraform template syntax in literal strings (tokens stay references)."""
    if isinstance(value, str):
        if is_unresolved(value):  # in Python: one jsii call per string was most of the stack's calls
            return value
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, Mapping):
        return {k: _terraform_literal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_terraform_literal(v) for v in value]
    return value


def values_document(values: Mapping[str, Any]) -> str:
    """Chart values as one JSON document (JSON is YAML), keys sorted so that plans stay stable."""
    return json.dumps(_terraform_literal(values), sort_keys=True, indent=None)


@dataclass(frozen=True)
class ChartReleaseProps:
    """A pinned chart installed into a namespace that already exists.

    :param release_name: Helm release name (≤ 53 characters).
    :param namespace: target namespace; created elsewhere (with its pod security labels), never by Helm.
    :param values: chart values from typed configuration; token strings (ARNs from other stacks) allowed.
    :param timeout_seconds: how long Helm waits for the release's workloads to become ready.
    :param skip_crds: leave out the chart's ``crds/`` folder, because a CRD release of its own (installed
        before, and upgraded with every version) owns those CRDs (Helm installs ``crds/`` once, never upgrades it).
    """

    release_name: str
    chart: HelmChart
    namespace: str
    values: Mapping[str, Any] = field(default_factory=dict)
    timeout_seconds: int = 600
    wait: bool = True
    skip_crds: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.release_name) <= 53:
            raise ValueError(f"release name {self.release_name!r} must be 1-53 characters")
        if not self.namespace:
            raise ValueError(f"release {self.release_name}: a namespace is required")
        if self.timeout_seconds < 30:
            raise ValueError(f"release {self.release_name}: timeout_seconds must be at least 30")


#: What every release here shares: atomic (a failed upgrade rolls back), cleaned up on failure, ten revisions
#: kept, namespace never created by Helm (each namespace is created with its pod security labels).
RELEASE_DEFAULTS = {"create_namespace": False, "atomic": True, "cleanup_on_fail": True, "max_history": 10}


def helm_release(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    namespace: str,
    chart: str,
    version: str,
    repository: str | None,
    values: Mapping[str, Any],
    timeout_seconds: int = 600,
    wait: bool = True,
    skip_crds: bool = False,
    depends_on: Dependencies = (),
) -> Release:
    """A helm_release with the settings every release here shares (:data:`RELEASE_DEFAULTS`)."""
    release = {"name": name, "namespace": namespace, "values": [values_document(values)]}
    source = {"chart": chart, "version": version, "repository": repository}
    options = {"wait": wait, "timeout": timeout_seconds, "skip_crds": skip_crds or None}
    after = list(depends_on) or None
    return Release(scope, construct_id, **release, **source, **options, **RELEASE_DEFAULTS, depends_on=after)


#: The ChartReleaseProps fields helm_release takes as they are.
_PASSED_TO_HELM = ("namespace", "values", "timeout_seconds", "wait", "skip_crds")


class ChartRelease(Construct):
    """A Helm release of a pinned chart.

    Attributes: ``release`` (the helm_release, for ``depends_on``), ``props``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, props: ChartReleaseProps, *, depends_on: Dependencies = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        chart = props.chart
        #: The step that applies the chart's crds/ first (charts whose CRDs Helm would never upgrade), or None.
        self.crd_upgrade: CrdUpgrade | None = None
        if chart.crds == "crd-chart" and not props.skip_crds:
            raise ValueError(
                f"release {props.release_name}: {chart.chart}'s CRDs belong to its CRD chart: set skip_crds"
            )
        if chart.crds == "apply":
            self.crd_upgrade = CrdUpgrade(
                self, "crds", repository=chart.repository, chart=chart.chart, version=chart.version
            )
            depends_on = [*depends_on, self.crd_upgrade.resource]
        source = {"chart": chart.chart, "version": chart.version, "repository": chart.repository}
        options = {attr: getattr(props, attr) for attr in _PASSED_TO_HELM}
        self.release = helm_release(
            self, "release", name=props.release_name, **source, **options, depends_on=depends_on
        )


def chart_release(
    scope: Construct,
    construct_id: str,
    props: tuple[str, HelmChart, str],
    values: Mapping[str, Any] | None = None,
    *,
    depends_on: Dependencies = (),
    **options: Any,
) -> ChartRelease:
    """A :class:`ChartRelease` of ``(release name, chart, namespace)`` with ``values`` (and any other
    :class:`ChartReleaseProps` field in ``options``): the one-line form of the common case."""
    name, chart, namespace = props
    release = ChartReleaseProps(name, chart, namespace, dict(values or {}), **options)
    return ChartRelease(scope, construct_id, release, depends_on=depends_on)


class CustomResources(Construct):
    """Custom resources of one component, installed by a release of charts/tonebridge-resources.

    Give ``depends_on`` the operator release that installs their CRDs. Attributes: ``release``,
    ``objects`` (what was asked for, as written).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        release_name: str,
        namespace: str,
        objects: Sequence[Mapping[str, Any]],
        depends_on: Dependencies = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if not objects:
            raise ValueError(f"{release_name}: no objects to install")
        for obj in objects:
            _checked(obj)
        self.objects = [dict(o) for o in objects]
        # The chart travels with the stack (cdktf.out/stacks/<stack>/assets/...), found relative to it.
        chart = TerraformAsset(self, "chart", path=str(RESOURCES.directory), type=AssetType.DIRECTORY)
        self.release = helm_release(
            self,
            "release",
            name=release_name,
            namespace=namespace,
            chart=chart.path,
            version=RESOURCES.version,
            repository=None,
            values={"resources": self.objects},
            depends_on=depends_on,
        )

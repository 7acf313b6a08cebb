"""Every remote chart of a platform stack, rendered the way Helm will install it, and what that shows.

Each ``helm_release`` with a ``repository`` is rendered from an offline chart repository (a folder
with ``index.yaml``, named by ``TONEBRIDGE_CHART_REPOSITORY``) with Helm's own engine (helm-python-sdk
embeds Helm's Go library), with the values the stack passes, its release name and namespace, as an
install, for the cluster's Kubernetes version. Then:

- ``chart-render``: a pinned version the repository does not hold, or a template that fails;
- ``chart-schema``: values the chart's ``values.schema.json`` refuses (Helm refuses the install);
- ``object-schema`` / ``api-server``: rendered objects (and our own custom resources) that the API
  server would refuse (:mod:`tools.fit.schemas`, :mod:`tools.fit.apirules`);
- ``unread-value``: a value we set that no template of the chart reads.

Local charts (``assets/…``, no repository) are ours: ``tools.kube_objects.objects_of`` reads
their objects straight from the values.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.metadata
import io
import json
import os
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
from helm_python import _native

from tonebridge.kubeapi import api_group
from tonebridge.paths import PROJECT_ROOT
from tools.fit import schemas
from tools.fit.model import Problem, object_ref
from tools.kube_objects import objects_of

#: Kinds Kubernetes serves without a namespace (``kubectl api-resources --namespaced=false`` on 1.35, less
#: the read-only ones); custom kinds are looked up in their CRD's ``spec.scope``.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IPAddress",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "ResourceSlice",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


@dataclass
class RenderedRelease:
    """One remote release as Helm installs it.

    :param values: the values the stack passes (Terraform references replaced by placeholders).
    :param merged_values: those values coalesced with the chart's defaults (what the templates see).
    :param objects: what the templates render (hooks included, test hooks not: ``helm test`` runs those).
    :param crds: the CRDs of the chart's (and its enabled subcharts') ``crds/`` folders, applied before.
    """

    name: str
    namespace: str
    chart: str
    version: str
    values: dict[str, Any]
    merged_values: dict[str, Any]
    objects: list[dict[str, Any]] = field(default_factory=list)
    crds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RenderResult:
    """Every remote release of a stack, the objects they send to the cluster, and what is wrong with them."""

    releases: list[RenderedRelease] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    chart_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def render_stack(
    stack: dict[str, Any],
    *,
    repository: Path,
    env: str,
    region: str,
    kubernetes_version: str,
    unread: bool = True,
) -> RenderResult:
    """Render every remote ``helm_release`` of a synthesized platform stack: the objects, the merged values,
    and what only rendering can tell (a missing version, values.schema.json, unread values). The objects are
    checked with everything else the cluster holds (:mod:`tools.fit.check`), once."""
    result = RenderResult()
    ours = objects_of(stack)
    releases = []
    for release in stack.get("resource", {}).get("helm_release", {}).values():
        if not release.get("repository"):
            continue  # ours (assets/…): objects_of reads its objects
        where = (release.get("namespace") or "default", object_ref("HelmRelease", release["name"]))
        crd_release = _crd_chart_release(release, ChartRepository.of(repository))
        if crd_release is not None:
            result.releases.append(crd_release)
            result.chart_values[crd_release.name] = {}
            continue
        prepared = _prepare(release, ChartRepository.of(repository), region)
        if isinstance(prepared, list):
            result.problems.extend(Problem(env, region, *where, rule, why) for rule, why in prepared)
        else:
            releases.append((where, prepared))
    # What .Capabilities.APIVersions answers on the cluster: Helm's built-in versions plus every CRD the
    # stack installs (charts gate ServiceMonitors and the like on them), from crds/ folders and templates.
    api_versions = _api_versions(ours, *(_static_crds(p.archive, p.merged) for _, p in releases))
    kube_version = _semver(kubernetes_version)
    templated = [_templated_crds(p.render(kube_version, api_versions)) for _, p in releases]
    api_versions = tuple(sorted({*api_versions, *_api_versions(*templated)}))
    for where, prepared in releases:
        done = prepared.rendered(kube_version, api_versions)
        if isinstance(done, tuple):
            result.problems.append(Problem(env, region, *where, *done))
            continue
        result.releases.append(done)
        result.chart_values[done.name] = done.merged_values
        if unread:
            context = prepared.context(kube_version, api_versions)
            for path in unread_values(context, done.values):
                why = f"{path} is read by no template of {done.chart} {done.version}"
                result.problems.append(Problem(env, region, *where, "unread-value", why))
    result.objects = [obj for r in result.releases for obj in (*r.crds, *r.objects)]
    crds = schemas.crd_index([*result.objects, *ours])
    cluster_kinds = {key for key, crd in crds.items() if crd["spec"].get("scope") == "Cluster"}
    for done in result.releases:
        _fill_namespaces(done.objects, done.namespace, cluster_kinds)
    return result


# --- the chart repository ----------------------------------------------------------------------------------


#: CRD charts published from the same source as their operator's chart, whose templates are the operator
#: chart's ``crds/`` files (karpenter-crd's templates link to the same pkg/apis/crds files as karpenter's crds/).
#: Where the repository lacks the CRD chart at that version, its objects are read from the operator chart's
#: ``crds/`` at the same version, which is what Helm would install from it.
CRD_CHARTS = {"karpenter-crd": "karpenter"}


class ChartRepository:
    """A Helm chart repository folder: ``index.yaml`` and the archives it lists (``oci://`` charts included)."""

    def __init__(self, folder: Path) -> None:
        index = helm_python.values_from_yaml((folder / "index.yaml").read_text())
        self.folder = folder
        self.entries: dict[str, dict[str, str]] = {
            name: {str(e["version"]): e["urls"][0] for e in entries} for name, entries in index["entries"].items()
        }

    @staticmethod
    @functools.cache
    def of(folder: Path) -> ChartRepository:
        return ChartRepository(folder)

    def archive(self, chart: str, version: str) -> Path | str:
        """The archive of ``chart`` at ``version``, or why there is none."""
        versions = self.entries.get(chart, {})
        if version not in versions:
            holds = f"it holds {', '.join(sorted(versions))}" if versions else "it holds no version of it"
            return f"{chart} {version} is not in the chart repository ({holds})"
        return self.folder / versions[version]


@functools.cache
def _template_text(archive: Path) -> str:
    """Every template of the archive, its subcharts' included, as one text."""
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and "/templates/" in m.name]
        return "\n".join((tar.extractfile(m) or io.BytesIO()).read().decode(errors="replace") for m in members)


@functools.cache
def load_chart(archive: Path) -> helm_python.Chart:
    """A chart archive, loaded once per process (charts are immutable and thread-safe)."""
    return helm_python.Chart.load(archive)


# --- Terraform references in values ------------------------------------------------------------------------

#: Placeholder shapes for references the stack cannot resolve before apply, by the resource type they
#: name: an IAM role ARN must still look like one (IRSA annotations are validated by some charts).
_ARNS = {
    "aws_iam_role": "arn:aws:iam::000000000000:role/unresolved",
    "aws_kms_key": "arn:aws:kms:{region}:000000000000:key/00000000-0000-0000-0000-000000000000",
    "aws_lb_target_group": "arn:aws:elasticloadbalancing:{region}:000000000000:targetgroup/unresolved/0000000000000000",
}
_IDS = {"aws_subnet": "subnet-", "aws_security_group": "sg-", "aws_vpc": "vpc-"}


def resolve_references(value: Any, region: str) -> Any:
    """``value`` with every Terraform template (``${…}``) replaced by a well-formed placeholder and the
    escapes ``$${`` and ``%%{`` turned into the literal ``${`` and ``%{`` Terraform passes on."""
    if isinstance(value, dict):
        return {k: resolve_references(v, region) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, region) for v in value]
    if not isinstance(value, str) or ("${" not in value and "%%{" not in value):
        return value
    out, i = [], 0
    while i < len(value):
        if value.startswith(("$${", "%%{"), i):
            out.append(value[i + 1 : i + 3])
            i += 3
        elif value.startswith("${", i):
            end = _closing_brace(value, i + 2)
            out.append(placeholder(value[i + 2 : end], region))
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise ValueError(f"unterminated Terraform template in {text!r}")


def placeholder(expression: str, region: str) -> str:
    """A value shaped like what ``expression`` yields at apply time (an ARN, an id, a name, …)."""
    attribute = re.split(r"[.]|[0-9A-F]{8}(?=[a-z_]+$)", expression)[-1]
    kind = next((t for t in sorted({*_ARNS, *_IDS}, key=len, reverse=True) if t in expression), "")
    if attribute == "arn":
        return _ARNS.get(kind, f"arn:aws:unresolved:{region}:000000000000:unresolved").format(region=region)
    if attribute == "id" and kind in _IDS:
        return _IDS[kind] + "0" * 17
    if attribute in ("registry_id", "account_id", "owner_id"):
        return "000000000000"
    if attribute.endswith(("endpoint", "dns_name", "hostname")):
        return "unresolved.example.com"
    if attribute.endswith("url"):
        return f"https://unresolved.{region}.example.com"
    return "unresolved"


# --- rendering ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """Everything a render depends on besides the values."""

    archive: Path
    release: str
    namespace: str
    kube_version: str
    api_versions: tuple[str, ...]


class RenderError(Exception):
    """A template failed, or the values broke the chart's schema (Helm's message)."""


_RENDERS: dict[tuple[_Context, str], dict[str, str] | RenderError] = {}


def render_manifests(context: _Context, values_json: str, *, cached: bool = True) -> dict[str, str]:
    """Template path -> rendered text, as ``helm install`` renders it. ``cached``: kept for the process, by
    context and values (a release's own render; the unread analysis's one-off probes are not kept)."""
    key = (context, values_json)
    if cached and key in _RENDERS:
        found = _RENDERS[key]
        if isinstance(found, RenderError):
            raise found
        return found
    # Chart.render() does not expose them, but the library's render options take kube_version and
    # api_versions (as ``helm template --kube-version --api-versions``): .Capabilities sees the real cluster.
    options = {
        "name": context.release,
        "namespace": context.namespace,
        "is_install": True,
        "kube_version": context.kube_version,
        "api_versions": list(context.api_versions),
    }
    chart = load_chart(context.archive)
    try:
        out: dict[str, str] = json.loads(
            _native.call_string("helm_render", chart._raw(), values_json, json.dumps(options))
        )
    except helm_python.HelmError as error:
        failure = RenderError(str(error).strip())
        if cached:
            _RENDERS[key] = failure
        raise failure from error
    if cached:
        _RENDERS[key] = out
    return out


def _crd_chart_release(release: Mapping[str, Any], repository: ChartRepository) -> RenderedRelease | None:
    """A release of a CRD chart (:data:`CRD_CHARTS`) the repository lacks, as its operator chart's ``crds/``."""
    parent = CRD_CHARTS.get(release["chart"])
    if parent is None or release["version"] in repository.entries.get(release["chart"], {}):
        return None
    archive = repository.archive(parent, release["version"])
    if isinstance(archive, str):
        return None  # reported as the CRD chart's own missing version
    return RenderedRelease(
        name=str(release["name"]),
        namespace=str(release.get("namespace") or "default"),
        chart=str(release["chart"]),
        version=str(release["version"]),
        values={},
        merged_values={},
        objects=[copy.deepcopy(crd) for _, crd in _chart_crds(archive)],
    )


@dataclass(frozen=True)
class _Prepared:
    """A release whose chart was found and whose values pass the chart's schema, ready to render."""

    release: Mapping[str, Any]
    archive: Path
    values: dict[str, Any]
    merged: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.release["name"])

    @property
    def namespace(self) -> str:
        return str(self.release.get("namespace") or "default")

    def context(self, kube_version: str, api_versions: tuple[str, ...]) -> _Context:
        # Only the API versions the chart's templates name can change what it renders: the others are left
        # out, so that a release rendered alike in two clusters shares its renders (and its unread analysis).
        text = _template_text(self.archive)
        named = tuple(v for v in api_versions if v in text)
        return _Context(self.archive, self.name, self.namespace, kube_version, named)

    def render(self, kube_version: str, api_versions: tuple[str, ...]) -> dict[str, str] | RenderError:
        try:
            return render_manifests(self.context(kube_version, api_versions), _dumps(self.values))
        except RenderError as error:
            return error

    def rendered(self, kube_version: str, api_versions: tuple[str, ...]) -> RenderedRelease | tuple[str, str]:
        """The release as Helm installs it, or the (rule, why) that stops it."""
        chart = load_chart(self.archive)
        manifests = self.render(kube_version, api_versions)
        if isinstance(manifests, RenderError):
            return "chart-render", f"{chart.name} {chart.version} does not render: {_first_line(str(manifests))}"
        try:
            objects = list(_objects(manifests))
        except InvalidYaml as error:
            # Helm splits and decodes the same text, and refuses the install.
            return "chart-render", f"{chart.name} {chart.version} renders invalid YAML: {error}"
        return RenderedRelease(
            name=self.name,
            namespace=self.namespace,
            chart=chart.name,
            version=chart.version,
            values=self.values,
            merged_values=self.merged,
            objects=objects,
            crds=[] if self.release.get("skip_crds") else _static_crds(self.archive, self.merged),
        )


def _prepare(release: Mapping[str, Any], repository: ChartRepository, region: str) -> _Prepared | list[tuple[str, str]]:
    """The release's chart and values, or the (rule, why) of each reason it cannot be rendered."""
    archive = repository.archive(release["chart"], release["version"])
    if isinstance(archive, str):
        return [("chart-render", archive)]
    chart = load_chart(archive)
    values: dict[str, Any] = {}
    for document in release.get("values") or []:
        values = _merged(values, resolve_references(json.loads(_to_json(document)), region))
    try:
        chart.validate_schema(values)
    except helm_python.HelmValuesError as error:
        where = f"values.schema.json of {chart.name} {chart.version}"
        return [("chart-schema", f"{why} ({where})") for why in _schema_errors(str(error))]
    return _Prepared(release, archive, values, chart.merge_values(values))


def _to_json(document: str) -> str:
    """A values document (YAML or JSON) as JSON, decoded by Helm's own YAML reader."""
    return json.dumps(helm_python.values_from_yaml(document))


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of successive values files: mappings merge, everything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def _schema_errors(message: str) -> list[str]:
    """The leaf errors of Helm's schema report (``- at '/a/b': got string, want number``)."""
    found = []
    for line in message.splitlines():
        match = re.match(r"\s*- at '([^']*)': (.*)", line)
        if match and match.group(2) != "validation failed":
            path = match.group(1).strip("/").replace("/", ".") or "(values)"
            found.append(f"{path}: {match.group(2)}")
    return found or [_first_line(message)]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


#: How Helm splits a rendered template into documents (helm.sh/helm/v4/pkg/release/v1/util/manifest.go).
_DOCUMENT_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


class InvalidYaml(Exception):
    """A rendered document Helm could not decode into an object."""


def _documents(text: str) -> Iterator[dict[str, Any]]:
    """The objects of one rendered template, decoded by Helm's YAML reader (sigs.k8s.io/yaml, as Helm's
    kube client reads them: numbers, booleans and dates exactly as the cluster will receive them)."""
    for document in _DOCUMENT_SEPARATOR.split(text):
        if not document.strip():
            continue
        try:
            decoded = helm_python.values_from_yaml(document)
        except helm_python.HelmError as error:
            raise InvalidYaml(_first_line(str(error))) from error
        if decoded:
            yield decoded


def _objects(manifests: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """The objects of rendered templates as Helm sends them: partials and NOTES.txt left out, empty
    documents dropped, Lists flattened, test hooks (run by ``helm test`` only) left out."""
    for path in sorted(manifests):
        base = path.rsplit("/", 1)[-1]
        if base.startswith("_") or base == "NOTES.txt" or not manifests[path].strip():
            continue
        for document in _flattened(_documents(manifests[path])):
            if not document.get("kind"):
                continue
            hooks = ((document.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook", "")
            if any(h.strip().startswith("test") for h in hooks.split(",")):
                continue
            yield document


def _flattened(documents: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Documents with each ``v1`` ``List`` replaced by its items, as Helm's kube client (the resource
    builder's ``Flatten``) sends them: the API server has no List kind."""
    for document in documents:
        if document.get("kind") == "List" and document.get("apiVersion") == "v1":
            yield from _flattened(item for item in document.get("items") or [] if isinstance(item, dict))
        else:
            yield document


def _static_crds(archive: Path, merged_values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The CRDs under ``crds/`` of the chart and of the subcharts its values enable (Helm installs only
    those). Decoded once per archive and shared: callers must not change them."""
    enabled = _enabled_subcharts(load_chart(archive), merged_values)
    return [crd for subchart, crd in _chart_crds(archive) if subchart is None or enabled.get(subchart, True)]


@functools.cache
def _chart_crds(archive: Path) -> tuple[tuple[str | None, dict[str, Any]], ...]:
    """(subchart or None, CRD) for every document under a ``crds/`` folder of the archive."""
    found = []
    for crd in load_chart(archive).crds:
        parts = crd["filename"].split("/")  # <chart>/crds/x.yaml or <chart>/charts/<subchart>/crds/x.yaml
        subchart = parts[2] if len(parts) > 3 and parts[1] == "charts" else None
        found.extend((subchart, d) for d in _documents(crd["data"]) if d.get("kind"))
    return tuple(found)


def _templated_crds(manifests: Mapping[str, str] | RenderError) -> list[dict[str, Any]]:
    """CRDs among rendered templates (only the templates that name the kind are decoded)."""
    if isinstance(manifests, RenderError):
        return []
    return [
        obj
        for text in manifests.values()
        if "CustomResourceDefinition" in text
        for obj in _documents(text)
        if obj.get("kind") == "CustomResourceDefinition"
    ]


def _enabled_subcharts(chart: helm_python.Chart, values: Mapping[str, Any]) -> dict[str, bool]:
    """Subchart (name or alias) -> enabled, from its ``condition`` as Helm reads it: the first of its
    comma-separated paths that holds a boolean decides; none, and it is enabled."""
    enabled = {}
    for dependency in chart.metadata.get("dependencies") or []:
        state = True
        for condition in str(dependency.get("condition") or "").split(","):
            value: Any = values
            for key in condition.strip().split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, bool):
                state = value
                break
        enabled[dependency.get("alias") or dependency["name"]] = state
    return enabled


def _api_versions(*groups: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """``group/version`` and ``group/version/Kind`` of every CRD among the objects: what discovery adds to
    Helm's built-in API versions once they are installed (charts gate ServiceMonitors on them)."""
    found = set()
    for objects in groups:
        for crd in schemas.crd_index(objects).values():
            spec = crd["spec"]
            for version in spec.get("versions", []):
                if version.get("served", True):
                    found.add(f"{spec['group']}/{version['name']}")
                    found.add(f"{spec['group']}/{version['name']}/{spec['names']['kind']}")
    return tuple(sorted(found))


def _semver(version: str) -> str:
    """``1.35`` -> ``v1.35.0``, the form .Capabilities.KubeVersion.Version takes on a real cluster."""
    parts = version.lstrip("v").split(".")
    return "v" + ".".join([*parts, "0", "0"][:3])


def _fill_namespaces(objects: Iterable[dict[str, Any]], namespace: str, cluster_kinds: set[tuple[str, str]]) -> None:
    """Set ``metadata.namespace`` on namespaced objects rendered without one, to the release namespace,
    as Helm's kube client does when it applies them into it."""
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        kind, group = obj.get("kind"), api_group(str(obj.get("apiVersion", "")))
        builtin_cluster = kind in CLUSTER_SCOPED_KINDS and group in schemas.BUILTIN_GROUPS
        if not meta.get("namespace") and not builtin_cluster and (group, kind) not in cluster_kinds:
            meta["namespace"] = namespace


# --- values no template reads ------------------------------------------------------------------------------

_UNREAD: dict[tuple[_Context, str], list[str]] = {}

#: Folder of the unread analyses kept between processes (one JSON file each); empty or ``off``: none kept.
UNREAD_CACHE_VARIABLE = "TONEBRIDGE_FIT_CACHE"


def unread_values(context: _Context, values: dict[str, Any]) -> list[str]:
    """Paths of the values (dotted) that no template reads: the highest key whose whole subtree can change
    without changing what the chart renders. Kept for the process and, by :func:`unread_cache_key`, on disk
    (the analysis is dozens of renders per release and depends on nothing but what the key holds)."""
    key = (context, json.dumps(values, sort_keys=True))
    if key not in _UNREAD:
        folder = unread_cache_folder()
        stored = folder / f"{unread_cache_key(context, values)}.json" if folder else None
        found = _read_json_list(stored) if stored else None
        if found is None:
            found = _Probe(context, values).unread()
            if stored:
                _write_json(stored, found)
        _UNREAD[key] = found
    return _UNREAD[key]


def unread_cache_folder() -> Path | None:
    """``TONEBRIDGE_FIT_CACHE``, or ``.cache/fit-unread`` in the project (``make clean`` removes it)."""
    value = os.environ.get(UNREAD_CACHE_VARIABLE)
    if value is None:
        return PROJECT_ROOT / ".cache" / "fit-unread"
    return Path(value) if value and value != "off" else None


def unread_cache_key(context: _Context, values: dict[str, Any]) -> str:
    """What the unread analysis of a release depends on, digested: the chart archive's bytes, the release
    name, namespace, Kubernetes version and API versions the render sees, the values (canonical JSON), the
    Helm engine's version and this module's source (the analysis itself)."""
    parts = [
        "unread/1",
        _renderer_digest(),
        _file_digest(context.archive),
        context.release,
        context.namespace,
        context.kube_version,
        list(context.api_versions),
        json.loads(_dumps(values)),
    ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@functools.cache
def _renderer_digest() -> str:
    helm = importlib.metadata.version("helm-python-sdk")
    return hashlib.sha256(helm.encode() + b"\0" + Path(__file__).read_bytes()).hexdigest()


@functools.cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_json_list(path: Path) -> list[str] | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # absent or torn: analysed again
    return found if isinstance(found, list) and all(isinstance(p, str) for p in found) else None


def _write_json(path: Path, value: Any) -> None:
    """Written beside and renamed into place, so that a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(value))
        partial.replace(path)
    except OSError:
        pass  # a read-only checkout still checks, only slower next time


class _Probe:
    """The unread analysis of one release: render with values changed and compare with the baseline.

    A value is changed, never removed (removing one equal to the chart's default would look unread). A
    subtree is probed before its keys, so an unread mapping costs one render and a read leaf is found
    without probing its siblings' subtrees. A first render with every string replaced by a unique marker
    proves most strings read at once (the marker shows in the output). A render that fails after a
    change means the value is read.
    """

    def __init__(self, context: _Context, values: dict[str, Any]) -> None:
        self.context = context
        self.values = values
        baseline = render_manifests(context, _dumps(values))
        again = render_manifests(context, _dumps(values), cached=False)
        # Generated keys, certificates and passwords differ from one render to the next: in the templates
        # that differ between two identical renders, long base64 runs are masked; a template that still
        # differs is left out.
        self.random = {k for k in {*baseline, *again} if baseline.get(k) != again.get(k)}
        self.unstable = {k for k in self.random if _masked(baseline.get(k)) != _masked(again.get(k))}
        self.stable = self._comparable(baseline)
        self.read = self._marked_read()

    def unread(self) -> list[str]:
        found: list[str] = []
        self._walk(self.values, (), found)
        return found

    def _walk(self, node: dict[str, Any], path: tuple[str, ...], found: list[str]) -> None:
        for key, value in node.items():
            child = (*path, key)
            if not self._is_read(child, value):
                # A mapping of one key names no more than its key: report what the project wrote.
                while isinstance(value, dict) and len(value) == 1:
                    (key, value), *_ = value.items()
                    child = (*child, key)
                found.append(_dotted(child))
            elif isinstance(value, dict) and value:
                self._walk(value, child, found)

    def _is_read(self, path: tuple[str, ...], value: Any) -> bool:
        if any(read[: len(path)] == path for read in self.read):
            return True
        # Two changes: a different value (reads of the content), then a flipped truthiness (reads that only
        # test it, or that fall back to a default equal to our value).
        for change in (_changed, _flipped):
            try:
                out = render_manifests(self.context, _dumps(_replaced(self.values, path, change(value))), cached=False)
            except RenderError:
                return True
            if self._comparable(out) != self.stable:
                return True
        return False

    def _comparable(self, manifests: Mapping[str, str]) -> dict[str, str]:
        return {k: _masked(v) if k in self.random else v for k, v in manifests.items() if k not in self.unstable}

    def _marked_read(self) -> set[tuple[str, ...]]:
        """Paths whose marker shows in the output of a render with every string marked; if that render
        fails, one render per top-level key."""
        for subsets in ([tuple(self.values)], [(key,) for key in self.values]):
            read: set[tuple[str, ...]] = set()
            failed = 0
            for keys in subsets:
                tokens: dict[str, tuple[str, ...]] = {}
                marked = {k: _marked(v, (k,), tokens) if k in keys else v for k, v in self.values.items()}
                try:
                    text = "\n".join(render_manifests(self.context, _dumps(marked), cached=False).values()).lower()
                except RenderError:
                    failed += 1
                    continue
                read |= {path for token, path in tokens.items() if token in text}
            if not failed:
                return read
        return read


#: Base64 (or hex) runs of 40 characters and more: generated keys and certificates, random secrets.
_RANDOM = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def _masked(text: str | None) -> str | None:
    return _RANDOM.sub("<generated>", text) if text else text


def _dumps(values: Any) -> str:
    return json.dumps(values, sort_keys=True)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(f'"{key}"' if "." in key else key for key in path)


def _marked(value: Any, path: tuple[str, ...], tokens: dict[str, tuple[str, ...]]) -> Any:
    """``value`` with each string, null and empty collection replaced by a unique marker; ``tokens``
    records the key path of each (elements of a list count for the list's key)."""

    def token() -> str:
        text = f"tbq{len(tokens)}x"
        tokens[text] = path
        return text

    if isinstance(value, dict):
        return {k: _marked(v, (*path, k), tokens) for k, v in value.items()} if value else {"tbq": token()}
    if isinstance(value, list):
        return [_marked(v, path, tokens) for v in value] if value else [token()]
    if isinstance(value, str) or value is None:
        return token()
    return value


def _changed(value: Any) -> Any:
    """A different value of the same type (each leaf of a collection changed)."""
    return _leaf_map(
        value,
        lambda v: (
            not v
            if isinstance(v, bool)
            else v + 1
            if isinstance(v, int | float)
            else f"{v}-x"
            if isinstance(v, str)
            else "x"
        ),
    )


def _flipped(value: Any) -> Any:
    """The value with its truthiness flipped (lists emptied, each leaf of a mapping flipped)."""
    if isinstance(value, list):
        return [] if value else ["x"]
    return _leaf_map(
        value,
        lambda v: (
            not v
            if isinstance(v, bool)
            else (0 if v else 1)
            if isinstance(v, int | float)
            else ("" if v else "x")
            if isinstance(v, str)
            else "x"
        ),
    )


def _leaf_map(value: Any, change: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        return {k: _leaf_map(v, change) for k, v in value.items()} if value else {"x": "x"}
    if isinstance(value, list):
        return [_leaf_map(v, change) for v in value] if value else ["x"]
    return change(value)


def _replaced(values: dict[str, Any], path: tuple[str, ...], new: Any) -> dict[str, Any]:
    out = dict(values)
    if len(path) == 1:
        out[path[0]] = new
    else:
        out[path[0]] = _replaced(values[path[0]], path[1:], new)
    return out

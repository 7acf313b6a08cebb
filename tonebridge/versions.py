"""The version table: every component the platform runs, at the version it runs, and how long upstream supports it.

The data lives in ``tonebridge/versions.yaml``; this module only reads and checks it. Charts
(:mod:`tonebridge.charts`), the default images of the configuration models, the EKS add-on versions and the
node AMI release take their versions from here, so an upgrade is an edit of that one file, reviewed with the
component's release notes. ``make versions`` prints the table with each component's support status on the day
it runs (:func:`support_status`); ``tests/test_versions.py`` proves that every chart release, container image
and EKS add-on the stacks synthesize is listed, so nothing can be pinned outside it.

Plain data, no cdktf import (the configuration models read it too).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE_PATH = Path(__file__).with_name("versions.yaml")

#: How a chart's CRDs follow its upgrades. Helm installs a chart's ``crds/`` folder once and never upgrades it, so
#: every chart that has one needs one of the last three.
CRD_LIFECYCLES = {
    "none": "the chart installs no CRDs",
    "templates": "CRDs are templates of the chart (or of a subchart it enables): upgraded with every release",
    "hook": "the chart's own pre-upgrade hook applies its crds/ before the new operator starts",
    "apply": "crds/ applied by a step ordered before every install and upgrade (constructs/crd_upgrade.py)",
    "crd-chart": "a CRD chart of its own (templates), released before the operator, which skips crds/",
}

#: Days before an end of life from which ``make versions`` warns.
WARN_DAYS = 60

_IMAGE_RE = re.compile(
    r"^(?P<repo>[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+):(?P<tag>[\w.-]+)(@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_EXACT_RE = re.compile(r"^v?\d+(\.\d+)*([-+.][\w.-]+)?$")


class VersionTableError(ValueError):
    """The table is malformed: a missing field, a range instead of an exact version, a duplicate."""


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at an exact version in a named repository (``oci://`` repositories included): a row of
    the table, and what :mod:`tonebridge.charts` and the constructs install (``charts.HelmChart``)."""

    repository: str
    chart: str
    version: str
    #: How the chart's CRDs are upgraded (CRD_LIFECYCLES): ``apply`` makes every release of it apply its
    #: ``crds/`` first (tonebridge/constructs/crd_upgrade.py).
    crds: str = "none"

    def __post_init__(self) -> None:
        if not self.repository.startswith(("https://", "oci://")):
            raise ValueError(f"chart {self.chart}: repository {self.repository!r} must be https:// or oci://")
        if not self.version or self.version[0] in "^~>=<*" or self.version in ("latest", "*"):
            raise ValueError(f"chart {self.chart}: version {self.version!r} must be an exact version")


@dataclass(frozen=True)
class ImagePin:
    """A container image at an exact tag, with its digest where upstream publishes one we could verify."""

    repository: str
    tag: str
    digest: str | None = None
    #: Where the digest was published and read (required with a digest; tests/test_chart_digests.py checks it).
    digest_source: str | None = None

    @property
    def reference(self) -> str:
        """``repository:tag`` or ``repository:tag@sha256:…``: what a pod spec names."""
        return f"{self.repository}:{self.tag}" + (f"@{self.digest}" if self.digest else "")


@dataclass(frozen=True)
class Support:
    """Upstream's support window of the pinned release line.

    :param policy: the rule, in upstream's words (for example "the latest three minors").
    :param end_of_life: the day support ends: announced, or derived from the policy and the release cadence
        (``estimated``) where it ends with a future release.
    :param source: where the policy and dates were read.
    """

    policy: str
    end_of_life: dt.date
    source: str
    estimated: bool = False


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    support: Support
    charts: tuple[ChartPin, ...] = ()
    images: tuple[ImagePin, ...] = ()
    crds: str = ""
    notes: str = ""


@dataclass(frozen=True)
class VersionTable:
    checked: dt.date
    components: tuple[Component, ...]
    eks_addons: dict[str, dict[str, str]] = field(default_factory=dict)
    eks_addons_source: str = ""

    def component(self, name: str) -> Component:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(f"no component {name!r} in {TABLE_PATH.name}")

    def chart(self, chart: str) -> ChartPin:
        found = [pin for c in self.components for pin in c.charts if pin.chart == chart]
        if len(found) != 1:
            raise KeyError(f"chart {chart!r} is listed {len(found)} times in {TABLE_PATH.name}")
        return found[0]

    def image(self, repository: str) -> str:
        """The pinned reference of the one image of ``repository`` in the table."""
        found = [pin for c in self.components for pin in c.images if pin.repository == repository]
        if len(found) != 1:
            raise KeyError(f"image {repository!r} is listed {len(found)} times in {TABLE_PATH.name}")
        return found[0].reference

    def images(self) -> list[tuple[str, ImagePin]]:
        """(component, pin) for every pinned image, in table order."""
        return [(c.name, pin) for c in self.components for pin in c.images]

    def image_references(self) -> dict[str, str]:
        """Every pinned image reference -> the component it belongs to."""
        return {pin.reference: c.name for c in self.components for pin in c.images}

    def chart_versions(self) -> dict[tuple[str, str, str], str]:
        """(repository, chart, version) -> component, for every pinned chart."""
        return {(p.repository, p.chart, p.version): c.name for c in self.components for p in c.charts}

    def addon_versions(self, kubernetes_version: str) -> dict[str, str]:
        """EKS managed add-on -> version, for clusters of ``kubernetes_version``."""
        if kubernetes_version not in self.eks_addons:
            raise KeyError(
                f"{TABLE_PATH.name} has no EKS add-on versions for Kubernetes {kubernetes_version} "
                f"(it has {', '.join(sorted(self.eks_addons))})"
            )
        return dict(self.eks_addons[kubernetes_version])


def support_status(component: Component, today: dt.date) -> str:
    """``supported``, ``ends in N days`` (within :data:`WARN_DAYS`) or ``END OF LIFE since <date>``."""
    end = component.support.end_of_life
    if today > end:
        return f"END OF LIFE since {end.isoformat()}"
    days = (end - today).days
    if days <= WARN_DAYS:
        return f"ends in {days} days"
    return "supported"


def is_end_of_life(component: Component, today: dt.date) -> bool:
    return today > component.support.end_of_life


# --- reading ---------------------------------------------------------------------------------------


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise VersionTableError(f"{where}: {key} is required")
    return data[key]


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise VersionTableError(f"{where}: {value!r} is not a YYYY-MM-DD date") from error


def _exact(version: Any, where: str) -> str:
    text = str(version)
    if not _EXACT_RE.match(text) or text in ("latest",):
        raise VersionTableError(f"{where}: {text!r} is not an exact version")
    return text


def _lifecycle(value: Any, where: str) -> str:
    if value not in CRD_LIFECYCLES:
        raise VersionTableError(f"{where}: crds {value!r} is not one of {', '.join(CRD_LIFECYCLES)}")
    return str(value)


def _token(version: Any, where: str) -> str:
    """A component's version: one token, never a range or a moving name (an AMI alias al2023@v20260903 is fine)."""
    text = str(version)
    if not re.fullmatch(r"[\w.@-]+", text) or text in ("latest", "stable") or text.endswith("@latest"):
        raise VersionTableError(f"{where}: {text!r} is not an exact version")
    return text


def _image(value: Any, where: str) -> ImagePin:
    text = value["image"] if isinstance(value, dict) else value
    match = _IMAGE_RE.match(str(text))
    if not match or match["tag"] in ("latest", "debug", "stable"):
        raise VersionTableError(f"{where}: image {text!r} must be registry/repository:exact-tag[@sha256:…]")
    digest = match["digest"] or (value.get("digest") if isinstance(value, dict) else None)
    if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise VersionTableError(f"{where}: digest {digest!r} is not sha256:<64 hex>")
    source = value.get("digest_source") if isinstance(value, dict) else None
    if digest and not source:
        raise VersionTableError(
            f"{where}: image {text!r}: a digest needs its digest_source (where upstream published it)"
        )
    if source and not digest:
        raise VersionTableError(f"{where}: image {text!r}: digest_source without a digest")
    return ImagePin(match["repo"], match["tag"], digest, source)


def _component(data: dict[str, Any]) -> Component:
    name = _need(data, "name", "component")
    where = f"component {name}"
    support = _need(data, "support", where)
    try:
        charts = tuple(
            ChartPin(
                chart=_need(c, "chart", where),
                repository=_need(c, "repository", where),
                version=_exact(_need(c, "version", where), f"{where}: chart {c.get('chart')}"),
                crds=_lifecycle(
                    _need(c, "crds", f"{where}: chart {c.get('chart')}"), f"{where}: chart {c.get('chart')}"
                ),
            )
            for c in data.get("charts", [])
        )
    except VersionTableError:
        raise
    except ValueError as error:  # the pin's own rules (repository scheme)
        raise VersionTableError(f"{where}: {error}") from None
    return Component(
        name=name,
        version=_token(_need(data, "version", where), where),
        support=Support(
            policy=_need(support, "policy", where),
            end_of_life=_date(_need(support, "end_of_life", where), where),
            source=_need(support, "source", where),
            estimated=bool(support.get("estimated", False)),
        ),
        charts=charts,
        images=tuple(_image(i, where) for i in data.get("images", [])),
        crds=str(data.get("crds", "")),
        notes=str(data.get("notes", "")),
    )


def parse(data: dict[str, Any]) -> VersionTable:
    """A checked :class:`VersionTable` from the YAML document's data."""
    components = tuple(_component(c) for c in _need(data, "components", "table"))
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        raise VersionTableError(f"duplicate component names: {sorted(n for n in names if names.count(n) > 1)}")
    repositories = [pin.repository for c in components for pin in c.images]
    twice = sorted({r for r in repositories if repositories.count(r) > 1})
    if twice:
        raise VersionTableError(f"images listed twice (one version per image): {twice}")
    addons = data.get("eks_addons", {})
    versions = {
        str(minor): {name: _exact(v, f"eks_addons {minor} {name}") for name, v in pins.items()}
        for minor, pins in addons.get("versions", {}).items()
    }
    return VersionTable(
        checked=_date(_need(data, "checked", "table"), "checked"),
        components=components,
        eks_addons=versions,
        eks_addons_source=str(addons.get("source", "")),
    )


@cache
def table() -> VersionTable:
    """The project's version table (read once)."""
    return parse(yaml.safe_load(TABLE_PATH.read_text()))


def chart(name: str) -> ChartPin:
    return table().chart(name)


def image(repository: str) -> str:
    return table().image(repository)


def version(component: str) -> str:
    return table().component(component).version

"""Image digests that upstream stamps into its own Helm charts, and whether the version table agrees with them.

A digest in ``tonebridge/versions.yaml`` is only worth something if it was checked against something upstream
signed off, and nothing here can pull an image. What can be read offline is the release data upstream puts in
the chart it publishes at the pinned version: an image mapping in ``values.yaml`` (the chart's own or a vendored
subchart's) with ``repository``, ``tag`` and ``digest`` (Karpenter's ``controller.image``), or an
``artifacthub.io/images`` annotation in ``Chart.yaml`` naming ``image@sha256:…``. :func:`published` reads both;
:func:`drift` compares them with the table both ways:

- an image a pinned chart publishes a digest for, and the table lists, carries that tag and that digest;
- every digest in the table is one a chart of its own component publishes (no digest from anywhere else).

Commented-out examples (cert-manager's and ECK's ``# digest: sha256:…``) are not release data: YAML drops
them. Charts read from the chart repository folder named by ``TONEBRIDGE_CHART_REPOSITORY``
(``shared/charts``), ``index.yaml`` and the archives it lists.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tonebridge.versions import VersionTable


def _safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load`` with libyaml's parser where PyYAML has it (its wheels do): the same documents, and a
    chart's values.yaml (thousands of lines, vendored subcharts) parses ten times faster."""
    if yaml.__with_libyaml__:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REFERENCE = re.compile(r"^(?P<repo>[^@\s]+?)(:(?P<tag>[\w.-]+))?@(?P<digest>sha256:[0-9a-f]{64})$")


@dataclass(frozen=True)
class PublishedDigest:
    """An image digest a chart publishes: ``where`` is the file and key path inside the archive."""

    repository: str
    tag: str
    digest: str
    where: str

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}@{self.digest}"


def _image_mappings(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("digest"), str) and isinstance(node.get("repository"), str):
            yield path, node
        for key, value in node.items():
            yield from _image_mappings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _image_mappings(value, (*path, str(index)))


def _from_values(name: str, values: Any, app_version: str) -> Iterator[PublishedDigest]:
    for path, image in _image_mappings(values, ()):
        digest = image["digest"].strip()
        if not _DIGEST.match(digest):
            continue  # empty by default (most charts): a slot for the operator, not release data
        repository = image["repository"]
        registry = image.get("registry")
        if isinstance(registry, str) and registry and not repository.startswith(registry + "/"):
            repository = f"{registry}/{repository}"
        tag = str(image.get("tag") or app_version)
        yield PublishedDigest(repository, tag, digest, f"{name}: {'.'.join(path)}.digest")


def _from_annotations(name: str, chart: dict[str, Any]) -> Iterator[PublishedDigest]:
    listed = (chart.get("annotations") or {}).get("artifacthub.io/images")
    entries = (_safe_load(listed) or []) if isinstance(listed, str) else []
    for entry in entries:
        match = _REFERENCE.match(str((entry or {}).get("image", "")))
        if match and match["tag"]:
            where = f"{name}: annotations.artifacthub.io/images {entry.get('name', '')}".rstrip()
            yield PublishedDigest(match["repo"], match["tag"], match["digest"], where)


def published(archive: Path) -> list[PublishedDigest]:
    """Every image digest the packaged chart (and its vendored subcharts) publishes."""
    found: list[PublishedDigest] = []
    with tarfile.open(archive) as tar:
        files = {m.name: m for m in tar.getmembers() if m.isfile()}
        for name in sorted(n for n in files if n.endswith("/Chart.yaml")):
            folder = name.rsplit("/", 1)[0]
            chart = _safe_load(tar.extractfile(files[name]).read()) or {}  # type: ignore[union-attr]
            found.extend(_from_annotations(name, chart))
            values_name = f"{folder}/values.yaml"
            if values_name in files:
                values = _safe_load(tar.extractfile(files[values_name]).read())  # type: ignore[union-attr]
                found.extend(_from_values(values_name, values, str(chart.get("appVersion", ""))))
    return found


class ChartFolder:
    """A chart repository folder: ``index.yaml`` and the archives it lists."""

    def __init__(self, folder: Path) -> None:
        index = _safe_load((folder / "index.yaml").read_text())
        self.folder = folder
        self.entries = {
            name: {str(e["version"]): e["urls"][0] for e in entries} for name, entries in index["entries"].items()
        }

    def archive(self, chart: str, version: str) -> Path | None:
        url = self.entries.get(chart, {}).get(version)
        return self.folder / url if url else None


@dataclass(frozen=True)
class DriftReport:
    """:param problems: one line per disagreement; :param checked: ``chart version`` read;
    :param unavailable: pinned charts the folder does not hold (not checked); :param digests: what was found."""

    problems: list[str]
    checked: list[str]
    unavailable: list[str]
    digests: list[PublishedDigest]


def drift(table: VersionTable, folder: Path) -> DriftReport:
    """The version table against the digests the pinned charts publish."""
    charts = ChartFolder(folder)
    problems, checked, unavailable, found = [], [], [], []
    for component in table.components:
        pins = {pin.repository: pin for pin in component.images}
        vouched: set[tuple[str, str, str]] = set()
        for chart in component.charts:
            archive = charts.archive(chart.chart, chart.version)
            if archive is None:
                unavailable.append(f"{chart.chart} {chart.version}")
                continue
            checked.append(f"{chart.chart} {chart.version}")
            for digest in published(archive):
                found.append(digest)
                vouched.add((digest.repository, digest.tag, digest.digest))
                pin = pins.get(digest.repository)
                if pin is None:
                    continue  # an image of the chart this platform does not run (the image coverage test says so)
                if (pin.tag, pin.digest) != (digest.tag, digest.digest):
                    problems.append(
                        f"{component.name}: {pin.reference} disagrees with {chart.chart} {chart.version}, which "
                        f"publishes {digest.reference} ({digest.where})"
                    )
        for pin in component.images:
            if pin.digest and (pin.repository, pin.tag, pin.digest) not in vouched:
                problems.append(
                    f"{component.name}: {pin.reference}: no chart of the component publishes this digest "
                    "(a digest in the table must be one upstream published)"
                )
    return DriftReport(problems, checked, unavailable, found)

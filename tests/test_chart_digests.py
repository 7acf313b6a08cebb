"""Image digests upstream stamps into its charts (tonebridge/chart_digests.py) against the version table.

Reads every pinned chart from the offline chart repository (``TONEBRIDGE_CHART_REPOSITORY``) at the version the
table pins. That the rendered pods carry those digests is tests/test_fit.py
(``test_images_whose_chart_publishes_a_digest_run_by_that_digest``).
"""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
from pathlib import Path

import pytest
import yaml

from tonebridge import chart_digests, versions

TABLE = versions.table()
KARPENTER = "sha256:723130949e4cab989461ff07d1be4cd781d63515432494641b33c235f300ae23"


@pytest.fixture(scope="module")
def repository() -> Path:
    folder = os.environ.get("TONEBRIDGE_CHART_REPOSITORY")
    if not folder:
        pytest.fail("TONEBRIDGE_CHART_REPOSITORY must name the offline Helm chart repository (../shared/charts)")
    return Path(folder)


def _with_image(table: versions.VersionTable, component: str, pin: versions.ImagePin) -> versions.VersionTable:
    components = tuple(
        dataclasses.replace(c, images=tuple(pin if p.repository == pin.repository else p for p in c.images))
        if c.name == component
        else c
        for c in table.components
    )
    return dataclasses.replace(table, components=components)


def test_the_table_agrees_with_every_digest_the_pinned_charts_publish(repository):
    report = chart_digests.drift(TABLE, repository)
    assert report.problems == []
    pinned = {f"{p.chart} {p.version}" for c in TABLE.components for p in c.charts}
    assert set(report.checked) | set(report.unavailable) == pinned
    assert report.unavailable == ["karpenter-crd 1.14.1"]  # CRDs only: no image
    assert len(report.checked) >= 19
    # Of every chart pinned, only Karpenter's publishes a digest (others: empty slots or commented examples).
    assert {(d.reference, d.where) for d in report.digests} == {
        (
            f"public.ecr.aws/karpenter/controller:1.14.1@{KARPENTER}",
            "karpenter/values.yaml: controller.image.digest",
        )
    }


def test_a_table_digest_that_disagrees_with_the_chart_fails(repository):
    wrong = "sha256:" + "0" * 64
    pin = versions.ImagePin("public.ecr.aws/karpenter/controller", "1.14.1", wrong, "mistyped")
    report = chart_digests.drift(_with_image(TABLE, "karpenter", pin), repository)
    assert report.problems == [
        f"karpenter: public.ecr.aws/karpenter/controller:1.14.1@{wrong} disagrees with karpenter 1.14.1, which "
        f"publishes public.ecr.aws/karpenter/controller:1.14.1@{KARPENTER} (karpenter/values.yaml: "
        "controller.image.digest)",
        f"karpenter: public.ecr.aws/karpenter/controller:1.14.1@{wrong}: no chart of the component publishes this "
        "digest (a digest in the table must be one upstream published)",
    ]
    # Dropping the digest the chart publishes is drift too: the pod would run it while the table says tag only.
    untagged = versions.ImagePin("public.ecr.aws/karpenter/controller", "1.14.1")
    (problem,) = chart_digests.drift(_with_image(TABLE, "karpenter", untagged), repository).problems
    assert "public.ecr.aws/karpenter/controller:1.14.1 disagrees with karpenter 1.14.1" in problem


def test_a_digest_no_chart_publishes_is_refused(repository):
    invented = versions.ImagePin("docker.io/istio/pilot", "1.30.3", "sha256:" + "a" * 64, "a blog post")
    (problem,) = chart_digests.drift(_with_image(TABLE, "istio", invented), repository).problems
    assert problem.startswith("istio: docker.io/istio/pilot:1.30.3@sha256:aaaa")
    assert problem.endswith(
        "no chart of the component publishes this digest (a digest in the table must be one upstream published)"
    )


def _archive(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "chart.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_published_reads_values_subcharts_and_annotations_not_comments(tmp_path):
    one, two, three = ("sha256:" + c * 64 for c in "123")
    images = [{"name": "agent", "image": f"docker.io/example/agent:2.0@{three}"}, {"name": "x", "image": "a/b:1"}]
    archive = _archive(
        tmp_path,
        {
            "app/Chart.yaml": yaml.safe_dump(
                {"name": "app", "appVersion": "1.2.3", "annotations": {"artifacthub.io/images": yaml.safe_dump(images)}}
            ),
            "app/values.yaml": (
                f"controller:\n  image:\n    repository: example/controller\n    registry: quay.io\n    digest: {one}\n"
                "webhook:\n  image:\n    repository: quay.io/example/webhook\n    tag: v1\n    digest: ''\n"
                f"  # digest: {two}\n"
            ),
            "app/charts/sub/Chart.yaml": yaml.safe_dump({"name": "sub", "appVersion": "4.5"}),
            "app/charts/sub/values.yaml": f"image:\n  repository: ghcr.io/example/sub\n  tag: '4.5'\n  digest: {two}\n",
        },
    )
    found = {(d.reference, d.where) for d in chart_digests.published(archive)}
    assert found == {
        (f"docker.io/example/agent:2.0@{three}", "app/Chart.yaml: annotations.artifacthub.io/images agent"),
        (f"quay.io/example/controller:1.2.3@{one}", "app/values.yaml: controller.image.digest"),
        (f"ghcr.io/example/sub:4.5@{two}", "app/charts/sub/values.yaml: image.digest"),
    }


def test_a_table_digest_needs_its_source():
    data = yaml.safe_load(versions.TABLE_PATH.read_text())
    (karpenter,) = [c for c in data["components"] if c["name"] == "karpenter"]
    karpenter["images"][0].pop("digest_source")
    with pytest.raises(versions.VersionTableError, match="a digest needs its digest_source"):
        versions.parse(data)
    assert TABLE.component("karpenter").images[0].digest_source.startswith("karpenter chart 1.14.1, values.yaml")

"""The cluster-fit check over every synthesized environment: what the clusters will run must fit.

The rules' own failure cases live beside each rule (tests/test_fit_*.py); here the whole platform,
as synthesized, must pass every rule, and docs/cluster-fit.md must show production's capacity as it is.
"""

from __future__ import annotations

import pytest

from tests.conftest import resources
from tonebridge.paths import PROJECT_ROOT
from tools.fit import command as fit
from tools.fit.check import application_namespaces, fit_problems
from tools.fit.scheduling import capacity_table, format_table
from tools.fit.view import build_clusters


@pytest.fixture(scope="session")
def chart_repository():
    try:
        return fit.chart_repository()
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def clusters(synth_dir, environments, chart_repository):
    """(env, region) -> the cluster view and its declared flows, for every platform stack."""
    built = build_clusters(synth_dir, environments.values(), chart_repository)
    return {(c.view.env, c.view.region): c for c in built}


def test_every_platform_stack_has_a_view(clusters, manifest):
    platform = {name for name in manifest if name.endswith("-platform")}
    assert {f"{env}-{region}-platform" for env, region in clusters} == platform


def test_every_cluster_fits(clusters):
    lines = [problem.line() for cluster in clusters.values() for problem in fit_problems(cluster)]
    assert lines == []


def test_every_remote_chart_is_rendered(clusters, stacks):
    for (env, region), cluster in clusters.items():
        releases = resources(stacks[f"{env}-{region}-platform"], "helm_release").values()
        remote = {r["name"] for r in releases if r.get("repository")}
        assert remote <= set(cluster.view.chart_values), f"{env}/{region}"


def test_application_namespaces_are_the_isolated_ones(clusters, environments):
    for (env, region), cluster in clusters.items():
        configured = environments[env].platform[region].namespaces
        isolated = sorted(name for name, ns in configured.items() if ns.network_isolation)
        assert set(isolated) <= set(application_namespaces(cluster.view)), f"{env}/{region}"


def test_system_pool_has_headroom_at_its_minimum_size(clusters):
    for (env, region), cluster in clusters.items():
        (system,) = [row for row in capacity_table(cluster.view) if row.pool.name == "system"]
        assert system.hosts_autoscaler, f"{env}/{region}: the cluster autoscaler runs on the system pool"
        assert system.headroom_min.cpu_millis > 0, f"{env}/{region}"
        assert system.headroom_min.memory_mib > 0, f"{env}/{region}"


def test_cluster_fit_doc_shows_production_capacity(clusters):
    table = format_table(capacity_table(clusters["production", "us-west-2"].view))
    document = PROJECT_ROOT / "docs" / "cluster-fit.md"
    assert table in document.read_text(), "run `make fit` and copy its production table into docs/cluster-fit.md"


def test_fit_needs_a_chart_repository(monkeypatch, capsys, synth_dir):
    monkeypatch.delenv(fit.REPOSITORY_VARIABLE)
    assert fit.main([str(synth_dir)]) == 2
    assert f"{fit.REPOSITORY_VARIABLE} is not set" in capsys.readouterr().err


def test_fit_prints_each_problem_and_fails(monkeypatch, capsys, synth_dir, clusters):
    cluster = clusters["local", "us-east-1"]
    problem = cluster.view.problem("redis", "statefulset/redis-leader", "admission", "denied")
    monkeypatch.setattr(fit, "build_clusters", lambda *args, **kwargs: iter([cluster]))
    monkeypatch.setattr(fit, "fit_problems", lambda _: [problem])
    assert fit.main([str(synth_dir)]) == 1
    out = capsys.readouterr().out
    assert "local/us-east-1: redis/statefulset/redis-leader: admission: denied\n" in out
    assert "| system |" in out  # the pool capacity table follows the problems


#: The images an ECK custom resource runs, by kind (ECK derives them from spec.version).
_ELASTIC_IMAGES = {
    "Elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch",
    "Kibana": "docker.elastic.co/kibana/kibana",
    "Beat": "docker.elastic.co/beats/filebeat",
}


def test_every_image_a_cluster_runs_is_in_the_version_table(clusters):
    """Every container of every pod the clusters will run (charts as rendered, Jenkins agents, operator-made
    pods) names an image the version table pins, digest included; nothing runs unpinned or outside it."""
    from tonebridge import versions

    pinned = versions.table().image_references()
    seen, outside = set(), set()
    for (env, region), cluster in clusters.items():
        for workload in cluster.view.workloads:
            spec = workload.template.get("spec", {})
            for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
                image = container.get("image")
                if image is None:
                    # Chosen by an operator at its own pinned version (config-reloader, ECK, EKS add-ons).
                    assert workload.origin.startswith(("operator ", "eks add-on")), (env, region, workload.name)
                    continue
                if image == "auto":  # Istio's injector replaces it with proxyv2 of istiod's version
                    image = f"docker.io/istio/proxyv2:{versions.version('istio')}"
                (seen if image in pinned else outside).add(image)
        for obj in cluster.view.objects:
            if obj.get("kind") in _ELASTIC_IMAGES and obj.get("apiVersion", "").split("/")[0].endswith(
                "k8s.elastic.co"
            ):
                image = obj["spec"].get("image") or f"{_ELASTIC_IMAGES[obj['kind']]}:{obj['spec']['version']}"
                (seen if image in pinned else outside).add(image)
    assert outside == set()
    assert len(seen) >= 40


def test_images_whose_chart_publishes_a_digest_run_by_that_digest(clusters, chart_repository):
    """Every container of an image whose pinned chart publishes its digest (tonebridge/chart_digests.py) is
    rendered as ``repository:tag@sha256:…`` with that digest, in every cluster that runs it."""
    from tonebridge import chart_digests, versions

    published = {d.repository: d.reference for d in chart_digests.drift(versions.table(), chart_repository).digests}
    rendered: dict[str, set[str]] = {}
    for cluster in clusters.values():
        for workload in cluster.view.workloads:
            spec = workload.template.get("spec", {})
            for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
                image = container.get("image") or ""
                repository = image.split("@")[0].rsplit(":", 1)[0]
                if repository in published:
                    rendered.setdefault(repository, set()).add(image)
    assert published and rendered == {repository: {reference} for repository, reference in published.items()}

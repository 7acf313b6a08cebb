"""The version table (tonebridge/versions.yaml): it parses strictly, it covers everything the stacks pin,
the CRD lifecycle it states for each chart is the one the chart needs, and `make versions` reports support
status for a given day. Dates are fixed here: no test fails because the calendar moved on.

The image half of the coverage proof needs the rendered charts: tests/test_fit.py
(``test_every_image_a_cluster_runs_is_in_the_version_table``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tarfile

import pytest
import yaml

from tests.conftest import resources
from tonebridge import eksrules, versions
from tools import versions as versions_cli

TABLE = versions.table()
CHECKED = dt.date(2026, 12, 3)


def _component(**support) -> versions.Component:
    return versions.Component(
        name="thing",
        version="1.0.0",
        support=versions.Support(policy="p", end_of_life=dt.date(2027, 3, 1), source="https://x", **support),
    )


# --- the table itself --------------------------------------------------------------------------------------


def test_nothing_in_the_table_is_past_its_end_of_life_on_the_day_it_was_checked():
    assert TABLE.checked == CHECKED
    ended = [c.name for c in TABLE.components if versions.is_end_of_life(c, CHECKED)]
    assert ended == []


def test_every_component_names_its_policy_source_and_crd_handling():
    for c in TABLE.components:
        assert c.support.source.startswith("https://"), c.name
        assert c.support.policy, c.name
        assert c.crds, f"{c.name}: say how its CRDs are handled ('-' when it has none)"
        for pin in c.charts:
            assert pin.crds in versions.CRD_LIFECYCLES, f"{c.name}: {pin.chart}"


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda d: d["components"][0].update(version="latest"), "is not an exact version"),
        (lambda d: d["components"][3]["charts"][0].update(version="^1.30"), "is not an exact version"),
        (lambda d: d["components"][3]["images"].append("docker.io/istio/pilot:latest"), "must be registry/repository"),
        (lambda d: d["components"][3]["images"].append("docker.io/istio/pilot:1.29.0"), "images listed twice"),
        (lambda d: d["components"][3]["charts"][0].update(crds="sometimes"), "crds 'sometimes' is not one of"),
        (lambda d: d["components"][3]["support"].pop("end_of_life"), "end_of_life is required"),
        (lambda d: d["components"].append(dict(d["components"][0])), "duplicate component names"),
        (
            lambda d: d["components"][3]["images"].append({"image": "docker.io/istio/x:1", "digest": "sha256:abc"}),
            "is not sha256:<64 hex>",
        ),
    ],
)
def test_malformed_tables_are_refused(mutation, message):
    data = yaml.safe_load(versions.TABLE_PATH.read_text())
    assert versions.parse(data) == TABLE  # the mutation below is what breaks it
    mutation(data)
    with pytest.raises(versions.VersionTableError, match=message):
        versions.parse(data)


def test_digests_only_where_upstream_stamped_them():
    """The one digest in the table is the one the Karpenter v1.14.1 release wrote into its chart's values."""
    with_digest = {pin.repository: pin.digest for c in TABLE.components for pin in c.images if pin.digest}
    assert with_digest == {
        "public.ecr.aws/karpenter/controller": "sha256:723130949e4cab989461ff07d1be4cd781d63515432494641b33c235f300ae23"
    }


def test_support_status_on_a_given_day():
    component = _component()
    assert versions.support_status(component, dt.date(2026, 12, 3)) == "supported"
    assert versions.support_status(component, dt.date(2027, 1, 30)) == "ends in 30 days"
    assert versions.support_status(component, dt.date(2027, 3, 1)) == "ends in 0 days"
    assert versions.support_status(component, dt.date(2027, 3, 2)) == "END OF LIFE since 2027-03-01"
    assert versions.is_end_of_life(component, dt.date(2027, 3, 2))


def test_make_versions_prints_every_component_with_its_status(capsys):
    assert versions_cli.main(["--date", "2026-12-03"]) == 0
    out = capsys.readouterr().out
    for c in TABLE.components:
        assert f"| {c.name} | {c.version} |" in out
    assert "| istio | 1.30.3 |" in out and "ends in 59 days" in out
    assert "Kubernetes 1.35: vpc-cni v1.21.1-eksbuild.3" in out
    # every image with its digest state
    assert "Images (1 of 48 by digest" in out
    assert (
        "  karpenter: public.ecr.aws/karpenter/controller:1.14.1: by digest sha256:7231309" in out
        and "(karpenter chart 1.14.1, values.yaml controller.image.digest" in out
    )
    assert "  istio: docker.io/istio/proxyv2:1.30.3: tag only (no published digest)" in out
    assert sum(line.startswith("  ") and ": tag only" in line for line in out.splitlines()) == 47


def test_make_versions_fails_once_something_is_past_its_end_of_life(capsys):
    assert versions_cli.main(["--date", "2027-02-01"]) == 1
    captured = capsys.readouterr()
    assert "| istio | 1.30.3 |" in captured.out and "END OF LIFE since 2027-01-31" in captured.out
    assert "past end of life on 2027-02-01: istio" in captured.err


# --- coverage: nothing synthesized is pinned outside the table ------------------------------------------------


def test_every_chart_release_is_pinned_in_the_table(stacks):
    pinned = TABLE.chart_versions()
    seen = set()
    for name, stack in stacks.items():
        for release in resources(stack, "helm_release").values():
            if not release.get("repository"):
                continue  # charts/tonebridge-resources, versioned with the code
            key = (release["repository"], release["chart"], release["version"])
            assert key in pinned, f"{name}: {key} is not in tonebridge/versions.yaml"
            seen.add(key)
    # and every chart in the table is one the stacks install (no stale rows)
    assert set(pinned) == seen


def test_every_eks_addon_runs_the_version_the_table_gives_its_kubernetes_version(stacks, environments):
    checked = 0
    for name, stack in stacks.items():
        clusters = {c["name"]: c["version"] for c in resources(stack, "aws_eks_cluster").values()}
        for addon in resources(stack, "aws_eks_addon").values():
            (version,) = clusters.values()
            assert addon["addon_version"] == TABLE.addon_versions(version)[addon["addon_name"]], name
            # Removing it from Terraform must not remove it from the cluster.
            assert addon["preserve"] is True
            assert addon["resolve_conflicts_on_update"] == "OVERWRITE"
            checked += 1
    assert checked == 2 * len(eksrules.MANAGED_ADDONS)  # production's two clusters; the emulator has none


def test_the_table_has_addon_versions_for_every_configured_cluster_version(environments):
    for env in environments.values():
        for cluster in env.clusters.values():
            if cluster.managed_addons:
                assert set(cluster.resolved_addon_versions()) == set(eksrules.MANAGED_ADDONS)


# --- CRDs upgrade with their operators ---------------------------------------------------------------------


def _archive_crds(archive) -> tuple[bool, bool]:
    """(has a crds/ folder at the chart's or a subchart's root, mentions CustomResourceDefinition elsewhere)."""
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        folder = any("/crds/" in n and "/templates/" not in n for n in names)
        elsewhere = any(
            re.search(rb"kind:\s*[\"']?CustomResourceDefinition", tar.extractfile(n).read() or b"")
            for n in names
            if ("/templates/" in n or "/files/" in n) and n.endswith((".yaml", ".yml", ".tpl"))
        )
    return folder, elsewhere


def test_each_charts_crd_lifecycle_is_the_one_its_archive_needs():
    """Helm installs crds/ once and never upgrades it: a chart with a crds/ folder needs a hook, an apply step
    or a CRD chart; 'templates' must really template CRDs; 'none' must have none."""
    from tools.fit import command as fit
    from tools.fit.render import CRD_CHARTS, ChartRepository

    repository = ChartRepository.of(fit.chart_repository())
    for c in TABLE.components:
        for pin in c.charts:
            chart = CRD_CHARTS.get(pin.chart, pin.chart) if pin.chart not in repository.entries else pin.chart
            archive = repository.archive(chart, pin.version)
            assert not isinstance(archive, str), archive
            folder, templated = _archive_crds(archive)
            if pin.chart in CRD_CHARTS and chart != pin.chart:
                assert pin.crds == "templates" and folder, pin.chart  # the CRD chart's templates are these files
            elif pin.crds == "none":
                assert not folder and not templated, f"{pin.chart} ships CRDs"
            elif pin.crds == "templates":
                assert templated and not folder, pin.chart
            else:
                assert folder, f"{pin.chart}: {pin.crds} but no crds/ folder"


def test_charts_with_an_apply_step_get_it_before_every_install_and_upgrade(stacks):
    apply = {(p.repository, p.chart, p.version) for c in TABLE.components for p in c.charts if p.crds == "apply"}
    checked: dict[str, set[str]] = {}
    for name, stack in stacks.items():
        steps = resources(stack, "terraform_data")
        for release in resources(stack, "helm_release").values():
            key = (release.get("repository"), release["chart"], release.get("version"))
            if key not in apply:
                continue
            (step,) = [s for logical, s in steps.items() if f"terraform_data.{logical}" in release["depends_on"]]
            # keyed on the chart's version: a new version replaces the resource, so the step runs again
            assert step["triggers_replace"] == {"repository": key[0], "chart": key[1], "version": key[2]}
            command = step["provisioner"][0]["local-exec"]["command"]
            assert f"helm show crds {key[1]} --repo {key[0]} --version {key[2]}" in command
            assert 'kubectl --kubeconfig "$kubeconfig" apply --server-side --force-conflicts' in command
            assert "set -euo pipefail" in command
            checked.setdefault(name, set()).add(key[1])
    everything = {"aws-load-balancer-controller", "trivy-operator", "redis-operator", "kube-prometheus-stack"}
    assert checked["production-us-west-2-platform"] == checked["production-us-east-1-platform"] == everything


def test_karpenter_crds_come_from_their_own_chart_released_first(stacks):
    for name in ("production-us-west-2-platform", "production-us-east-1-platform", "local-us-west-2-platform"):
        releases = {r["name"]: (logical, r) for logical, r in resources(stacks[name], "helm_release").items()}
        crd_logical, crds = releases["karpenter-crd"]
        _, controller = releases["karpenter"]
        assert crds["chart"] == "karpenter-crd" and crds["version"] == controller["version"]
        assert controller["skip_crds"] is True
        assert f"helm_release.{crd_logical}" in controller["depends_on"]


# --- EKS nodes track their AMI; the interruption queue hears capacity reservations ------------------------------


def test_managed_node_groups_track_the_recommended_ami_release_and_repair_nodes(stacks):
    west = stacks["production-us-west-2"]
    (ssm_logical,) = [k for k, d in west["data"]["aws_ssm_parameter"].items() if "ami-release" in k]
    parameter = west["data"]["aws_ssm_parameter"][ssm_logical]
    assert parameter["name"] == (
        "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version"
    )
    groups = resources(west, "aws_eks_node_group").values()
    assert len(groups) == 4
    for group in groups:
        assert group["release_version"] == f"${{data.aws_ssm_parameter.{ssm_logical}.insecure_value}}"
        assert group["version"] == "1.35"
        assert group["node_repair_config"] == {"enabled": True}


def test_the_emulator_pins_the_ami_release_it_cannot_look_up(stacks, environments):
    local = stacks["local-us-west-2"]
    assert "aws_ssm_parameter" not in {
        k for k in local.get("data", {}) if any("ami-release" in n for n in local["data"][k])
    }
    release = environments["local"].clusters["us-west-2"].ami_release
    assert release == "1.35.0-20260903"
    # moto drops nodeRepairConfig on create (local.yaml says so): off there, and then no block at all
    assert environments["local"].clusters["us-west-2"].node_repair is False
    for group in resources(local, "aws_eks_node_group").values():
        assert group["release_version"] == release
        assert "node_repair_config" not in group


def test_karpenter_queue_hears_capacity_reservation_interruptions(stacks):
    west = stacks["production-us-west-2"]
    rules = {r["name"]: json.loads(r["event_pattern"]) for r in resources(west, "aws_cloudwatch_event_rule").values()}
    rule = rules["tonebridge-production-karpenter-capacity-reservation"]
    assert rule == {"source": ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"]}
    targets = [
        t for t in resources(west, "aws_cloudwatch_event_target").values() if "capacity-reservation" in t["rule"]
    ]
    assert len(targets) == 1 and targets[0]["arn"].startswith("${aws_sqs_queue.")


# --- configuration ---------------------------------------------------------------------------------------------


def _cluster_config(**overrides):
    from tonebridge.config.compute import ClusterConfig

    base = {
        "name": "tb",
        "version": "1.35",
        "node_groups": {"system": {"instance_types": ["t3.medium"], "min_size": 1, "desired_size": 1, "max_size": 2}},
    }
    return ClusterConfig.model_validate({**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"addon_versions": {"coredns": "1.13"}}, "addon_versions: coredns: '1.13' is not an EKS add-on version"),
        ({"addon_versions": {"metrics-server": "v0.8.1-eksbuild.1"}}, "'metrics-server' is not a managed add-on"),
        ({"ami_release": "latest"}, "ami_release: 'latest' is neither 'track' nor an EKS AMI release"),
        (
            {"ami_release": "1.34.2-20260903"},
            "AMI release 1.34.2-20260903 is for Kubernetes 1.34, the cluster runs 1.35",
        ),
    ],
)
def test_cluster_versions_are_checked_in_configuration(overrides, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        _cluster_config(**overrides)


def test_a_version_the_table_has_no_add_ons_for_needs_them_in_configuration(monkeypatch):
    """A cluster version the version table has no add-on row for (a new EKS release, before the table
    catches up) must name every managed add-on's version itself. EKS versions are also checked against
    the cloud facts table, so the missing row is simulated on 1.35."""
    from pydantic import ValidationError

    from tonebridge import versions

    real = versions.table()

    class WithoutRow:
        def __getattr__(self, name):
            return getattr(real, name)

        def addon_versions(self, kubernetes_version):
            raise KeyError(kubernetes_version)

    monkeypatch.setattr(versions, "table", lambda: WithoutRow())
    with pytest.raises(ValidationError, match="addon_versions: no version for vpc-cni, kube-proxy"):
        _cluster_config()
    # the emulator's clusters have no add-ons, so no row is needed for them
    assert _cluster_config(managed_addons=False).resolved_addon_versions() == {}


def test_a_cluster_override_wins_over_the_table():
    cluster = _cluster_config(addon_versions={"coredns": "v1.13.3-eksbuild.2"})
    resolved = cluster.resolved_addon_versions()
    assert resolved["coredns"] == "v1.13.3-eksbuild.2"
    assert resolved["vpc-cni"] == TABLE.addon_versions("1.35")["vpc-cni"]

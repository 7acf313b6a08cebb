"""Kinds of tests (tests/conftest.py): a test that starts another program must say it is an integration
test, so that the benchmark's unit-test figure (bench/synth.py, (d)) cannot quietly grow one."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import INTEGRATION_FIXTURES, SPAWNING_MARKERS, UnmarkedSpawn
from tonebridge.paths import PROJECT_ROOT


def test_an_unmarked_test_cannot_start_a_program():
    with pytest.raises(UnmarkedSpawn, match="mark it `integration`"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


@pytest.mark.integration
def test_a_marked_test_can():
    assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0


def test_the_markers_are_registered_and_the_fit_check_is_integration(request):
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {line.split(":")[0] for line in declared["markers"]}
    assert set(SPAWNING_MARKERS) <= registered
    assert "clusters" in INTEGRATION_FIXTURES
    for item in request.session.items:  # the selected ones: `-m "not integration"` leaves these out
        if "clusters" in getattr(item, "fixturenames", ()):
            assert item.get_closest_marker("integration"), item.nodeid


def test_the_benchmark_unit_figure_leaves_every_spawning_kind_out():
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench import synth

    terms = synth.UNIT_TESTS.split(" and ")
    assert all(t.startswith("not ") for t in terms)
    assert {t.removeprefix("not ") for t in terms} == set(SPAWNING_MARKERS)

"""The loader's report for production.yaml with one value changed: the helper of the tests that pin the
exact ``<file>: <field path>: <reason>`` lines of the settings models (tests/test_vpc.py, test_cluster.py,
test_dr.py, test_autoscaling.py, test_observability.py, test_secrets_scanning.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.test_bad_configs import PRODUCTION, _yaml
from tonebridge.config import ConfigError, load_environment


def loader_report(tmp_path: Path, path: tuple, value: object) -> str:
    """Set ``path`` (mapping keys, created on the way, or list indexes) to ``value`` in a copy of
    production.yaml and return what the loader reports; the file must be refused."""
    doc = copy.deepcopy(PRODUCTION)
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value
    file = tmp_path / "production.yaml"
    file.write_text(_yaml(doc))
    with pytest.raises(ConfigError) as caught:
        load_environment(file)
    return str(caught.value)

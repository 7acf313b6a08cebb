"""Provider mirror discovery: named, found in a standard place, or none (registry)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import terraform_cli


def _mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_named_mirror_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv(terraform_cli.MIRROR_VAR, str(_mirror(tmp_path)))
    assert terraform_cli.find_mirror() == tmp_path
    text = terraform_cli.render_cli_config(tmp_path)
    assert f'path    = "{tmp_path}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text


def test_named_mirror_without_providers_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(terraform_cli.MIRROR_VAR, str(tmp_path))
    with pytest.raises(SystemExit, match="holds no providers"):
        terraform_cli.find_mirror()


def test_implied_mirror_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv(terraform_cli.MIRROR_VAR, raising=False)
    monkeypatch.setattr(terraform_cli, "_implied_mirrors", lambda: [tmp_path / "empty", _mirror(tmp_path / "m")])
    assert terraform_cli.find_mirror() == tmp_path / "m"


def test_without_mirror_terraform_uses_the_registry(monkeypatch):
    monkeypatch.delenv(terraform_cli.MIRROR_VAR, raising=False)
    monkeypatch.setattr(terraform_cli, "_implied_mirrors", list)
    monkeypatch.setattr(terraform_cli, "_searched_mirrors", list)
    assert terraform_cli.find_mirror() is None
    assert "provider_installation" not in terraform_cli.render_cli_config(None)

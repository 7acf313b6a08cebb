#!/usr/bin/env bash
# Install everything the project needs from its own lock files: Python packages (Pipfile.lock,
# through pipenv) and the cdktf CLI with Node 22 for jsii (package-lock.json, through npm).
set -euo pipefail
cd "$(dirname "$0")/.."

PIPENV_VERSION="2026.10.3"
missing=()
command -v python3 >/dev/null 2>&1 || missing+=("python3 (3.11; https://www.python.org/downloads/)")
command -v npm >/dev/null 2>&1 || missing+=("node and npm (Node 20 or newer; https://nodejs.org/)")
command -v terraform >/dev/null 2>&1 || missing+=("terraform (1.11 or newer; https://developer.hashicorp.com/terraform/install)")
if ((${#missing[@]})); then
  echo "install: these tools are required but not on PATH:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "install: python3 must be 3.11 (Pipfile requires it); found $(python3 --version)" >&2; exit 1; }

# pipenv runs as `python3 -m pipenv` everywhere (Makefile, cdktf.json), so a --user install works
# without touching PATH.
if ! python3 -m pipenv --version >/dev/null 2>&1; then
  echo "==> pipenv not found; installing pipenv==${PIPENV_VERSION} for this user"
  python3 -m pip install --quiet --user "pipenv==${PIPENV_VERSION}"
fi

echo "==> Python packages from Pipfile.lock (into .venv)"
PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 python3 -m pipenv sync --dev
echo "==> network-config-analyzer (tools/nca/Pipfile.lock, into tools/nca/.venv; the fit check runs it)"
(cd tools/nca && PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 python3 -m pipenv sync)
echo "==> cdktf CLI and Node 22 from package-lock.json"
if [ node_modules/.package-lock.json -nt package-lock.json ] && [ -x node_modules/.bin/cdktf ]; then
  echo "node_modules is up to date"
else
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "==> Terraform provider source"
PIPENV_VERBOSITY=-1 python3 -m pipenv run python -m tonebridge.ops.terraform_cli

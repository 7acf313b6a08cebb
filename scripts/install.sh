#!/usr/bin/env bash
# Install everything the project needs from its own lock files: Python packages (Pipfile.lock,
# through pipenv) and the cdktf CLI with Node 22 for jsii (package-lock.json, through npm).
# pipenv and npm print little while they download, so each step says every HEARTBEAT seconds that it is
# still working, and the end lists each step's time.
set -euo pipefail
cd "$(dirname "$0")/.."

HEARTBEAT="${INSTALL_HEARTBEAT_SECONDS:-15}"
started=$(date +%s)
step_names=()
step_seconds=()

# step NAME COMMAND...: a banner, the command (its own output as it comes), a line every HEARTBEAT seconds
# while it runs, and its time kept for the summary. Fails the install when the command fails.
step() {
  local name=$1 begun status=0 ticker
  shift
  begun=$(date +%s)
  echo "==> ${name}"
  (
    while sleep "$HEARTBEAT"; do echo "    ... ${name}: still working, $(($(date +%s) - begun))s so far"; done
  ) &
  ticker=$!
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  step_names+=("$name")
  step_seconds+=("$(($(date +%s) - begun))")
  if ((status != 0)); then
    echo "install: '${name}' failed (status ${status}) after ${step_seconds[-1]}s" >&2
    exit "$status"
  fi
  echo "    ${name}: done in ${step_seconds[-1]}s"
}

summary() {
  echo "==> install finished in $(($(date +%s) - started))s"
  local i
  for i in "${!step_names[@]}"; do
    printf '    %5ss  %s\n' "${step_seconds[$i]}" "${step_names[$i]}"
  done
}

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

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# Debian packages the tests need: apt-get update once per install run, then the packages named. `return` on
# failure: inside `step` (a `||` list) bash does not stop at a failing command by itself.
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q || return
    apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The restore drills (tests/test_restore_drill.py) start a real PostgreSQL server on loopback: Debian's
# `postgresql` package (server binaries in /usr/lib/postgresql/<major>/bin, client tools, the
# `postgres` user). Installed once; the drills fail, never skip, without it.
install_postgresql() {
  apt_install postgresql || return
  # The package's own cluster is not used (the drills start theirs in a temporary folder).
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _; do
      $sudo pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
  fi
}

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && command -v pg_restore >/dev/null 2>&1; then
  echo "==> PostgreSQL server for the restore drills: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
elif command -v apt-get >/dev/null 2>&1; then
  step "PostgreSQL server for the restore drills (Debian's postgresql package, apt-get)" install_postgresql
else
  echo "install: the restore drills need a PostgreSQL server (Debian: apt-get install postgresql); no apt-get here" >&2
  exit 1
fi

# `make docs` renders docs/architecture.svg with Graphviz's `dot` (Debian's `graphviz`) in DejaVu Sans
# (`fonts-dejavu-core`): the text's measured widths shape the layout, so the same font is needed for the same
# bytes. tests/test_docs_architecture.py fails, never skips, without them.
if command -v dot >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "DejaVu Sans"; then
  echo "==> Graphviz for the architecture picture: $(dot -V 2>&1)"
elif command -v apt-get >/dev/null 2>&1; then
  step "Graphviz and DejaVu fonts for the architecture picture (Debian's graphviz, fonts-dejavu-core; apt-get)" \
    apt_install graphviz fonts-dejavu-core fontconfig
  command -v dot >/dev/null 2>&1 || { echo "install: graphviz was installed but \`dot\` is not on PATH" >&2; exit 1; }
else
  echo "install: make docs needs Graphviz's dot and the DejaVu fonts" \
    "(Debian: apt-get install graphviz fonts-dejavu-core); no apt-get here" >&2
  exit 1
fi

# pipenv runs as `python3 -m pipenv` everywhere (Makefile, cdktf.json), so a --user install works
# without touching PATH.
if ! python3 -m pipenv --version >/dev/null 2>&1; then
  step "pipenv==${PIPENV_VERSION} for this user (pip)" python3 -m pip install --quiet --user "pipenv==${PIPENV_VERSION}"
fi

export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1
step "Python packages from Pipfile.lock (into .venv)" python3 -m pipenv sync --dev
step "network-config-analyzer (tools/nca/Pipfile.lock, into tools/nca/.venv; the fit check runs it)" \
  bash -c 'cd tools/nca && python3 -m pipenv sync'
if [ -L node_modules ]; then
  # A git worktree sharing its checkout's packages: npm ci deletes node_modules' contents first, which through
  # the link would empty the other checkout's folder.
  echo "==> cdktf CLI and Node 22: node_modules links to $(readlink node_modules); left as it is (run make install there)"
elif [ node_modules/.package-lock.json -nt package-lock.json ] && [ -x node_modules/.bin/cdktf ]; then
  echo "==> cdktf CLI and Node 22 from package-lock.json: node_modules is up to date"
else
  step "cdktf CLI and Node 22 from package-lock.json (npm ci)" npm ci --no-audit --no-fund --loglevel=error
fi
step "Terraform provider source" env PIPENV_VERBOSITY=-1 python3 -m pipenv run python -m tools.terraform_cli
summary

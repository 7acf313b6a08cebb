# ToneBridge infrastructure. `make demo` then `make test` is all a newcomer needs (see README).
SHELL := /bin/bash
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
# The Helm chart repository the fit check renders charts from: an offline copy (index.yaml + archives) in
# shared/charts beside the checkout where there is one, unless the environment names another folder.
TONEBRIDGE_CHART_REPOSITORY ?= $(wildcard $(abspath ../shared/charts))
export TONEBRIDGE_CHART_REPOSITORY
PIPENV := python3 -m pipenv
PY := $(PIPENV) run python

.PHONY: install synth demo test lint fmt policy fit versions clean

install: ## Install Python (Pipfile.lock) and Node (package-lock.json) dependencies
	@./scripts/install.sh

synth: install ## Synthesize every environment, or those in TONEBRIDGE_ENVIRONMENTS, into cdktf.out/
	$(PY) main.py

demo: install ## Deploy `local` to the AWS emulator on loopback, plan again, destroy
	$(PY) -m tonebridge.ops.demo

test: install ## Unit, snapshot, validate, policy and emulator-deploy tests (two processes: scripts/test.sh)
	@./scripts/test.sh

policy: synth ## checkov over cdktf.out/, measured against policy/checkov_skips.yaml
	$(PY) -m tonebridge.ops.policy cdktf.out

.PHONY: bench
bench: install ## Synthesis speed benchmark (README, "Synthesis speed"); takes a few minutes
	$(PY) bench/synth.py

fit: synth ## Cluster-fit check: every chart rendered, admission, quotas, scheduling, volumes, network (README, "Cluster fit")
	$(PY) -m tonebridge.ops.fit cdktf.out

versions: install ## The version table (tonebridge/versions.yaml) with each component's support status today
	$(PY) -m tonebridge.ops.versions

lint: install ## ruff lint and format check
	$(PIPENV) run ruff check .
	$(PIPENV) run ruff format --check .

fmt:
	$(PIPENV) run ruff format .
	$(PIPENV) run ruff check --fix .

clean:
	rm -rf cdktf.out .cache .pytest_cache

# ToneBridge infrastructure. `make demo` then `make test` is all a newcomer needs (see README).
SHELL := /bin/bash
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
PY := pipenv run python

.PHONY: install synth demo test lint fmt checkov clean

install: ## Install Python (Pipfile.lock) and Node (package-lock.json) dependencies
	@./scripts/install.sh

synth: ## Synthesize every environment, or those in TONEBRIDGE_ENVIRONMENTS, into cdktf.out/
	$(PY) main.py

demo: install ## Deploy `local` to the AWS emulator on loopback, plan again, destroy
	$(PY) -m tonebridge.ops.demo

test: ## Unit, snapshot, validate, policy and emulator-deploy tests
	pipenv run pytest

lint: ## ruff lint and format check
	pipenv run ruff check .
	pipenv run ruff format --check .

fmt:
	pipenv run ruff format .
	pipenv run ruff check --fix .

clean:
	rm -rf cdktf.out .cache .pytest_cache

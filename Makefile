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

.PHONY: install synth demo test lint fmt policy fit clean cloudfacts backup-postgres list-postgres-backups restore-postgres promote-replica hold-primary release-primary versions

install: ## Install Python (Pipfile.lock) and Node (package-lock.json) dependencies
	@./scripts/install.sh

synth: install ## Synthesize every environment, or those in TONEBRIDGE_ENVIRONMENTS, into cdktf.out/
	$(PY) main.py

demo: install ## Deploy `local` to the AWS emulator on loopback, plan again, destroy
	$(PY) -m tools.demo

test: install ## Unit, snapshot, validate, policy and emulator-deploy tests (two processes: scripts/test.sh)
	@./scripts/test.sh

policy: synth ## checkov over cdktf.out/, measured against policy/checkov_skips.yaml
	$(PY) -m tools.policy cdktf.out

.PHONY: bench synth-budget
bench: install ## Synthesis speed benchmark (docs/performance.md); takes a few minutes
	$(PY) bench/synth.py

synth-budget: install ## jsii requests per stack against tests/synth_budget.yaml; WRITE=1 rewrites it
	$(PY) -m tools.synth_budget $(if $(WRITE),--write)

fit: synth ## Cluster-fit check: every chart rendered, admission, quotas, scheduling, volumes, network (docs/cluster-fit.md)
	$(PY) -m tools.fit cdktf.out

cloudfacts: install ## Regenerate the generated cloud facts (tonebridge/cloudfacts/aws_*.json) from moto's and botocore's data
	$(PY) scripts/cloudfacts.py
# --- Disaster-recovery runbook (docs/runbooks/postgres-restore.md) -------------------------
# The logical backup of production's database: scripts/pg_logical_backup.py, the same file the CronJob
# `postgres-logical-backup` runs. Connection from libpq's variables (PGHOST, PGPORT, PGUSER,
# PGPASSWORD, PGSSLMODE); bucket and prefix from BACKUP_BUCKET / BACKUP_PREFIX (postgres-logical/<env>).
BACKUP_SCRIPT := scripts/pg_logical_backup.py

backup-postgres: ## Take a logical backup now (the CronJob's command; BACKUP_KMS_KEY_ID, PG_CREDENTIALS_DIR)
	$(PY) $(BACKUP_SCRIPT) backup

list-postgres-backups: ## Complete logical backup runs under BACKUP_BUCKET/BACKUP_PREFIX, oldest first
	$(PY) $(BACKUP_SCRIPT) list

restore-postgres: ## Create DATABASE from the newest complete run (RUN=<id>, FROM_DIR=<local copy of a run>)
	@test -n "$(DATABASE)" || { echo "usage: make restore-postgres DATABASE=<name> [RUN=<id>] [FROM_DIR=<dir>]" >&2; exit 2; }
	$(PY) $(BACKUP_SCRIPT) restore --database "$(DATABASE)" --run "$(or $(RUN),latest)" $(if $(FROM_DIR),--from-dir "$(FROM_DIR)")

# Regional failover (docs/runbooks/regional-failover.md): the API call now, the matching switch in configuration after.
promote-replica: ## Promote ENV's cross-region RDS replica and wait; then set database.rds.replica_promoted: true
	$(PY) -m tools.failover promote-replica --environment "$(ENV)"

hold-primary: ## Invert ENV's primary health check (traffic stays on the secondary); then dns.health_check.hold_primary: true
	$(PY) -m tools.failover hold-primary --environment "$(ENV)"

release-primary: ## Restore ENV's primary health check (fail back); then dns.health_check.hold_primary: false
	$(PY) -m tools.failover release-primary --environment "$(ENV)"

.PHONY: cost
cost: install ## Monthly cost estimate per environment and stack, offline (tools/cost/prices.yaml: prices, sources, dates, usage assumed)
	$(PY) -m tools.cost

.PHONY: docs
docs: install ## Regenerate docs/configuration.md, schema/environment.schema.json and docs/architecture.svg (idempotent)
	$(PY) -m tools.docs.config_reference
	$(PY) -m tools.docs.architecture

versions: install ## The version table (tonebridge/versions.yaml) with each component's support status today
	$(PY) -m tools.versions

lint: install ## ruff lint and format check
	$(PIPENV) run ruff check .
	$(PIPENV) run ruff format --check .

fmt:
	$(PIPENV) run ruff format .
	$(PIPENV) run ruff check --fix .

clean:
	rm -rf cdktf.out .cache .pytest_cache

# The two commands: `make run` (the whole helpdesk locally) and `make test` (every test).
# Each creates the virtualenv and installs what it needs on first use; a second run installs nothing.
# Cloud: `make synth STAGE=prod` (offline), `make deploy STAGE=dev`, `make destroy STAGE=dev`;
# CDK_ARGS='-c caseway:alarm_email=ops@acme.example' overrides a stage setting (infra/stages.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PORT ?= 8000
# pytest-xdist workers for `make test` (auto: one per core; 0: serial). Whole files go to one worker, so a
# module's fixtures (the CDK synth, the local stack) start once.
TEST_WORKERS ?= auto
STAGE ?= dev
CDK_ARGS ?=
CDK := node_modules/.bin/cdk

# Node 20 still runs the pinned CDK CLI and jsii; keep their end-of-life banners and telemetry quiet.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: run test lint format bench load clean synth deploy destroy

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The CDK CLI and the ASL validator, pinned in package.json / package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

run: $(STAMP)
	PORT=$(PORT) $(BIN)/caseway local

test: $(STAMP) $(NODE_STAMP) lint
	TZ=UTC $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	TZ=UTC $(BIN)/python bench/run.py

# locust, headless: USERS (default 50) people for DURATION (default 2m) against a local stack started for the run,
# or URL=http://127.0.0.1:8000 for one that runs; lost writes counted afterwards; figures into bench/results.json.
load: $(STAMP)
	TZ=UTC $(BIN)/python bench/load.py

synth: $(STAMP) $(NODE_STAMP)
	$(CDK) synth -c stage=$(STAGE) $(CDK_ARGS) --quiet

deploy: $(STAMP) $(NODE_STAMP)
	$(CDK) deploy -c stage=$(STAGE) $(CDK_ARGS) caseway-$(STAGE)

destroy: $(STAMP) $(NODE_STAMP)
	$(CDK) destroy -c stage=$(STAGE) $(CDK_ARGS) caseway-$(STAGE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache cdk.out .cache/lambda-deps

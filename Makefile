# The two commands: `make run` (the whole helpdesk locally) and `make test` (every test).
# Each creates the virtualenv and installs what it needs on first use; a second run installs nothing.
# Cloud: `make synth STAGE=prod` (offline), `make deploy STAGE=dev`, `make destroy STAGE=dev`;
# CDK_ARGS='-c caseway:alarm_email=ops@acme.example' overrides a stage setting (infra/stages.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The web app (web/): its npm packages, and its build (web/dist), remade when a source changes.
WEB_STAMP := web/node_modules/.installed
WEB_DIST := web/dist/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
# The browser the web app's tests drive (Debian's Chromium; Playwright's own download needs the open internet).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8000
SMTP_PORT ?= 2525
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

.PHONY: run test lint format bench load clean synth deploy destroy web web-types chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The CDK CLI and the ASL validator, pinned in package.json / package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# The web app: npm ci from web/package-lock.json, then type-check and build into web/dist (served by `make run`,
# deployed by the CDK app, tested by tests/web).
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

$(WEB_DIST): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && node_modules/.bin/tsc --noEmit && node_modules/.bin/vite build --logLevel warn

web: $(WEB_DIST)

# The API client's types (web/src/api/schema.d.ts) from the API's routes (functions.api.app) through its OpenAPI
# document; tests/web/test_api_types.py fails when they are stale.
web-types: $(STAMP) $(WEB_STAMP)
	TZ=UTC $(BIN)/python web/scripts/openapi_dump.py .cache/openapi.json
	cd web && node_modules/.bin/openapi-typescript ../.cache/openapi.json -o src/api/schema.d.ts

chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y chromium

run: $(STAMP) $(WEB_DIST)
	PORT=$(PORT) SMTP_PORT=$(SMTP_PORT) $(BIN)/caseway local

test: $(STAMP) $(NODE_STAMP) $(WEB_DIST) $(CHROMIUM) lint
	TZ=UTC $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) $(WEB_DIST)
	TZ=UTC $(BIN)/python bench/run.py

# locust, headless: USERS (default 50) people for DURATION (default 2m) against a local stack started for the run,
# or URL=http://127.0.0.1:8000 for one that runs; lost writes counted afterwards; figures into bench/results.json.
load: $(STAMP)
	TZ=UTC $(BIN)/python bench/load.py

synth: $(STAMP) $(NODE_STAMP) $(WEB_DIST)
	$(CDK) synth -c stage=$(STAGE) $(CDK_ARGS) --quiet

deploy: $(STAMP) $(NODE_STAMP) $(WEB_DIST)
	$(CDK) deploy -c stage=$(STAGE) $(CDK_ARGS) caseway-$(STAGE)

destroy: $(STAMP) $(NODE_STAMP)
	$(CDK) destroy -c stage=$(STAGE) $(CDK_ARGS) caseway-$(STAGE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache cdk.out .cache/lambda-deps web/node_modules web/dist

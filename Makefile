# Everything a fresh machine needs is installed by these targets; nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two installs: running needs the package and the embedded server; tests, lint and
# benchmarks add the dev extras on top.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# JWSTDATA_HOME is not set here: `make run` and a `jwstdata` command typed in any other
# directory then share the per-user data directory. Pass JWSTDATA_HOME=... to override.

.PHONY: setup setup-run browser run test lint format bench clean db-stop

$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	@touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	@touch $@

## make setup: everything, for development (tests, lint, benchmarks).
setup: $(DEV_STAMP)

## make setup-run: only what `make run` needs.
setup-run: $(RUN_STAMP)

## make run [PORT=8000] [HOST=127.0.0.1]: start the embedded database and serve the API, the
# dashboard and one job worker. Ctrl-C or SIGTERM stops the server and the worker; the
# embedded database keeps running for the CLI until `make db-stop`.
# Development mode: a signing secret is generated under $JWSTDATA_HOME (never in production).
run: $(RUN_STAMP)
	@$(BIN)/jwstdata db start
	@$(BIN)/jwstdata db init
	@echo
	@echo "jwstdata: dashboard at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/docs)"
	@echo "  create a user:  $(BIN)/jwstdata users create admin --admin"
	@echo "  search:         $(BIN)/jwstdata search --table"
	@echo "  the embedded database keeps running after Ctrl-C: stop it with"
	@echo "  make db-stop  (or $(BIN)/jwstdata db stop)"
	@echo
	@JWSTDATA_DEV_MODE=1 exec $(BIN)/jwstdata serve --host $(HOST) --port $(PORT) --with-worker

## make browser: Debian's chromium for the dashboard's end-to-end tests (Playwright drives it;
# Playwright never downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## make test: set up and run the whole test suite against real servers.
test: $(DEV_STAMP) browser
	$(BIN)/python -m pytest

## make test-ferretdb: build FerretDB v1.24.2 into .tools/ (once; needs `go`) and run the
# data-layer, ingest, lineage and API tests against it (SQLite backend, started and stopped
# by the test session on 127.0.0.1). See README "Compatibility: FerretDB". The counters'
# randomised test is not in this list: FerretDB's SQLite backend scans the counters table
# for every upsert, which takes that test past its 5-minute limit.
FERRETDB_TESTS := tests/test_db_features.py tests/test_repository.py tests/test_access_control.py \
	tests/test_pagination.py tests/test_indexes.py tests/test_cli_records.py tests/test_ingest.py tests/test_lineage.py \
	$(filter-out tests/test_api_fuzz.py,$(wildcard tests/test_api_*.py)) tests/test_client.py
.PHONY: test-ferretdb
test-ferretdb: $(DEV_STAMP)
	scripts/ferretdb.sh
	JWSTDATA_TEST_SERVER=ferretdb JWSTDATA_FERRETDB_BIN=$(CURDIR)/.tools/bin/ferretdb \
		$(BIN)/python -m pytest $(FERRETDB_TESTS)

## make lint: ruff (lint + format) and the layer contracts (import-linter, see pyproject.toml).
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## make bench: run every benchmark; JSON results land in bench/results/.
bench: $(DEV_STAMP)
	$(BIN)/python bench/run_all.py

db-stop: $(RUN_STAMP)
	$(BIN)/jwstdata db stop

clean:
	-$(BIN)/jwstdata db stop
	rm -rf $(VENV) .pytest_cache .ruff_cache

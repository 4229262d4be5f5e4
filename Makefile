# Everything a fresh machine needs is installed by these targets; nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JWSTDATA_HOME ?= $(CURDIR)/var

.PHONY: setup browser run test lint format bench clean db-stop

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	@touch $(STAMP)

setup: $(STAMP)

## make run: start the embedded database and serve the API on http://127.0.0.1:8000.
# Development mode: a signing secret is generated under $JWSTDATA_HOME (never in production).
run: setup
	$(BIN)/jwstdata db start
	$(BIN)/jwstdata db init
	@echo
	@echo "jwstdata: API and docs at http://127.0.0.1:8000/docs"
	@echo "  create a user:  $(BIN)/jwstdata users create admin --admin"
	@echo "  search:         $(BIN)/jwstdata search --table"
	JWSTDATA_DEV_MODE=1 $(BIN)/jwstdata serve --host 127.0.0.1 --port 8000 --with-worker

## make browser: Debian's chromium for the dashboard's end-to-end tests (Playwright drives it;
# Playwright never downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## make test: set up and run the whole test suite against real servers.
test: setup browser
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
test-ferretdb: setup
	scripts/ferretdb.sh
	JWSTDATA_TEST_SERVER=ferretdb JWSTDATA_FERRETDB_BIN=$(CURDIR)/.tools/bin/ferretdb \
		$(BIN)/python -m pytest $(FERRETDB_TESTS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## make bench: run every benchmark; JSON results land in bench/results/.
bench: setup
	$(BIN)/python bench/run_all.py

db-stop: setup
	$(BIN)/jwstdata db stop

clean:
	-$(BIN)/jwstdata db stop
	rm -rf $(VENV) .pytest_cache .ruff_cache

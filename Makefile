# Everything a fresh machine needs is installed by these targets; nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JWSTDATA_HOME ?= $(CURDIR)/var

.PHONY: setup run test lint format bench clean db-stop

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	@touch $(STAMP)

setup: $(STAMP)

## make run: start the embedded database, initialise it, and show how to use it.
run: setup
	$(BIN)/jwstdata db start
	$(BIN)/jwstdata db init
	@echo
	@echo "jwstdata is ready. Try:"
	@echo "  $(BIN)/jwstdata db status"
	@echo "  $(BIN)/jwstdata search --table"
	@echo "  $(BIN)/jwstdata --help"

## make test: set up and run the whole test suite against real servers.
test: setup
	$(BIN)/python -m pytest

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

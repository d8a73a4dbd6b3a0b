# Quick start: `make` sets up .venv and builds; `make test` runs the checks and the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all build verify test lint bench golden clean

all: build

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

build: $(STAMP)
	$(BIN)/divsym build

verify: $(STAMP)
	$(BIN)/divsym verify

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

golden: $(STAMP)
	$(BIN)/python tools/update_golden.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_numeric.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

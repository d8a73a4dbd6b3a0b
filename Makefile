# Quick start: `make` sets up .venv and builds; `make test` runs the checks and the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all build verify test lint bench golden clean docs

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

# The documentation site (docs/): Sphinx + MyST-NB, warnings as errors, into build/docs/.
# MathJax 3 comes from the npm registry into build/docs-vendor/ (the site serves it itself).
MATHJAX_VERSION := 3.2.2
MATHJAX := build/docs-vendor/node_modules/mathjax/es5/tex-chtml.js

$(MATHJAX):
	npm install --prefix build/docs-vendor --no-save --no-audit --no-fund --loglevel=error \
		mathjax@$(MATHJAX_VERSION)

docs: $(STAMP) $(MATHJAX)
	rm -f build/docs/.built
	$(BIN)/sphinx-build -W --keep-going -q -c docs -b html . build/docs
	touch build/docs/.built

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

# Alphintra mesh. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
LOCK ?= requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell sha256sum $(LOCK) pyproject.toml 2>/dev/null | sha256sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: help
help: ## this list
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(PYTHON) || $(PYTHON_SYSTEM) -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip sync --quiet --python $(PYTHON) $(LOCK)
	$(UV) pip install --quiet --python $(PYTHON) --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

.PHONY: setup
setup: $(STAMP) ## create .venv and install the locked dependencies (idempotent)

.PHONY: lock
lock: setup ## re-resolve requirements/*.lock from pyproject.toml
	$(UV) pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 --no-header --no-annotate -q -o requirements/bench.lock
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -c requirements/bench.lock --no-header --no-annotate -q -o requirements/dev.lock

.PHONY: proto
proto: setup ## generate Python code, type stubs and the Envoy descriptor set from protos/
	$(PYTHON) scripts/gen_protos.py

.PHONY: proto-check
proto-check: setup ## fail if the committed generated code differs from a fresh generation
	$(PYTHON) scripts/gen_protos.py --check

.PHONY: envoy
envoy: setup ## render deploy/envoy/envoy.yaml (reference ports) and validate it
	$(PYTHON) -m services.mesh.envoy_config --out deploy/envoy/envoy.yaml --validate

.PHONY: lint
lint: setup ## ruff (code) and buf lint (protos)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd protos && ../$(VENV)/bin/buf lint

.PHONY: format
format: setup ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

.PHONY: test
test: setup lint ## set up and run the whole test suite (starts its own PostgreSQL, Redis and Envoy)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: unit
unit: setup ## only the tests that need no server
	$(VENV)/bin/pytest -m "not integration" $(PYTEST_ARGS)

.PHONY: run
run: proto ## set up everything and run the whole mesh on the embedded default (Ctrl-C stops it)
	$(PYTHON) -m services.mesh.devstack

.PHONY: demo
demo: setup ## the whole journey against the mesh `make run` runs (in a second terminal), through Envoy over TLS
	$(PYTHON) -m services.mesh.demo

.PHONY: bench
bench: ## benchmarks against the peers, printed as ratios (never a pass/fail)
	$(MAKE) --no-print-directory setup LOCK=requirements/bench.lock
	$(PYTHON) -m tests.performance

.PHONY: clean
clean: ## remove .run/ (embedded databases, logs) and caches; keeps .venv
	rm -rf .run .pytest_cache .ruff_cache .hypothesis

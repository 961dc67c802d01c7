# ragmono: `make run` serves the API, `make test` runs every check. Both install what is missing.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(shell command -v $(PYTHON))

.PHONY: help install install-run run test lint format typecheck bench bench-quality bench-answers bench-replicas clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.9,<1"

# Two stamps say which set .venv holds: serving only (`make run`) or serving + dev tools
# (`make test`, a superset). Each syncs only when its set is missing or uv.lock changed, so
# both are idempotent and need no network once installed.
$(RUN_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --no-dev
	@rm -f $(DEV_STAMP)
	@touch $@

$(DEV_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@ $(RUN_STAMP)

install: $(DEV_STAMP) ## Install ragmono and its dev tools into .venv (idempotent)

install-run: $(RUN_STAMP) ## Install only what serving needs (what `make run` does)

run: $(RUN_STAMP) ## Serve the API on 127.0.0.1:8000 with embedded defaults (ARGS="--port 9000")
	$(VENV)/bin/ragmono serve $(ARGS)

lint: install ## ruff check, ruff format --check, mypy --strict
	$(VENV)/bin/ruff check src tests benchmarks migrations
	$(VENV)/bin/ruff format --check src tests benchmarks migrations
	$(VENV)/bin/mypy --strict src

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks migrations
	$(VENV)/bin/ruff format src tests benchmarks migrations

test: lint ## Lint, type-check and run the whole test suite
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install ## k6 load test (< 10 min, ARGS="--full"), then search during ingest (INGEST_ARGS)
	$(VENV)/bin/python -m benchmarks.run $(ARGS)
	$(VENV)/bin/python -m benchmarks.search_during_ingest $(INGEST_ARGS)

bench-quality: install ## nDCG@10 on BEIR SciFact, dense/keyword/hybrid (ARGS="--docs 500 --queries 50")
	$(VENV)/bin/python -m benchmarks.retrieval_quality $(ARGS)

# The tree before issue #24 (answers you can trust): the fixed "before" of the answer benchmark.
ANSWERS_BEFORE ?= 60d579b
bench-answers: install ## Answer quality: SQuAD even articles + Debian manuals, before #24 vs this tree
	$(VENV)/bin/python -m benchmarks.answers --set squad --sample 500 --before $(ANSWERS_BEFORE) $(ARGS)
	$(VENV)/bin/python -m benchmarks.answers --set docs --before $(ANSWERS_BEFORE) $(ARGS)

bench-replicas: install ## Search throughput with 1, 2, 3 replicas on shared Redis + Qdrant twin (~4 min)
	$(VENV)/bin/python -m benchmarks.replica_throughput $(ARGS)

clean: ## Remove the virtualenvs and caches (not ./data)
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache

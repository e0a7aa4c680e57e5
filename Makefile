# One entry point for people and CI. Every target installs what it needs into .venv from the
# locked versions in requirements.lock, so a fresh clone needs only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# Extras each target needs; `make test` takes them all, `make demo` only the core.
TEST_EXTRAS := service,postgres,spark,bench,dev,identity
DEMO_ARGS ?=

.PHONY: help venv install-demo install-dev demo test lint types layers check bench clean

help:
	@echo "make demo    score a synthetic population of 100 000 into ./trustscore-demo/"
	@echo "make test    the test suite (installs everything it needs into .venv)"
	@echo "make check   lint, types, layer contracts and tests: exactly what CI runs"
	@echo "make bench   the accuracy, scoring, service, ingest and scale benchmarks (minutes; writes results.md)"

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.demo-installed: pyproject.toml requirements.lock | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml requirements.lock | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e ".[$(TEST_EXTRAS)]"
	touch $@ $(VENV)/.demo-installed

install-demo: $(VENV)/.demo-installed
install-dev: $(VENV)/.dev-installed

demo: install-demo
	$(BIN)/trustscore demo $(DEMO_ARGS)

test: install-dev
	$(BIN)/python -m pytest

LINT_PATHS := src tests $(wildcard benchmarks)

lint: install-dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

types: install-dev
	$(BIN)/mypy

layers: install-dev
	$(BIN)/lint-imports

check: lint types layers test

# Re-resolve the lock from pyproject.toml (run by hand, commit the result).
lock: | $(BIN)/uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 --all-extras pyproject.toml \
		--constraint requirements.pins -o requirements.lock

# Benchmarks are not tests: each measures ratios side by side in one run and writes results.md.
bench: install-dev
	$(BIN)/python -m benchmarks.accuracy
	$(BIN)/python -m benchmarks.scoring
	$(BIN)/python -m benchmarks.service
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.scale --subjects 100000

clean:
	rm -rf $(VENV) trustscore-demo .pytest_cache .mypy_cache .ruff_cache

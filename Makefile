# iOperator: `make run` serves the app, `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 3000

export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export IOPERATOR_PUBLIC_BASE_URL ?= http://localhost:$(PORT)

.PHONY: run test lint format migrate install install-dev chromium test-unit test-e2e bench clean

# --- set-up (each step is skipped when already done) ----------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The system's Chromium drives the end-to-end tests (Playwright cannot download browsers offline).
chromium:
	@if [ -n "$$CHROMIUM_PATH" ] && [ -x "$$CHROMIUM_PATH" ]; then exit 0; fi; \
	if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium package for the end-to-end tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium is needed for the end-to-end tests and is not installed." >&2; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to its binary." >&2; \
	  exit 1; \
	fi

migrate: install
	$(BIN)/python -m ioperator migrate

# --- the two commands --------------------------------------------------------------------
run: migrate
	@echo ""
	@echo "  iOperator is starting on http://localhost:$(PORT)  (first start builds the frontend)"
	@echo ""
	@NPM_CONFIG_REGISTRY=$${NPM_CONFIG_REGISTRY:-$$($(BIN)/npm config get registry 2>/dev/null)} \
	  $(BIN)/reflex run --env prod --frontend-port $(PORT)

test: install-dev chromium lint
	@NPM_CONFIG_REGISTRY=$${NPM_CONFIG_REGISTRY:-$$($(BIN)/npm config get registry 2>/dev/null)} \
	  $(BIN)/python -m pytest $(PYTEST_ARGS)

# --- pieces ------------------------------------------------------------------------------
lint: install-dev
	$(BIN)/ruff format --check ioperator tests bench alembic rxconfig.py
	$(BIN)/ruff check ioperator tests bench alembic rxconfig.py
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format ioperator tests bench alembic rxconfig.py
	$(BIN)/ruff check --fix ioperator tests bench alembic rxconfig.py

test-unit: install-dev
	$(BIN)/python -m pytest tests/unit tests/api $(PYTEST_ARGS)

test-e2e: install-dev chromium
	@NPM_CONFIG_REGISTRY=$${NPM_CONFIG_REGISTRY:-$$($(BIN)/npm config get registry 2>/dev/null)} \
	  $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

bench: install-dev chromium
	$(BIN)/python bench/pages.py

clean:
	rm -rf .web .states test-artifacts

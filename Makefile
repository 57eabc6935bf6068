# iocvn — the two commands are `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist): each worker has its own test database.
XDIST ?= -n auto

.PHONY: demo test install install-dev system-deps lint test-sqlite test-pg bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-runnable: pip skips what is already installed; the stamp tracks pyproject.toml.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev system-deps

# Debian packages the tests need: Chromium for the browser tests (never a downloaded
# browser) and the PostgreSQL client tools for backup/restore.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: install
	$(BIN)/iocvn demo

serve: install
	$(BIN)/iocvn serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test-sqlite: install-dev
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

test-pg: install-dev
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  IOCVN_TEST_DATABASE="$(PG_TEST_URL)" $(BIN)/pytest -q $(XDIST) -m "not browser" $(PYTEST_ARGS); \
	else echo "PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL pass skipped"; fi

test: install-dev lint test-sqlite test-pg

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

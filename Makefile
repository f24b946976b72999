# 涉案财物三方共管 custody tracker — the two commands a newcomer needs: `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi.py

CATALOG := custody/translations/zh_Hans_CN/LC_MESSAGES/messages
.DEFAULT_GOAL := help

.PHONY: help run test test-clock install install-test translations extract-messages browser lint permissions-doc clean

help:
	@echo "make run    — set up (virtualenv, database, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test   — set up and run the whole test suite (add TEST_DATABASE_URL for PostgreSQL)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

$(CATALOG).mo: $(CATALOG).po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d custody/translations --statistics

install: $(VENV)/.installed $(CATALOG).mo
install-test: $(VENV)/.installed-test $(CATALOG).mo
translations: $(CATALOG).mo

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask custody seed-demo
	$(BIN)/flask custody checkpoint --if-needed
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	exec $(BIN)/gunicorn --workers 2 --threads 4 --timeout 120 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

browser:
	@scripts/ensure-browser.sh

test: install-test browser lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The suite with the process clock moved (libfaketime): more than a year ahead, landing at 00:20 Beijing
# time (16:20 UTC: just after local midnight, where "an hour ago" is the day before), and a month end
# across a leap day at 23:30 Beijing time. Nothing may read the wall clock around custody/domain/clock.py.
AHEAD_SECONDS = $(shell now=$$(date +%s); t=$$((now + 400 * 86400)); echo $$((t - t % 86400 + 16 * 3600 + 20 * 60 - now)))
test-clock: install-test browser
	TEST_DATABASE_URL= faketime -m -f +$(AHEAD_SECONDS) $(BIN)/pytest -n 2 -q -p no:cacheprovider $(PYTEST_ARGS)
	TEST_DATABASE_URL= TZ=UTC faketime -m '2028-02-29 15:30:00' $(BIN)/pytest -n 2 -q -p no:cacheprovider $(PYTEST_ARGS)

# Developer helpers ---------------------------------------------------------------------
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --no-wrap -o custody/translations/messages.pot custody
	$(BIN)/pybabel update -i custody/translations/messages.pot -d custody/translations --no-fuzzy-matching --no-wrap

permissions-doc: install
	$(BIN)/flask custody permissions-doc --output docs/PERMISSIONS.md

# Lint, format, types and import contracts (pyproject.toml); part of `make test`.
lint: install-test
	$(BIN)/ruff check custody tests config.py wsgi.py bench scripts
	$(BIN)/ruff format --check custody tests config.py wsgi.py bench scripts migrations/env.py
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

# Partner Commerce Portal. `make run` and `make test` do all set-up on a fresh machine with Python 3.12+.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
WITH_DB := $(PY) scripts/embedded_pg.py exec --
PYTEST_WORKERS ?= 2

# The first Python 3.12+ found: python3.13, python3.12, then python3 (pyenv honours .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	echo $$p; break; fi; done)

.PHONY: run test lint bench install clean messages

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is needed (python3.12 or python3 on PATH)."; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	$(WITH_DB) $(PY) scripts/run.py

test: install
	$(WITH_DB) $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install
	$(WITH_DB) $(PY) bench/run.py $(BENCH_ARGS)

# Re-extract and compile translations (needs GNU gettext); the compiled .mo files are committed.
messages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=.data --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

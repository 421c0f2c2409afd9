# Commerce Hub: `make dev` runs the hub, `make test` runs every test.
# Both set themselves up on a fresh machine that has Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
FAKESTRIPE_PORT ?= 12111
PYTEST_ARGS ?=

.PHONY: dev test lint format migrations-check install seed clean shell bench demo-clock openapi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PORT=$(PORT) FAKESTRIPE_PORT=$(FAKESTRIPE_PORT) $(PY) -m commerce.devserver

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy commerce payments subscriptions quotes invoices reports accounting demo api
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Writes docs/openapi.json from the code (a test checks they match).
openapi: $(STAMP)
	$(PY) manage.py api_openapi

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# Moves the demo's clock (fakestripe's and the hub's) while `make dev` runs, then bills.
DAYS ?= 31
demo-clock: $(STAMP)
	$(PY) -m commerce.devserver manage advance_demo_clock --days $(DAYS)

bench: $(STAMP)
	@for b in bench/[a-z]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

seed: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

shell: $(STAMP)
	$(PY) manage.py shell

clean:
	rm -rf var/commerce.sqlite3* var/celery var/celerybeat-schedule* var/fakestripe.json

# Kizuna. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON312 := $(shell scripts/find-python.sh 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: one per CPU core (pytest-xdist), each test module kept in one process.
PYTEST_ARGS ?= -n auto --dist loadfile
FUZZ_ARGS ?=
export PYTHONPATH := $(CURDIR)

.DEFAULT_GOAL := help
.PHONY: help install demo run worker dispatcher scheduler prod smoke migrate test test-sqlite test-postgres fuzz lint fmt bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { scripts/find-python.sh; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv (Python 3.12) with everything the product and its tests need

migrate: install ## Apply database migrations (DATABASE_URL, default SQLite)
	$(PY) manage.py migrate --no-input -v 0

demo: install ## Set up, load demo data and serve on http://127.0.0.1:8000
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py load_demo --base-url http://$(HOST):$(PORT)
	@echo "Serving on http://$(HOST):$(PORT) with a task worker and the outbox dispatcher (Ctrl-C stops all)"
	scripts/serve.sh $(PY) $(HOST) $(PORT)

run: migrate ## Serve without loading demo data
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: migrate ## Run the background-task worker (database backend)
	$(PY) manage.py db_worker

dispatcher: migrate ## Run the outbox dispatcher (event subscribers, as events are committed)
	$(PY) manage.py dispatch_outbox --follow

scheduler: migrate ## Run the scheduler of the periodic jobs (manage.py jobs lists them)
	$(PY) manage.py scheduler

prod: install ## Serve as production does: gunicorn, task workers on Redis, dispatcher, scheduler (DATABASE_URL, KIZUNA_REDIS_URL)
	scripts/prod.sh

smoke: install ## Start the production stack on loopback, send orders and imports, check, stop
	$(PY) scripts/smoke.py

lint: install ## ruff, mypy, import contracts, module sizes, migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check-module-size.py
	$(PY) manage.py makemigrations --check --dry-run

fmt: install ## Format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-sqlite: install ## The suite on SQLite
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install ## The suite on PostgreSQL (DATABASE_URL or 127.0.0.1:5432)
	@url=$$(scripts/postgres-url.sh $(PY)); \
	if [ -z "$$url" ]; then \
	  if [ -n "$$KIZUNA_REQUIRE_POSTGRES" ]; then echo "PostgreSQL is required but unreachable" >&2; exit 1; fi; \
	  echo "PostgreSQL not reachable: skipping the PostgreSQL run (set DATABASE_URL to include it)"; \
	else \
	  echo "PostgreSQL run on $${url%%@*}@..."; \
	  DATABASE_URL=$$url $(VENV)/bin/pytest $(PYTEST_ARGS); \
	fi

test: lint test-sqlite test-postgres ## Lint, then the whole suite on SQLite and on PostgreSQL

fuzz: install ## schemathesis over the whole API, behind gunicorn on a scratch PostgreSQL database
	$(PY) scripts/fuzz.py $(FUZZ_ARGS)

bench: install ## Benchmarks (print figures)
	$(PY) bench/run.py

clean: ## Remove the virtual environment, caches and the local database
	rm -rf $(VENV) var .mypy_cache .ruff_cache db.sqlite3* staticfiles

# Thin wrappers: `make run` (the product, embedded setup) and `make test` (the whole suite).
# Both work on a fresh machine with Python 3.11+; nothing else is required.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test lint format messages clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)
	@# The compiled catalogues are committed; recompile only where gettext is installed.
	@if command -v msgfmt >/dev/null; then $(BIN)/python manage.py compilemessages --ignore=.venv -v0; fi

run: setup
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python manage.py seed_demo
	@mkdir -p var
	@echo; echo "  CRM running at http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, worker and beat)"; echo
	DEBUG=true HOST=$(HOST) PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

test: setup
	$(BIN)/python -m pytest

# Benchmarks at company scale (bench/README.md, docs/performance.md): SCALE=small|medium|large.
# They run on their own PostgreSQL and Redis (bench/services.sh, data kept in var/bench/), or on
# BENCH_DATABASE_URL / BENCH_BROKER_URL when set; never on DATABASE_URL (generate.py replaces the
# database's schema). The data is generated once per scale; `make bench` again only measures.
SCALE       ?= small
BENCH_STAMP := $(VENV)/.bench-$(shell cksum < pyproject.toml | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	rm -f $(VENV)/.bench-* && touch $@

bench: setup $(BENCH_STAMP)
	@set -e; \
	if [ -n "$$BENCH_DATABASE_URL" ]; then \
	  export DATABASE_URL="$$BENCH_DATABASE_URL" CELERY_BROKER_URL="$$BENCH_BROKER_URL"; \
	else eval "$$(bench/services.sh start)"; fi; \
	$(BIN)/python bench/generate.py --scale $(SCALE) --if-needed; \
	$(BIN)/python bench/run.py $(BENCH_ARGS); \
	$(BIN)/python bench/loadtest.py $(LOAD_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: setup
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var

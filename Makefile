# pacta — the two commands of README.md: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/pacta

.PHONY: demo test lint test-sqlite test-postgres venv dev-venv browser messages bench load serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

## compiled catalogues (.mo) are committed, so a fresh clone needs no gettext;
## after editing a .po file run `make messages` (needs gettext's msgfmt)
messages: $(VENV)/.runtime
	cd pacta && ../$(BIN)/django-admin makemessages -l nl -l de -l nb --no-obsolete -v 0 --ignore 'tests/*' --ignore '*/tests/*'
	cd pacta && ../$(BIN)/django-admin compilemessages -v 0

## make demo: SQLite, Northwind demo data, web UI at http://127.0.0.1:8000
demo: venv
	PACTA_DEMO=1 $(BIN)/pacta demo

## make test: the whole suite on SQLite, then on PostgreSQL when it is reachable
test: dev-venv browser lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

## undefined names and unused imports (ruff, errors only)
lint: dev-venv
	$(BIN)/ruff check pacta bench

test-sqlite:
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-postgres:
	@if $(BIN)/python scripts/pg_available.py "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest -q -m "not browser" $(PYTEST_ARGS); \
	else \
		echo "SKIPPED: PostgreSQL tests — no PostgreSQL server answers at $(PG_URL)"; \
	fi

## Debian's chromium for the browser tests (never a downloaded browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: run 'sudo apt-get install chromium' (browser tests will skip)"; fi; }

bench: dev-venv
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## the pages under load (bench/load.py): PostgreSQL database pacta_load, figures into docs/benchmarks.md
load: venv
	$(BIN)/python -m bench.load --write-docs $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var

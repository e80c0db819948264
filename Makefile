# Baogong — the targets CI runs. `make run` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/baogong
export DJANGO_SETTINGS_MODULE := baogong.settings
# Each database pass runs on half the machine's cores (pytest-xdist), one process where there are
# only two: the two passes already run side by side. `make test TEST_WORKERS=4` overrides.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n / 2 > 1 ? n / 2 : 1 )))
XDIST := $(if $(filter-out 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile,)

.PHONY: setup install run serve worker test test-sqlite test-postgres test-clock test-fast e2e lint format bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

setup: install
	$(BIN)/baogong migrate --noinput
	$(BIN)/baogong bootstrap $(if $(filter 0,$(BAOGONG_DEMO)),--no-demo,)

run: setup
	@echo ""
	@echo "  宝山保供 Baogong is starting on http://$(HOST):$(PORT)/"
	@echo "  演示账号 demo login: commander / $${BAOGONG_DEMO_PASSWORD:-baogong-demo}"
	@echo "  (also warehouse, procurement, qc, dispatcher, driver, pharmacist, health, property, auditor, tenant, fuel)"
	@echo "  回放 2022 年封控 replay the 2022 lockdown (once, 1–2 minutes, in another terminal):"
	@echo "      $(BIN)/baogong demo --scenario baoshan-2022 --seed 2022 --days 60"
	@echo ""
	@$(BIN)/baogong worker > var/worker.log 2>&1 & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(BIN)/gunicorn baogong.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

serve:
	$(BIN)/gunicorn baogong.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4

worker: setup
	$(BIN)/baogong worker

# The SQLite test processes copy this migrated database instead of migrating each time (conftest.py,
# BAOGONG_TEST_DB_TEMPLATE); it is made again whenever a migration changes.
TEST_DB_TEMPLATE := var/test-template.sqlite3
$(TEST_DB_TEMPLATE): $(wildcard baogong/*/migrations/*.py) $(VENV)/.installed
	@mkdir -p var
	@rm -f $@ $@.tmp
	BAOGONG_TEST_CLOCK= $(BIN)/python scripts/test_db_template.py $@.tmp
	@mv $@.tmp $@
export BAOGONG_TEST_DB_TEMPLATE := $(CURDIR)/$(TEST_DB_TEMPLATE)

# Three passes at once, about as long as each other: the SQLite pass streams; the PostgreSQL pass,
# and the browser tests then the date-heavy apps on a moved clock (test-clock), follow from their
# logs.
test: install $(TEST_DB_TEMPLATE)
	@mkdir -p var
	@$(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & pg=$$!; \
	{ $(MAKE) --no-print-directory e2e; a=$$?; $(MAKE) --no-print-directory test-clock; exit $$(( a || $$? )); } > var/test-e2e.log 2>&1 & browser=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$browser; e2e=$$?; wait $$pg; postgres=$$?; \
	echo "---- browser tests (Chromium, SQLite) and moved clocks ----"; cat var/test-e2e.log; \
	echo "---- PostgreSQL pass ----"; cat var/test-postgres.log; \
	echo "make test: sqlite exit $$sqlite, browser and clocks exit $$e2e, postgresql exit $$postgres"; \
	exit $$(( sqlite || e2e || postgres ))

# The apps whose rules turn on dates (expiry, shifts and tests, passes, leases and relief, reports),
# a year ahead at 23:59 in Shanghai (the other year and the midnight, with the Shanghai date ahead
# of UTC's, in one pass) and a year back (BAOGONG_TEST_CLOCK; see CONTRIBUTING). Tests that read
# no clock (marked clock_free) are left out. The whole suite passes the same way:
# BAOGONG_TEST_CLOCK=-1y make test.
CLOCK_SHIFTS ?= +1y@23:59 -1y
CLOCK_APPS ?= baogong/inventory baogong/people baogong/property baogong/fleet baogong/pharmacy \
	baogong/distribution baogong/reports baogong/command baogong/finance baogong/core
test-clock: install $(TEST_DB_TEMPLATE)
	@for shift in $(CLOCK_SHIFTS); do \
		echo "---- clock moved: BAOGONG_TEST_CLOCK=$$shift ----"; \
		BAOGONG_TEST_CLOCK=$$shift DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -q \
			-m "not e2e and not security and not slow and not clock_free" $(CLOCK_APPS) || exit 1; \
	done

test-sqlite: install $(TEST_DB_TEMPLATE)
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -q $(XDIST) -m "not e2e"

# The migrated database is kept as a template in PostgreSQL, keyed on the migrations
# (conftest.py `_postgres_test_db_from_template`): later runs copy it instead of migrating.
test-postgres: install
	@$(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" \
		|| { echo "PostgreSQL is not reachable at $(PG_TEST_URL) (start it, or see README)"; exit 1; }
	DATABASE_URL=$(PG_TEST_URL) BAOGONG_PG_TEST_TEMPLATE=1 $(BIN)/pytest -p no:cacheprovider -q $(XDIST) -m "not e2e and not security and not slow"

# Local iteration on PostgreSQL: keeps the test database between runs (pytest-django --reuse-db;
# add --create-db after a new migration). `make test-fast ARGS=baogong/inventory`.
test-fast: install
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q --reuse-db $(XDIST) -m "not e2e and not slow" $(ARGS)

e2e: install $(TEST_DB_TEMPLATE)
	DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -q -m e2e

lint: install
	$(BIN)/ruff check --output-format concise .
	$(BIN)/ruff format --check .
	$(BIN)/mypy baogong
	$(BIN)/lint-imports
	$(BIN)/baogong makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/run_all.py

messages: install
	cd baogong && ../$(BIN)/baogong makemessages -l zh_Hans --no-obsolete --ignore "*/static/*" --ignore "*/tests/*" && ../$(BIN)/baogong compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache

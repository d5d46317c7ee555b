# Every routine task has one entry point; CI runs the same targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-stock lint format schema bench graphiql browser services screenshots clean

# GraphiQL, built from the npm registry into the package (web/); Node.js 20+ and npm.
GRAPHIQL := toss_graphql/static/graphiql/index.html
WEB_SOURCES := web/package.json web/package-lock.json web/vite.config.js $(wildcard web/graphiql/*)

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@echo "Creating $(VENV) and installing toss-graphql with its development tools (about a minute)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@# setuptools' notice that an editable install follows the working tree is what we want.
	@PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[dev]"
	@echo "Installed: $(BIN)/toss-graphql, pytest, ruff, mypy"
	@touch $(INSTALLED)

$(GRAPHIQL): $(WEB_SOURCES)
	@command -v npm >/dev/null || { echo "GraphiQL is built with Node.js 20+ and npm: install them (Debian: apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund && npm run build
	@touch $@

graphiql: $(GRAPHIQL)

# graphql-http's conformance audit, which a test runs against the live API (Node.js and npm).
HTTP_AUDIT := tests/http_audit/node_modules/.package-lock.json

$(HTTP_AUDIT): tests/http_audit/package.json tests/http_audit/package-lock.json
	cd tests/http_audit && npm ci --no-audit --no-fund
	@touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here),
# with a Korean font so the pages and their screenshots show Hangul, not empty boxes.
browser:
	@command -v chromium >/dev/null && fc-list :lang=ko | grep -q . || \
		(apt-get update -qq && apt-get install -y chromium fonts-nanum)

run: $(INSTALLED) $(GRAPHIQL)
	$(BIN)/toss-graphql seed-demo
	$(BIN)/toss-graphql serve

# Four pytest-xdist workers, even on two cores: the end-to-end tests mostly wait on Toss
# timeouts, lock leases and server processes. A file's tests stay on one worker, so an
# end-to-end module shares one `serve` process among its tests (tests/e2e/conftest.py).
# PgBouncer and Redis from Debian's packages, which the tests start themselves on free ports.
services:
	@test -x /usr/sbin/pgbouncer && command -v redis-server >/dev/null || \
		(apt-get update -qq && apt-get install -y pgbouncer redis-server)

test: $(INSTALLED) $(GRAPHIQL) $(HTTP_AUDIT) browser services
	$(BIN)/pytest -n 4 --dist loadfile

# Every fast path switched off (README.md, Configuration): the libraries' stock code under the
# tests that exercise those paths. Servers the tests start as processes keep the defaults.
STOCK_PATHS := GRAPHQL_FAST_PATH=false GRAPHQL_EXTENSIONS=strawberry \
	GRAPHQL_LIMIT_RULES=strawberry SQLITE_DRIVER=aiosqlite
STOCK_TESTS := tests/parity tests/integration tests/security
# Left out, as they hold the fast paths themselves: Strawberry's depth rule does not count
# introspection fields, and the trips to SQLite's thread are one_trip_sqlite's own count.
STOCK_LEAVES_OUT := \
	--deselect tests/integration/test_http_contract.py::test_deeply_nested_documents_are_refused \
	--deselect tests/integration/test_sqlite_driver.py::test_a_confirm_on_sqlite_takes_eight_trips_to_the_thread

test-stock: $(INSTALLED) services
	$(STOCK_PATHS) $(BIN)/pytest -n 6 --dist loadfile $(STOCK_TESTS) $(STOCK_LEAVES_OUT)

# The README's screenshots, taken by the browser tests.
screenshots: $(INSTALLED) $(GRAPHIQL) browser
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser -p no:randomly

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(INSTALLED)
	$(BIN)/toss-graphql export-schema > schema.graphql

# Every hot path against an independent floor, on SQLite and PostgreSQL (docs/benchmarks.md):
# 11 to 15 minutes on two cores, tables to stdout. Load comes from wrk, installed from
# Debian's packages when missing; it needs the PostgreSQL of BENCH_POSTGRES_URL (default: local).
bench: $(INSTALLED) services
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y wrk)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
	rm -rf web/node_modules tests/http_audit/node_modules toss_graphql/static test-artifacts

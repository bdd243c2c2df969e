# `make run` serves the demo; `make test` runs the whole suite. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test load e2e install lint format bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed node_modules/.installed

run: install
	FLASK_DEBUG=1 $(BIN)/flask --app wsgi db upgrade
	FLASK_DEBUG=1 $(BIN)/flask --app wsgi seed-demo
	FLASK_DEBUG=1 PORT=$(PORT) $(BIN)/flask --app wsgi dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The load tests are left out (`make load`): they take minutes and want a quiet machine.
test: lint
	$(BIN)/python scripts/with_test_postgres.py $(BIN)/pytest -m "not load" --durations=25

# 200 respondents at once against gunicorn (locust), on PostgreSQL (a database of their own;
# skipped, saying why, when no server answers on 127.0.0.1:5432) and SQLite; prints p95 latency.
load: install
	$(BIN)/pytest -m load tests/load -s

# Only the browser tests (also part of `make test`); they start their own server.
e2e: install
	$(BIN)/pytest tests/e2e -m e2e

bench: install
	$(BIN)/python bench/text_evaluation.py
	$(BIN)/python bench/text_speed.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache

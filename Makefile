# The two commands of the README:  make run  and  make test.
# Both create .venv and install everything on first use.

VENV ?= .venv
PORT ?= 5000
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test test-fast lint typecheck install system-deps clean

# Python may keep compiled modules (and pytest its rewritten test modules) in __pycache__
# even where the environment says not to: collecting the suite costs half as much.
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

system-deps:
	./scripts/install-system-deps

## run: the whole hotline on this machine (web + worker, embedded SQLite and Redis, demo data);
## `make run PORT=5001` when port 5000 is taken
run: install
	$(BIN)/hotline dev --port $(PORT)

lint: install
	$(BIN)/ruff check hotline tests benchmarks workers
	$(BIN)/ruff format --check hotline tests benchmarks workers

typecheck: install
	$(BIN)/mypy

## test: lint, type-check and the whole test suite, in two processes (pytest-xdist; each
## has a PostgreSQL database and a Redis database of its own)
test: install system-deps lint typecheck
	$(BIN)/pytest -n 2

## test-fast: the inner loop: lint and every test not marked slow (no browser, no servers
## started, no faults, no wheel build, no fuzzing, nothing that took over 0.3 s), in two processes;
## `make test` still runs everything
test-fast: install lint
	$(BIN)/pytest -q -m "not slow" -n 2

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache test-artifacts

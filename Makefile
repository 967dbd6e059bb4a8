# The two set-up commands of the README are `make run` and `make test`; both build .venv first.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: install  ## local Neo4j (fetched from Maven Central the first time) + the API on :8000
	$(BIN)/graphsvc neo4j start
	$(BIN)/graphsvc serve

test: install  ## every test, against a real Neo4j (see tests/conftest.py for which one)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check graphsvc tests bench
	$(BIN)/ruff format --check graphsvc tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run

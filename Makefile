# The two set-up commands of the README are `make run` and `make test`; both build .venv first.
VENV := .venv
BIN := $(VENV)/bin

# The versions of every dependency (the test and bench extras too), with their hashes.
LOCK := requirements.lock
# The Dockerfile's: the runtime dependencies only, at the same versions as $(LOCK).
RUNTIME_LOCK := requirements-runtime.lock
UV := uv==0.13.8

.PHONY: install run test lint bench chromium lock
install: $(VENV)/.installed

# Exactly the locked versions, then graphsvc itself on top (editable, nothing else resolved).
$(VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Re-resolve the locks after a change to pyproject.toml's dependencies (UPGRADE=1: newest of
# all). The runtime lock is constrained by the full one, so the image runs the versions CI tested.
lock: install
	$(BIN)/pip install -q '$(UV)'
	$(BIN)/uv pip compile -q pyproject.toml --extra test --extra bench --universal \
	  --python-version 3.11 --generate-hashes $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(BIN)/uv pip compile -q pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --constraint $(LOCK) -o $(RUNTIME_LOCK)

run: install  ## local Neo4j (fetched from Maven Central the first time) + the API on :8000
	$(BIN)/graphsvc neo4j start
	$(BIN)/graphsvc serve

test: install chromium  ## every test, against a real Neo4j (see tests/conftest.py for which one)
	$(BIN)/pytest $(PYTEST_ARGS)

# tests/test_browser.py drives Debian's Chromium. Installed here when missing and we are root (a
# fresh machine or container); otherwise the command to run is printed and make stops.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the Neo4j Browser test (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "the Neo4j Browser test needs Chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

lint: install
	$(BIN)/ruff check graphsvc tests bench
	$(BIN)/ruff format --check graphsvc tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run

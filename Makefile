# attestd: `make run` serves a development instance, `make test` checks everything: the
# server and the pipeline client (client/, its own distribution with its own suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest openapi migrate smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The server depends on the client (client/) through a direct reference, which installs a
# copy of it; the editable install after it puts the working tree's client in its place.
$(STAMP): pyproject.toml client/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e './client[dev]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/attestd serve

migrate: $(STAMP)
	$(BIN)/attestd migrate

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests scripts migrations client
	$(BIN)/ruff format --check app tests scripts migrations client
	$(BIN)/lint-imports --no-cache

# The client is checked from client/, with its own configuration (client/pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy app
	cd client && ../$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q
	cd client && ../$(BIN)/pytest -q

smoke: $(STAMP)
	$(BIN)/python scripts/smoke_serve.py

openapi: $(STAMP)
	$(BIN)/attestd openapi --out openapi/openapi.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

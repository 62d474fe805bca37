# Two commands: `make run` and `make test`. Both create .venv and install the
# package with its test extras, again only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE ?= scenarios/customer_service_assistant.toml

.PHONY: run test lint bench bench-convergence clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/costmodel run $(EXAMPLE)

test: $(STAMP)
	$(BIN)/ruff check costmodel tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check costmodel tests benchmarks
	$(BIN)/ruff format --check costmodel tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-convergence: $(STAMP)
	$(BIN)/python benchmarks/convergence.py

clean:
	rm -rf $(VENV) .pytest_cache

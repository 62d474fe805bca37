# Two commands: `make run` (the dashboard) and `make test`. Both create .venv and install
# the package with its test extras, again only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE ?= scenarios/customer_service_assistant.toml

PORT ?= 8501

.PHONY: run example test lint bench bench-convergence bench-dashboard bench-sensitivity bench-report screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# The dashboard on http://127.0.0.1:$(PORT) with the example open (usage statistics off).
run: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 \
		--server.port $(PORT) --browser.gatherUsageStats false -- --scenario $(EXAMPLE)

# The example's results on the command line.
example: $(STAMP)
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

# Tornado for 30 inputs (<= 1 s) and Sobol indices at the default sample size (<= 10 s).
bench-sensitivity: $(STAMP)
	$(BIN)/python benchmarks/sensitivity.py

# Seconds from a changed assumption to redrawn charts, in headless Chromium (P95 of 20).
bench-dashboard: $(STAMP)
	$(BIN)/python benchmarks/dashboard.py

# Seconds for a full proposal pack (PDF, HTML, CSV): cold process, and with the browser warm.
bench-report: $(STAMP)
	$(BIN)/python benchmarks/report.py

# docs/dashboard.png, taken from the served dashboard in headless Chromium.
screenshot: $(STAMP)
	$(BIN)/python benchmarks/dashboard.py --screenshot docs/dashboard.png --changes 0

clean:
	rm -rf $(VENV) .pytest_cache

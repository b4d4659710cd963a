# Two commands for a fresh machine: `make demo` (the local end-to-end job) and `make test` (the test suite).
# Each builds what it needs: the virtual env in .venv/, the Python packages, the JVM jars in .cache/jars/.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean chromium

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)
	$(BIN)/retail setup

demo: setup
	$(BIN)/retail demo

test: setup chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

# The dashboard test renders the preview page in Debian's Chromium (driven by Playwright; no browser download).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }

bench: setup
	$(BIN)/python bench/generation.py
	$(BIN)/python bench/medallion.py
	$(BIN)/python bench/streaming.py
	$(BIN)/python bench/warehouse.py
	$(BIN)/python bench/deploy.py

clean:
	rm -rf data .cache/spark

# lakechat: `make demo` serves the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: demo test lint bench lock clean system-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "lakechat needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet -c constraints.txt -e '.[postgres,redis,embeddings]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet -c constraints.txt -e '.[dev,postgres,redis,queue,databricks,spark,llm,embeddings,qdrant,pgvector]'
	@touch $@ $(VENV)/.installed-demo

# pg_dump/pg_restore back up a PostgreSQL state store; the backup tests use them.
system-deps:
	@command -v pg_dump >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-client; }

demo: $(VENV)/.installed-demo
	$(BIN)/lakechat demo

test: $(VENV)/.installed-test system-deps
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python bench/http_overhead.py
	$(BIN)/python bench/warehouse_overhead.py
	$(BIN)/python bench/semantic_overhead.py
	$(BIN)/python bench/ask_latency.py
	$(BIN)/python bench/catalog_batch.py
	$(BIN)/python bench/docs_ingest.py
	$(BIN)/python bench/health_overview.py

# Re-pin every installed package after changing pyproject.toml.
lock: $(VENV)/.installed-test
	{ echo "# Every package lakechat installs, pinned (pip install -c constraints.txt). Regenerate with \`make lock\`."; \
	  $(PIP) freeze --exclude-editable | grep -v '^#' | sed 's/+cpu$$//'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

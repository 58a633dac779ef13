# contacts-elt: `make install`, then `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

.PHONY: install demo test lint format docs bench clean

install: $(VENV)/.installed

# Reinstalls only when the dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: install
	$(BIN)/contacts-elt demo

test: lint
	$(BIN)/pytest

# sqlfluff's dbt templater compiles the models, and the profile needs a DuckDB path to do so;
# compiling opens no connection, so a throwaway path will do.
lint: install
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/ruff format --check pipelines tests bench
	CONTACTS_DUCKDB=$(CURDIR)/data/lint.duckdb $(BIN)/sqlfluff lint sql/

# Not part of `make test`: a benchmark measures, it does not pass or fail. BENCH_ARGS passes
# flags through, e.g. `make bench BENCH_ARGS="--contacts 10000 --scaling ''"`.
bench: install
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)

docs: install
	CONTACTS_DUCKDB=$${CONTACTS_DUCKDB:-$(CURDIR)/data/demo.duckdb} $(BIN)/dbt docs generate \
		--project-dir sql --profiles-dir sql
	@echo "Open sql/target/index.html, or: $(BIN)/dbt docs serve --project-dir sql --profiles-dir sql"

format: install
	$(BIN)/ruff check --fix pipelines tests bench
	$(BIN)/ruff format pipelines tests bench

clean:
	rm -rf data sql/target sql/logs .pytest_cache .ruff_cache

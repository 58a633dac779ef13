# contacts-elt: `make install`, then `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

# The database that `make notebook`, `make sql` and `make docs` read: CONTACTS_DUCKDB when it is
# set, else the real one when it exists, else the demo's, which they make first if need be.
DEMO_DUCKDB := $(CURDIR)/data/demo.duckdb
DATABASE := $(abspath $(or $(CONTACTS_DUCKDB),$(wildcard $(CURDIR)/data/contacts.duckdb),$(DEMO_DUCKDB)))

.PHONY: install lock demo test lint format docs notebook sql database bench clean

# uv installs exactly what uv.lock says, so CI and the nightly server get the versions that were
# tested. pip only brings uv itself, pinned, into a folder of its own: `uv sync` removes whatever
# uv.lock does not name from the venv. uv never downloads a Python: it uses the venv's 3.11.
UV_VERSION := 0.13.9
UV := $(VENV)/uv-$(UV_VERSION)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
# uv leaves bytecode to be written on first import, which a machine with PYTHONDONTWRITEBYTECODE
# (this one, and many container images) never does: every run then compiled dlt, pandas and
# sqlglot from source again, 2 s of a 3.5 s no-change load. Compiled once here instead.
export UV_COMPILE_BYTECODE := 1

# The analysts' SQL shell (`make sql`) and its lock, which pins uv.lock's DuckDB.
HARLEQUIN_VERSION := 2.17.0
SQL_VENV := $(VENV)/sql-shell
SQL_LOCK := requirements/sql-shell.txt
# The package with the tests' tools, and the demo (demo/), which only a clone installs: `uv sync`
# removes from the venv whatever it is not asked for, so every sync asks for both.
SYNC = $(UV) sync --locked --quiet --extra test --group demo
LOCKED_DUCKDB = $(UV) export --frozen --no-hashes --no-annotate --no-header --extra test \
	| sed -n 's/^duckdb==\([^ ;]*\).*/\1/p'

install: $(VENV)/.installed

# Reinstalls only when the dependencies change. A uv.lock that no longer matches pyproject.toml
# stops the install rather than being resolved again here, on whichever machine: what installs
# is what was committed, and so what CI tested.
$(VENV)/.installed: pyproject.toml demo/pyproject.toml uv.lock | $(UV)
	@$(UV) lock --check --offline --quiet || { \
		echo "uv.lock does not match pyproject.toml: run \`make lock\` and commit uv.lock" >&2; \
		exit 1; }
	$(SYNC)
	touch $@

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--target $(VENV)/uv-$(UV_VERSION) uv==$(UV_VERSION)

# Writes uv.lock again from pyproject.toml, keeping every locked version that still fits, then
# the SQL shell's lock with uv.lock's DuckDB. LOCK_ARGS passes flags through to both, e.g.
# `make lock LOCK_ARGS=--upgrade`, or LOCK_ARGS="--upgrade-package duckdb".
lock: $(UV)
	$(UV) lock $(LOCK_ARGS)
	printf 'harlequin==%s\nduckdb==%s\n' $(HARLEQUIN_VERSION) $$($(LOCKED_DUCKDB)) \
		| $(UV) pip compile - --quiet --universal --python-version 3.11 --generate-hashes \
			--custom-compile-command 'make lock' $(LOCK_ARGS) -o $(SQL_LOCK)

demo: install
	$(BIN)/contacts-elt demo

test: lint
	$(BIN)/pytest -n auto --dist loadfile

# sqlfluff's dbt templater compiles the models, and the profile needs a DuckDB path to do so.
# Compiling source_or_empty looks the raw tables up, so dbt opens (and creates) a throwaway
# database there: its folder must exist, which it does not in a fresh clone.
lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check pipelines demo lint tests bench sql/models
	$(BIN)/ruff format --check pipelines demo lint tests bench sql/models
	mkdir -p $(CURDIR)/data
	CONTACTS_DUCKDB=$(CURDIR)/data/lint.duckdb $(BIN)/sqlfluff lint sql/

# Not part of `make test`: a benchmark measures, it does not pass or fail. It runs 100k and 1M
# contacts per API, about a quarter of an hour; BENCH_ARGS passes flags through, e.g.
# `make bench BENCH_ARGS=--quick` (10k and 40k, minutes), and LINKING_BENCH_ARGS to the
# identity part, e.g. LINKING_BENCH_ARGS="--sizes 2000,8000".
bench: install
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)
	$(BIN)/python bench/linking.py $(LINKING_BENCH_ARGS)

docs: install database
	CONTACTS_DUCKDB=$(DATABASE) $(BIN)/dbt docs generate --project-dir sql --profiles-dir sql
	@echo "Open sql/target/index.html, or: $(BIN)/dbt docs serve --project-dir sql --profiles-dir sql"

# JupyterLab is not needed by the tests, so it is installed on first use only. NOTEBOOK_ARGS
# passes flags through, e.g. `make notebook NOTEBOOK_ARGS="--no-browser --port 8899"`.
notebook: install database $(VENV)/.notebook-installed
	@echo "Notebooks read $(DATABASE)"
	CONTACTS_DUCKDB=$(DATABASE) $(BIN)/jupyter lab --notebook-dir=notebooks $(NOTEBOOK_ARGS)

$(VENV)/.notebook-installed: $(VENV)/.installed
	$(SYNC) --extra notebook
	touch $@

# The analysts' SQL shell, harlequin (a terminal SQL IDE; its `hsql` runs SQL and exits), on the
# database that `make notebook` reads, read-only so that it never holds up a nightly run. PyPI's
# duckdb-cli lags the duckdb package and cannot read the files this DuckDB writes; harlequin
# runs on the duckdb package, pinned in its lock to uv.lock's. It lives in a venv of its own,
# installed on first use: it pins click, which dbt shares. SQL_ARGS passes flags through, e.g.
# `make sql SQL_ARGS="--theme nord"`.
sql: install database $(VENV)/.sql-installed
	@echo "SQL shell on $(DATABASE), read-only"
	$(SQL_VENV)/bin/harlequin --read-only $(SQL_ARGS) $(DATABASE)

$(VENV)/.sql-installed: $(SQL_LOCK) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SQL_VENV)
	$(UV) pip sync --quiet --python $(SQL_VENV)/bin/python $(SQL_LOCK)
	touch $@

# Makes the demo's database when it is the one to read and does not exist yet.
database:
	@if [ "$(DATABASE)" = "$(DEMO_DUCKDB)" ] && [ ! -f "$(DEMO_DUCKDB)" ]; then \
		$(BIN)/contacts-elt demo; \
	elif [ ! -f "$(DATABASE)" ]; then \
		echo "no database at $(DATABASE)" >&2; exit 1; \
	fi

format: install
	$(BIN)/ruff check --fix pipelines demo lint tests bench sql/models
	$(BIN)/ruff format pipelines demo lint tests bench sql/models

# Only what can be made again: the demo's and lint's databases with their dlt working folders,
# dbt's output and the tools' caches. data/ also holds the real database, contacts.duckdb by
# default, and its pipeline state: nothing here deletes them (tests/test_makefile.py checks).
clean:
	rm -rf data/demo.duckdb data/demo.duckdb.wal data/demo.duckdb.dlt
	rm -rf data/lint.duckdb data/lint.duckdb.wal data/lint.duckdb.dlt
	rm -rf sql/target sql/logs .pytest_cache .ruff_cache

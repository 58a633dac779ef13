"""`analytics.contacts_history` records content, not bookkeeping."""

from pathlib import Path

import duckdb
import yaml

from pipelines.paths import DBT_PROJECT_DIR
from pipelines.runs.load import load_sources
from pipelines.runs.transform import transform


def _yaml(relative: str) -> dict:
    return yaml.safe_load((DBT_PROJECT_DIR / relative).read_text())


def test_the_history_compares_every_column_of_the_mart_but_two() -> None:
    (snapshot,) = _yaml("snapshots/_snapshots.yml")["snapshots"]
    mart = next(
        m for m in _yaml("models/marts/_marts__models.yml")["models"] if m["name"] == "contacts"
    )

    mart_columns = [column["name"] for column in mart["columns"]]

    assert snapshot["config"]["check_cols"] == [
        name for name in mart_columns if name not in ("loaded_at", "is_role_mailbox")
    ]


def test_rewriting_unchanged_rows_adds_no_version(duckdb_path: Path, source_args, query) -> None:
    load_sources(duckdb_path, source_args=source_args)
    assert transform(duckdb_path).ok
    ((versions, first_loaded_at),) = query(
        "select count(*), max(loaded_at) from analytics.contacts_history"
    )
    with duckdb.connect(str(duckdb_path)) as connection:
        # As after lost fingerprints or a refresh: every row is written again, unchanged.
        for source in ("levcapital", "sprintmode"):
            connection.execute(f"update raw_{source}.contacts set _content_hash = null")

    rewritten = load_sources(duckdb_path, source_args=source_args)
    result = transform(duckdb_path)

    assert result.ok, result.failures
    assert [(load.rows_written,) for load in rewritten] == query(
        "select count(*) from raw_levcapital.contacts union all "
        "select count(*) from raw_sprintmode.contacts"
    )
    assert query("select min(loaded_at) > ? from analytics.contacts", first_loaded_at) == [(True,)]
    assert query("select count(*) from analytics.contacts_history") == [(versions,)]

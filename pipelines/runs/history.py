"""`analytics.pipeline_runs`: one row per run per source, for operators and `status`."""

import threading
from typing import TYPE_CHECKING

from pipelines.settings import RUNS_TABLE

if TYPE_CHECKING:
    # Types only: the load that calls this has imported dlt already.
    import dlt

    from pipelines.runs.results import SourceLoad

# Sources load side by side; two first runs creating the table at once would conflict.
_WRITE_LOCK = threading.Lock()
_CREATE = f"""
create table if not exists {RUNS_TABLE} (
    run_id varchar not null,
    source_system varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    status varchar not null,
    error varchar,
    pages bigint not null,
    contacts_seen bigint not null,
    rows_inserted bigint not null,
    rows_updated bigint not null,
    rows_marked_deleted bigint not null,
    seconds double precision not null,
    rows_rejected bigint not null default 0,
    run_type varchar not null default 'incremental',
    primary key (run_id, source_system)
)
"""
# Tables made before a column existed get it; their old rows read its default.
_ADD_COLUMNS = (
    f"alter table {RUNS_TABLE} add column if not exists rows_rejected bigint default 0",
    f"alter table {RUNS_TABLE} add column if not exists run_type varchar default 'incremental'",
)


_COLUMNS = (
    "run_id, source_system, started_at, finished_at, status, error, pages, contacts_seen, "
    "rows_inserted, rows_updated, rows_marked_deleted, seconds, rows_rejected, run_type"
)


def record_run(pipeline: "dlt.Pipeline", result: "SourceLoad") -> None:
    """Appends one source's run to the history, through the pipeline's own connection.

    The error text is the same one-line cause the CLI prints, which never holds a secret.
    """
    stats = result.stats
    row = (
        result.run_id,
        result.source,
        result.started_at,
        result.finished_at,
        "succeeded" if result.ok else "failed",
        result.error,
        stats.pages,
        stats.contacts_seen,
        result.rows_inserted,
        result.rows_updated,
        stats.marked_deleted,
        round(result.seconds, 3),
        len(stats.rejected),
        "refresh" if result.refresh else "incremental",
    )
    with _WRITE_LOCK, pipeline.sql_client() as client:
        client.execute_sql("create schema if not exists analytics")
        client.execute_sql(_CREATE)
        for statement in _ADD_COLUMNS:
            client.execute_sql(statement)
        client.execute_sql(
            f"insert into {RUNS_TABLE} ({_COLUMNS}) values ({', '.join(['%s'] * len(row))})", *row
        )

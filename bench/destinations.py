"""The nightly job on DuckDB and on PostgreSQL, side by side, against one lean server.

For each destination and each of `--runs` rounds, from an empty database: a full `load`, a
`transform`, then a `load` and a `transform` with nothing changed. Every step is a
`contacts-elt` child process, timed wall to wall (the import of dlt and dbt included, as a
night pays it), and the table gives the fastest round of each step, with the peak RSS of that
child. The DuckDB figures include the copy and publish of the file
(pipelines/warehouse/duckdb_publish.py). It also prints the size of each database after the last
round.

    .venv/bin/python bench/destinations.py --postgres postgresql://user:pw@127.0.0.1:5432/postgres
        [--contacts 40000] [--runs 2] [--workdir DIR]

The PostgreSQL URL names a server on which the user may create databases: each round
creates `contacts_elt_bench` afresh (dropping one left over), and drops it at the end.
"""

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg2
from benchmark import SEED, LeanServer, env_for, measure_child

from pipelines.settings import prepare_environment
from pipelines.warehouse import PostgresDatabase
from pipelines.warehouse.postgres import resolve_credentials

BENCH_DATABASE = "contacts_elt_bench"
STEPS = ("full load", "transform", "no-change load", "no-change transform")
COMMANDS = ("load", "transform", "load", "transform")


def contacts_elt() -> str:
    return str(Path(sys.executable).with_name("contacts-elt"))


def database_url(server_url: str, database: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{database}"))


def recreate_database(server_url: str) -> None:
    drop_database(server_url)
    _on_server(server_url, f"create database {BENCH_DATABASE}")


def drop_database(server_url: str) -> None:
    _on_server(server_url, f"drop database if exists {BENCH_DATABASE} with (force)")


def _on_server(server_url: str, statement: str) -> None:
    # Outside a transaction: PostgreSQL creates and drops databases only there.
    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def postgres_size_mb(url: str) -> float:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_database_size(current_database())")
            return cursor.fetchone()[0] / 1e6
    finally:
        connection.close()


def run_rounds(
    prepare: Callable[[], None],
    command: Callable[[str], list[str]],
    env: dict[str, str],
    runs: int,
) -> list[list[tuple[float, float]]]:
    """Per round, (seconds, peak RSS MB) of each step of STEPS."""
    rounds = []
    for _ in range(runs):
        prepare()
        rounds.append([measure_child(command(name), env)[:2] for name in COMMANDS])
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="URL of a server's maintenance database")
    parser.add_argument("--contacts", type=int, default=40_000, help="per API")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    prepare_environment()
    scratch = args.workdir or Path(tempfile.mkdtemp(prefix="destinations-"))
    scratch.mkdir(parents=True, exist_ok=True)
    duckdb_path = (scratch / "bench.duckdb").resolve()
    postgres_url = database_url(args.postgres, BENCH_DATABASE)
    os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_url
    # dlt's local working folder for that database, removed with it.
    postgres_dir = PostgresDatabase(resolve_credentials()).working_dir

    def fresh_duckdb() -> None:
        duckdb_path.unlink(missing_ok=True)
        shutil.rmtree(duckdb_path.with_name(duckdb_path.name + ".dlt"), ignore_errors=True)

    def fresh_postgres() -> None:
        recreate_database(args.postgres)
        shutil.rmtree(postgres_dir, ignore_errors=True)

    with LeanServer(args.contacts, SEED, "threads") as server:
        base_env = env_for(server) | {"CONTACTS_DESTINATION": "duckdb"}
        duck = run_rounds(
            fresh_duckdb,
            lambda name: [contacts_elt(), name, "--duckdb", str(duckdb_path)],
            base_env,
            args.runs,
        )
        postgres_env = base_env | {
            "CONTACTS_DESTINATION": "postgres",
            "DESTINATION__POSTGRES__CREDENTIALS": postgres_url,
        }
        postgres = run_rounds(
            fresh_postgres, lambda name: [contacts_elt(), name], postgres_env, args.runs
        )
        contacts = server.contacts

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        rows = connection.execute("select count(*) from analytics.contacts").fetchone()[0]
    duckdb_mb = duckdb_path.stat().st_blocks * 512 / 1e6
    postgres_mb = postgres_size_mb(postgres_url)
    drop_database(args.postgres)
    shutil.rmtree(postgres_dir, ignore_errors=True)

    lines = [
        f"{contacts:,} contacts served ({args.contacts:,} per API), {rows:,} in "
        f"analytics.contacts; the fastest of {args.runs} rounds per step, wall seconds "
        "(peak RSS MB) of the `contacts-elt` child.",
        "",
        "| step | DuckDB | PostgreSQL | PostgreSQL / DuckDB |",
        "|---|---:|---:|---:|",
    ]
    for index, step in enumerate(STEPS):
        best_duck = min(round_[index] for round_ in duck)
        best_postgres = min(round_[index] for round_ in postgres)
        lines.append(
            f"| {step} | {best_duck[0]:.2f} s ({best_duck[1]:.0f}) | "
            f"{best_postgres[0]:.2f} s ({best_postgres[1]:.0f}) | "
            f"{best_postgres[0] / best_duck[0]:.2f}× |"
        )
    lines += [
        "",
        f"Size after the last round: DuckDB file {duckdb_mb:.0f} MB, "
        f"PostgreSQL database {postgres_mb:.0f} MB (pg_database_size).",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

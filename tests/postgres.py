"""A real PostgreSQL server for the tests that need one, and a fresh database per test.

.ci/run starts a throwaway server (.ci/postgres) and names it in CONTACTS_TEST_POSTGRES. On a
machine without one the tests that need it skip, saying why; in CI (CI is set) they fail
instead, so that a server that did not start cannot pass for a green build.
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from subprocesses import contacts_elt_starter

SERVER_VARIABLE = "CONTACTS_TEST_POSTGRES"
# The password .ci/postgres gives the test server: it must never appear in any output.
PASSWORD = "contacts-test-password"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the test server's maintenance database."""
    url = os.environ.get(SERVER_VARIABLE)
    if not url:
        reason = (
            f"no PostgreSQL server: {SERVER_VARIABLE} is not set (start one with "
            f"`.ci/postgres start /tmp/pg` and export the URL it prints)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped after the test."""
    import psycopg2

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(postgres_server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        yield database_url(postgres_server, name)
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
    finally:
        admin.close()


def database_url(server_url: str, database: str) -> str:
    """The URL of another database on the same server."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture
def pg_query(postgres_url: str) -> Callable[..., list[tuple[Any, ...]]]:
    """Runs one query on the test's database; `%s` parameters."""
    import psycopg2

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        connection = psycopg2.connect(postgres_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    return run


@pytest.fixture
def pg_env(
    simulator_env: dict[str, str], fast_http: dict[str, str], postgres_url: str, monkeypatch
) -> Iterator[dict[str, str]]:
    """The environment of a nightly job on PostgreSQL; its working folder is removed after."""
    from pipelines.warehouse import PostgresDatabase
    from pipelines.warehouse.postgres import resolve_credentials

    env = simulator_env | fast_http | {"PYTHONUNBUFFERED": "1"}
    env.pop("CONTACTS_DUCKDB", None)
    env.update(CONTACTS_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=postgres_url)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    working_dir = PostgresDatabase(resolve_credentials()).working_dir
    yield env
    shutil.rmtree(working_dir, ignore_errors=True)


@pytest.fixture
def pg_cli(pg_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `contacts-elt <args>` on the test's PostgreSQL database, against the simulators."""
    with contacts_elt_starter(pg_env, tmp_path) as start:
        yield start


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    """Waits for a `contacts-elt` process: its exit code, stdout and stderr."""
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr

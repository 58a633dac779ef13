"""A real PostgreSQL server for the tests that need one, and a fresh database per test.

.ci/run starts a throwaway server (.ci/postgres) and names it in CONTACTS_TEST_POSTGRES. On a
machine without one the tests that need it skip, saying why; in CI (CI is set) they fail
instead, so that a server that did not start cannot pass for a green build.
"""

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

SERVER_VARIABLE = "CONTACTS_TEST_POSTGRES"


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

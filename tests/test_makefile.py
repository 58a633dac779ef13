"""The Makefile: `make clean` keeps the real database, `make install` installs what uv.lock says
and nothing else, and `make sql` opens the notebooks' database read-only, with the pipeline's
DuckDB."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import PROJECT_DIR

SQL_SHELL_BIN = PROJECT_DIR / ".venv" / "sql-shell" / "bin"
SQL_SHELL_LOCK = PROJECT_DIR / "requirements" / "sql-shell.txt"


def copy_of_the_project(directory: Path) -> Path:
    """The Makefile with the files its install rules depend on."""
    for name in (
        "Makefile",
        "pyproject.toml",
        "demo/pyproject.toml",
        "uv.lock",
        "requirements/sql-shell.txt",
    ):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / name, directory / name)
    return directory


def locked_version(package: str) -> str:
    lock = tomllib.loads((PROJECT_DIR / "uv.lock").read_text())
    [version] = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    return version


def test_make_clean_keeps_the_real_database_and_removes_the_demo(tmp_path: Path) -> None:
    shutil.copy(PROJECT_DIR / "Makefile", tmp_path / "Makefile")
    data = tmp_path / "data"
    kept = [data / "contacts.duckdb", data / "contacts.duckdb.dlt" / "run.lock"]
    removed = [
        data / "demo.duckdb",
        data / "demo.duckdb.dlt" / "run.lock",
        data / "lint.duckdb",
        tmp_path / "sql" / "target" / "manifest.json",
        tmp_path / "sql" / "logs" / "dbt.log",
    ]
    for path in kept + removed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")

    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)

    assert [path.exists() for path in kept] == [True, True]
    assert [path.exists() for path in removed] == [False] * len(removed)


def test_make_install_refuses_a_lock_that_pyproject_toml_no_longer_matches(
    tmp_path: Path,
) -> None:
    uv = next(PROJECT_DIR.glob(".venv/uv-*/bin/uv"), None)
    if uv is None:
        pytest.skip("this .venv was not made by `make install` with uv")
    project = copy_of_the_project(tmp_path)
    # The committed lock matches, and checking it needs no network.
    check = [str(uv), "lock", "--check", "--offline", "--quiet"]
    subprocess.run(check, cwd=project, check=True, capture_output=True)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [\n", 'dependencies = [\n    "six",\n', 1)
    )

    result = subprocess.run(
        ["make", "install", f"UV={uv}"], cwd=project, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "uv.lock does not match pyproject.toml: run `make lock`" in result.stderr
    assert not (project / ".venv").exists()


@pytest.mark.parametrize(
    ("contacts_duckdb", "files", "opened"),
    [
        pytest.param(
            "elsewhere/chosen.duckdb",
            ["data/contacts.duckdb"],
            "elsewhere/chosen.duckdb",
            id="CONTACTS_DUCKDB-first",
        ),
        pytest.param(
            None,
            ["data/contacts.duckdb", "data/demo.duckdb"],
            "data/contacts.duckdb",
            id="then-the-real-database",
        ),
        pytest.param(None, [], "data/demo.duckdb", id="else-the-demo-database"),
    ],
)
def test_make_sql_opens_the_notebooks_database_read_only(
    tmp_path: Path, contacts_duckdb: str | None, files: list[str], opened: str
) -> None:
    project = copy_of_the_project(tmp_path / "project")
    for name in files:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x")
    env = {name: value for name, value in os.environ.items() if name != "CONTACTS_DUCKDB"}
    if contacts_duckdb:
        env["CONTACTS_DUCKDB"] = str(project / contacts_duckdb)

    dry_run = subprocess.run(
        ["make", "-n", "sql"], cwd=project, env=env, check=True, capture_output=True, text=True
    )

    shells = [line.split() for line in dry_run.stdout.splitlines() if "harlequin " in line]
    assert shells == [[".venv/sql-shell/bin/harlequin", "--read-only", str(project / opened)]]


def test_the_sql_shell_pins_the_duckdb_that_the_pipeline_runs() -> None:
    # DuckDB 1.5 cannot read the files that 2.0 writes: the shell must not drift from uv.lock.
    pins = re.findall(r"^duckdb==([^\s;\\]+)", SQL_SHELL_LOCK.read_text(), re.MULTILINE)

    assert pins == [locked_version("duckdb")] == [duckdb.__version__]


@pytest.mark.skipif(
    not (SQL_SHELL_BIN / "hsql").exists(), reason="`make sql` installs the shell on first use"
)
def test_the_sql_shell_reads_what_the_pipeline_duckdb_writes_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "contacts.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema analytics")
        connection.execute(
            "create table analytics.contacts as select range as contact_key from range(3)"
        )

    def hsql(sql: str) -> subprocess.CompletedProcess:
        command = [SQL_SHELL_BIN / "hsql", "--read-only", "--no-write-history", "-t", "-A"]
        return subprocess.run([*command, "-c", sql, path], capture_output=True, text=True)

    counted = hsql("select version(), count(*) from analytics.contacts")
    dropped = hsql("drop table analytics.contacts")

    assert (counted.returncode, counted.stdout.split()) == (0, [f"v{duckdb.__version__}|3"])
    assert dropped.returncode != 0
    assert "read-only" in dropped.stderr

"""The Makefile: `make clean` keeps the real database, and `make install` installs what uv.lock
says and nothing else."""

import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.paths import PROJECT_DIR


def copy_of_the_project(directory: Path) -> Path:
    """The Makefile with the files its install rules depend on."""
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / name, directory / name)
    return directory


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

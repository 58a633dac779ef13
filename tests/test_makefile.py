"""`make clean` removes only what can be made again, never the real database."""

import shutil
import subprocess
from pathlib import Path

from pipelines.paths import PROJECT_DIR


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

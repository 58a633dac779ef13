"""The night's memory budget, `[runtime] memory_limit`, and each step's DuckDB share of it.

A nightly box is often small (2 cores, a few GB), and DuckDB takes up to 80% of the machine's
memory by default. Every DuckDB database the project opens gets its share of one budget, its
threads and a folder to spill to beside the warehouse, so that a night's peak depends on the
budget, not on the number of contacts. The budget is what a command's peak RSS aims at: a load
gives DuckDB a sixteenth of it twice over (its own Python is about 300 MB), a transform all
but what its Python holds.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_SPILL_FOLDER = "duckdb-spill"
PYTHON_RESERVE_BYTES = 450 * 1000**2
"""What a transform's Python holds besides DuckDB: dbt's manifest, Splink, pandas and the
clustering's oversized components (a transform peaked at 610 MB with DuckDB given 250 MB)."""
MINIMUM_BYTES = 700 * 1000**2
"""The reserve, and 250 MB for DuckDB: a transform at 80k contacts per API ran out at 244 MB
before `people` and Splink's blocking were made to spill."""
LOAD_SHARE = 1 / 16
"""dlt's load into the warehouse file: each merge deletes and inserts one load's rows, which
spill past this. 64 MB of a 1 GB budget; a larger share made the peak grow with the rows a
load writes (+67 MB from 20k to 80k contacts per API at 128 MB)."""
LEDGER_SHARE = 1 / 16
"""The load's ledger (pipelines/sources/contacts/ledger.py): ids and fingerprints held and
listed, joined a batch at a time."""

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*", re.IGNORECASE)
_UNITS = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip


class InvalidBudget(ValueError):
    """`[runtime]` holds a memory limit or thread count that cannot be used."""


@dataclass(frozen=True)
class MemoryBudget:
    """The budget: `limit_bytes` for a command's peak, DuckDB's `threads`, and the folder
    DuckDB spills to (`None`: a `duckdb-spill` folder in the warehouse's working folder)."""

    limit_bytes: int
    threads: int
    temp_directory: Path | None = None

    @classmethod
    def configured(cls) -> "MemoryBudget":
        """`[runtime] memory_limit`, `threads` and `temp_directory`, from `.dlt/config.toml`
        or `RUNTIME__MEMORY_LIMIT` and the like."""
        import dlt

        limit = dlt.config.get("runtime.memory_limit", str) or DEFAULT_MEMORY_LIMIT
        threads = dlt.config.get("runtime.threads", int) or os.cpu_count() or 1
        temp_directory = dlt.config.get("runtime.temp_directory", str)
        return cls.of(str(limit), int(threads), temp_directory)

    @classmethod
    def of(cls, limit: str, threads: int = 1, temp_directory: str | None = None) -> "MemoryBudget":
        """A budget from a size such as `1GB`, `1.5GB` or `768MiB` (DuckDB's units)."""
        matched = _SIZE.fullmatch(limit)
        unit = (matched.group(2) or "B").lower() if matched else ""
        if not matched or unit not in _UNITS:
            raise InvalidBudget(
                f"[runtime] memory_limit: {limit!r} is not a size such as 1GB or 768MB"
            )
        limit_bytes = int(float(matched.group(1)) * _UNITS[unit])
        if limit_bytes < MINIMUM_BYTES:
            raise InvalidBudget(
                f"[runtime] memory_limit: {limit} is below the {MINIMUM_BYTES // 1000**2}MB "
                "that contacts-elt needs"
            )
        if threads < 1:
            raise InvalidBudget(f"[runtime] threads: {threads} is not a number of threads")
        return cls(
            limit_bytes, threads, Path(temp_directory).expanduser() if temp_directory else None
        )

    def load_memory(self) -> int:
        """Bytes for the DuckDB that dlt loads into."""
        return int(self.limit_bytes * LOAD_SHARE)

    def ledger_memory(self) -> int:
        """Bytes for the DuckDB of the load's ledgers."""
        return int(self.limit_bytes * LEDGER_SHARE)

    def transform_memory(self) -> int:
        """Bytes for the DuckDB that dbt builds in, and that Splink links in: the budget
        less Python's reserve. The PostgreSQL identity steps' scratch DuckDB gets the same."""
        return self.limit_bytes - PYTHON_RESERVE_BYTES

    def spill_folder(self, working_dir: Path) -> Path:
        """Where DuckDB spills: `temp_directory`, or a folder in the working folder, beside
        the warehouse, so that spills land on the disk that has room for the database."""
        return self.temp_directory or working_dir / DEFAULT_SPILL_FOLDER

    def duckdb_settings(self, memory_bytes: int, working_dir: Path) -> dict[str, str]:
        """The `SET`s for a DuckDB database given `memory_bytes` of the budget."""
        return {
            "memory_limit": duckdb_size(memory_bytes),
            "threads": str(self.threads),
            "temp_directory": str(self.spill_folder(working_dir)),
        }


def discard_leftover_spills(working_dir: Path) -> None:
    """Deletes what a killed run's DuckDB left in the default spill folder; DuckDB deletes its
    own files when it closes. Only with the run lock held, before a step opens a database.
    A configured `temp_directory` may be shared with others, and is never emptied."""
    folder = working_dir / DEFAULT_SPILL_FOLDER
    for leftover in folder.glob("duckdb_temp*") if folder.is_dir() else ():
        leftover.unlink(missing_ok=True)


def duckdb_size(memory_bytes: int) -> str:
    """`memory_bytes` as DuckDB reads a size, in whole MiB."""
    return f"{max(1, memory_bytes // 2**20)}MiB"


def apply_duckdb_settings(connection: object, settings: dict[str, str]) -> None:
    """Sets `settings` on a DuckDB connection's database."""
    for name, value in settings.items():
        # Values are ours (sizes, counts, paths); a quote in a path is doubled.
        quoted = value.replace("'", "''")
        connection.execute(f"set {name} = '{quoted}'")  # type: ignore[attr-defined]

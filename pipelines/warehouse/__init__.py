"""Where the contacts land: the registry of warehouses, by the name `--destination` takes."""

import os
from pathlib import Path

from pipelines.paths import DEFAULT_DUCKDB, resolve_duckdb_path
from pipelines.warehouse.base import (
    DbtBuild,
    IdentityStep,
    RunInProgress,
    TransformStep,
    Warehouse,
    WarehouseUnavailable,
    existing_tables,
    query,
)
from pipelines.warehouse.duckdb import DuckDBFile
from pipelines.warehouse.postgres import PostgresDatabase

__all__ = [
    "DESTINATIONS",
    "DbtBuild",
    "DuckDBFile",
    "IdentityStep",
    "PostgresDatabase",
    "RunInProgress",
    "TransformStep",
    "Warehouse",
    "WarehouseUnavailable",
    "as_warehouse",
    "existing_tables",
    "query",
    "resolve_warehouse",
]

WAREHOUSES: dict[str, type[Warehouse]] = {
    DuckDBFile.kind: DuckDBFile,
    PostgresDatabase.kind: PostgresDatabase,
}
"""Each destination by the name that `--destination` and CONTACTS_DESTINATION take."""

DESTINATIONS = tuple(WAREHOUSES)
DEFAULT_DESTINATION = DuckDBFile.kind


def as_warehouse(target: Warehouse | Path | str) -> Warehouse:
    """A warehouse from a warehouse or a DuckDB path (tests and the demo pass paths)."""
    if isinstance(target, Path | str):
        return DuckDBFile(Path(target).resolve())
    return target


def resolve_warehouse(
    destination: str | None,
    duckdb_cli: str | None,
    duckdb_env: str | None,
    default_duckdb: Path = DEFAULT_DUCKDB,
) -> Warehouse:
    """The warehouse a command works on: `--destination`, else CONTACTS_DESTINATION, else
    DuckDB; a DuckDB file from `--duckdb`, else CONTACTS_DUCKDB, else the default.

    Raises:
        WarehouseUnavailable: an unknown destination, or one that is not configured.
    """
    name = (destination or os.environ.get("CONTACTS_DESTINATION") or DEFAULT_DESTINATION).strip()
    name = name.lower()
    if name not in WAREHOUSES:
        raise WarehouseUnavailable(
            f"CONTACTS_DESTINATION is {name!r}: it must be one of {', '.join(DESTINATIONS)}"
        )
    duckdb_path = resolve_duckdb_path(duckdb_cli, duckdb_env, default_duckdb)
    return WAREHOUSES[name].configured(duckdb_path)

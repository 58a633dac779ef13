"""Where contacts-elt keeps its files: the project, the DuckDB file and dlt's working state."""

import hashlib
import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "sql"
# Defaults are anchored to the project, not the working directory, so a scheduler that starts
# `contacts-elt run` from / still writes to the project's data/ folder.
DEFAULT_DUCKDB = PROJECT_DIR / "data" / "contacts.duckdb"
DEMO_DUCKDB = PROJECT_DIR / "data" / "demo.duckdb"


def resolve_duckdb_path(cli_value: str | None, env_value: str | None, default: Path) -> Path:
    """Picks the DuckDB file: `--duckdb` first, then `CONTACTS_DUCKDB`, then the default.

    Relative paths given by the user are taken relative to the working directory, as any
    command-line tool does; the result is absolute so dlt, dbt and notebooks agree on it.
    """
    chosen = cli_value or env_value
    path = Path(chosen).expanduser() if chosen else default
    return path.resolve()


def pipelines_dir_for(duckdb_path: Path) -> Path:
    """dlt's working directory for one DuckDB file, kept beside it.

    dlt defaults to ~/.dlt/pipelines/<name>, which two DuckDB files on one machine (the demo's
    and the real one) would share, mixing their cursors and pending load packages. Keeping the
    working state next to the file it belongs to makes that impossible; the authoritative
    state is still the copy dlt commits into the DuckDB file itself.
    """
    name = duckdb_path.name
    safe = re.sub(r"[^\w.-]", "_", name)
    if safe != name:
        # dlt writes these paths into DuckDB's SQL unescaped (read_parquet('...')): a quote
        # in them breaks the load. A digest keeps distinct names distinct.
        safe += "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return duckdb_path.with_name(safe + ".dlt")


def dbt_target_dir_for(duckdb_path: Path) -> Path:
    """dbt's target folder for one DuckDB file, in that file's working directory.

    dbt keeps its parse of the project there (`partial_parse.msgpack`) and parses it all
    again when the profile changes, which the file's path is part of. One folder shared by
    the demo's database and the real one made each run after the other's pay a full parse:
    1.4 s of a 4.4 s transform at 40k contacts per API.
    """
    return pipelines_dir_for(duckdb_path) / "dbt-target"

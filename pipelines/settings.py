"""Names every layer shares, with no dlt in sight: sources, datasets, tables and exit codes.

`contacts-elt status` imports this and nothing heavier, so a monitor's check stays quick.
"""

import os

from pipelines.paths import PROJECT_DIR

SOURCE_NAMES = ("levcapital", "sprintmode")
"""The registry of sources. Each name is a package `pipelines.sources.<name>` whose
`<name>_source` is the dlt source; adding a CRM adds its name here."""

CONTACTS_TABLE = "contacts"
DELETIONS_TABLE = "contact_deletions"
REJECTS_TABLE = "contact_rejects"
RUNS_TABLE = "analytics.pipeline_runs"
CURSOR_FIELD = "updated_at"
CONTENT_HASH = "_content_hash"
"""Column of the raw contacts table with each row's fingerprint, so that a run can tell a
changed contact from an unchanged one by content, with or without timestamps."""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOADED_WITH_REJECTS = 3
"""Everything loaded and built, but something was set aside: contacts that broke their API's
contract or hold a value a database refuses (in `raw_<source>.contact_rejects`, with the
reason), or a load package of an earlier run that the database refused. A failure (1) or a
busy database (75) wins."""
EXIT_RUN_IN_PROGRESS = 75
"""EX_TEMPFAIL from sysexits.h, try again later: schedulers and monitors can tell "skipped
because a run holds the database" from a failure."""


def raw_dataset(source: str) -> str:
    """The schema that dlt loads `source` into: `raw_<source>`."""
    return f"raw_{source}"


def raw_table(source: str, table: str = CONTACTS_TABLE) -> str:
    """A raw table of `source`, qualified: `raw_<source>.<table>`."""
    return f"{raw_dataset(source)}.{table}"


def pipeline_name(source: str) -> str:
    """The dlt pipeline that loads `source`; its state is stored under this name."""
    return f"contacts_elt_{source}"


RAW_CONTACTS_TABLES = tuple(raw_table(source) for source in SOURCE_NAMES)


def prepare_environment() -> None:
    """Settings dlt and dbt read from the environment, set before either is imported.

    dlt looks for `.dlt/` in the working directory; pointing it at the project lets a
    scheduler run the command from anywhere. Telemetry is off: there is no internet here, and
    a nightly job should not phone home anyway. (`.dlt/config.toml`, `sql/dbt_project.yml`
    and the Makefile say the same for dlt and dbt run by hand.)
    """
    os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_DIR))
    # Set here rather than in `.dlt/config.toml`, because it is not a choice: a source's
    # resources are extracted one after the other, so that the deletions and rejects tables
    # get what the contacts' listing found (`SideTableRows`, pipelines/sources/contacts/).
    os.environ.setdefault("EXTRACT__NEXT_ITEM_MODE", "fifo")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # Arrow's default allocator, mimalloc, keeps what the contacts' tables freed, for reuse:
    # a full load at 40k contacts per API peaked at 420-445 MB with it and 345-357 MB with
    # the system allocator, which hands large blocks back at once, for about 5% more time
    # (bench/lean_server.py, three interleaved rounds). On a nightly box memory is what runs
    # out. Read once, when Arrow first allocates.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

"""Rows the contacts resource routes to a table of their own: deletions and rejects."""

from typing import Any

import dlt
from dlt.extract.hints import TResourceHints


def routed_rows(rows: list[dict[str, Any]], hints: TResourceHints, table_exists: bool) -> Any:
    """`rows` marked for the table that `hints` describe, beside `contacts`.

    Nothing when there is nothing to write and the table exists. On the first run, the table
    is created even without rows, so that analysts and dbt can rely on it.
    """
    if not rows and table_exists:
        return []
    items = rows if rows else dlt.mark.materialize_table_schema()
    return dlt.mark.with_hints(items, hints, create_table_variant=True)

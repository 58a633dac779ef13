"""The side tables, written beside `contacts` from what its listing found: deletions and rejects."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.extract.hints import TResourceHints
from dlt.extract.resource import DltResource


def side_table_items(rows: list[dict[str, Any]], hints: TResourceHints, table_exists: bool) -> Any:
    """`rows` marked for the table that `hints` describe, beside `contacts`.

    Nothing when there is nothing to write and the table exists. On the first run, the table
    is created even without rows, so that analysts and dbt can rely on it.
    """
    if not rows and table_exists:
        return []
    items = rows if rows else dlt.mark.materialize_table_schema()
    return dlt.mark.with_hints(items, hints, create_table_variant=True)


@dataclass
class SideTableRows:
    """What the listing found for the side tables, handed from `contacts` to their resources.

    They are resources of their own rather than rows the `contacts` resource routes: every
    item of a resource goes through its incremental, and dlt 1.31 fails a first run that
    passes it Arrow tables and then rows without a cursor ("'>' not supported between
    datetime and None"). dlt extracts a source's resources one after the other
    (`EXTRACT__NEXT_ITEM_MODE=fifo`, set by `prepare_environment`), so the listing is done
    before they are asked for their rows.
    """

    deletions: Any = None
    rejects: Any = None
    listed: bool = False


def side_table_resource(name: str, rows: Callable[[], Any]) -> DltResource:
    """The resource that writes the rows `rows()` gives, once the listing is done."""

    def side_table() -> Iterator[Any]:
        # None when there is nothing to write: an inconsistent listing marks no deletes.
        if (items := rows()) is not None:
            yield items

    return dlt.resource(side_table, name=name)

"""The documented shape of a contact: its typed columns, and the check that sets a bad one aside.

Each API's docs list the fields of its contact object with a type. They are declared to dlt as
typed columns, so that a field the API has never sent still exists, with its type, in the raw
table (dbt's models and unit tests can then rely on it). The same declaration is the contract
each listed contact is checked against: one that breaks it (no id, a timestamp in no known
format, an object where a string belongs, a 2 MB string) is set aside with its reason instead
of failing its whole source, night after night, until someone fixes it upstream.

A real API sends the least its docs allow, so a documented field that is absent or null is
always fine, and a field the docs do not mention is passed on as dlt sees fit.
"""

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from pipelines.http.errors import NotJsonNumber

# Values at or above this are epoch milliseconds rather than seconds (year 5138 in seconds).
_EPOCH_MILLIS_FROM = 100_000_000_000
DEFAULT_MAX_TEXT_LENGTH = 65_536
"""Characters a text value may hold. Names and notes are short; a value of megabytes is a bug
upstream, and would bloat every copy of the row (raw table, history, parquet packages)."""


def parse_api_timestamp(value: Any) -> datetime | None:
    """Reads an API timestamp as an aware UTC datetime.

    Accepts ISO-8601 with `Z` or an offset, `YYYY-MM-DD HH:MM:SS` (taken as UTC, SprintMode's
    undocumented format) and epoch seconds or milliseconds. Empty values are None.

    Raises:
        ValueError: the value is not a timestamp in any of those forms.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value >= _EPOCH_MILLIS_FROM else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"not a timestamp: {_json_kind(value)}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def unstorable_text(text: str) -> str | None:
    """Why a destination would refuse this text as it is, or None when both store it exactly.

    PostgreSQL refuses a NUL character in text and in JSON; DuckDB takes it, but a contact
    must land the same on both. A lone surrogate (JSON's `"\\ud800"`) has no UTF-8 form at all.
    """
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which PostgreSQL cannot store"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "is not valid Unicode (it holds a lone surrogate), which no database can store"
    return None


def unstorable_json(value: Any) -> str | None:
    """Why a destination would refuse this JSON value (an object or a list, nested), or None."""
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, NotJsonNumber):
            return f"holds {json.dumps(current)}, which is no JSON number"
        if isinstance(current, str):
            if (problem := unstorable_text(current)) is not None:
                return f"holds a text that {problem}"
        elif isinstance(current, dict):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return None


def item_id(item: Any) -> Any:
    """The id a listed item carries, or None when it has none (empty counts as none).

    The listing's consistency check and the contract must agree on this: an item without an
    id is counted towards the total, and set aside.
    """
    contact_id = item.get("id") if isinstance(item, dict) else None
    return None if contact_id == "" else contact_id


def _json_kind(value: Any) -> str:
    """How the docs would name a JSON value's type: `an object`, `a number`, ..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return type(value).__name__


# dlt data type -> how the docs would name a value of it, for the reasons of rejects.
_SCALARS = {"text": "a string", "bigint": "an integer", "double": "a number", "bool": "a boolean"}
KNOWN_TYPES = frozenset({*_SCALARS, "timestamp", "json"})


class RejectedContact(ValueError):
    """A listed contact that breaks the documented contract, and why."""

    def __init__(self, contact_id: Any, reason: str) -> None:
        super().__init__(reason)
        self.contact_id = contact_id
        self.reason = reason


@dataclass(frozen=True)
class ContactContract:
    """The documented fields of one API's contact object, with their dlt data types.

    What breaks the contract, and sets a contact aside:
    - no id, or an id of another type (it is the merge key);
    - a timestamp field whose value is in no form `parse_api_timestamp` reads;
    - an object or a list where a scalar belongs;
    - a value other than a string in a field of `strict_text` (a number is no name);
    - a string longer than `max_text_length`, in any field;
    - a value a destination would refuse (`unstorable_text`, `unstorable_json`): a NUL
      character, a lone surrogate, NaN or Infinity.

    Any other change of type is drift, not breakage, and loads as before: dlt coerces the
    value into the column where it can (the number 10004 into the text column `zip` as
    "10004") and writes it to a variant column beside it where it cannot (`engagement_score`
    "high" to `engagement_score__v_text`), which staging folds back in.

    Attributes:
        fields: field name -> dlt data type (`text`, `bigint`, `double`, `bool`,
            `timestamp` or `json`), in the docs' order; `id` is required, the others are
            optional and nullable.
        strict_text: text fields whose value must be a string: names and emails.
        max_text_length: characters a string value may hold, documented field or not.
    """

    fields: dict[str, str]
    strict_text: frozenset[str] = frozenset()
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields.values()) - KNOWN_TYPES)
        if unknown or "id" not in self.fields:
            raise ValueError(f"a contract needs an `id` and known types, not {unknown}")

    @property
    def id_type(self) -> str:
        return self.fields["id"]

    def columns(self) -> list[dict[str, Any]]:
        """The fields as dlt column schemas: the id is the primary key, the rest nullable."""
        return [
            {"name": name, "data_type": kind, "nullable": name != "id"}
            for name, kind in self.fields.items()
        ]

    def with_max_text_length(self, max_text_length: int) -> "ContactContract":
        return replace(self, max_text_length=max_text_length)

    def fields_of(self, *kinds: str) -> tuple[str, ...]:
        """The documented fields of these data types, in the docs' order."""
        return tuple(name for name, kind in self.fields.items() if kind in kinds)

    @cached_property
    def _timestamp_fields(self) -> frozenset[str]:
        return frozenset(self.fields_of("timestamp"))

    @cached_property
    def _scalar_fields(self) -> frozenset[str]:
        """The documented fields that hold one value: not `json`, not a timestamp."""
        return frozenset(self.fields_of(*_SCALARS))

    @staticmethod
    def _timestamp(contact_id: Any, name: str, value: Any) -> datetime | None:
        try:
            return parse_api_timestamp(value)
        except (ValueError, OverflowError, OSError) as error:
            raise RejectedContact(contact_id, f"{name} is unreadable: {error}") from None

    def read(self, item: Any) -> dict[str, Any]:
        """The contact, its timestamps parsed to UTC datetimes; `item` is left as it is.

        Raises:
            RejectedContact: the item breaks the contract; names the field and the cause.
        """
        if not isinstance(item, dict):
            raise RejectedContact(None, f"is {_json_kind(item)}, not a contact object")
        contact_id = item_id(item)
        if contact_id is None:
            raise RejectedContact(None, "has no id")
        id_kind = "bigint" if isinstance(contact_id, int) else "text"
        if isinstance(contact_id, bool | float | dict | list) or id_kind != self.id_type:
            raise RejectedContact(
                None, f"has an id that is {_json_kind(contact_id)}, not {_SCALARS[self.id_type]}"
            )
        if isinstance(contact_id, str) and (problem := unstorable_text(contact_id)) is not None:
            raise RejectedContact(None, f"has an id that {problem}")
        contact = dict(item)
        # One pass over the fields the item has, with the checks each type needs looked up
        # once per contract: this runs for every new or changed contact.
        timestamps, scalars = self._timestamp_fields, self._scalar_fields
        for name, value in item.items():
            if (problem := unstorable_text(name)) is not None:
                raise RejectedContact(contact_id, f"has a field name that {problem}")
            if value is None:
                continue
            if type(value) is str:
                if len(value) > self.max_text_length:
                    raise RejectedContact(
                        contact_id,
                        f"{name} is {len(value):,} characters long, over the limit of "
                        f"{self.max_text_length:,}",
                    )
                if (problem := unstorable_text(value)) is not None:
                    raise RejectedContact(contact_id, f"{name} {problem}")
                if name in timestamps:
                    contact[name] = self._timestamp(contact_id, name, value)
            elif isinstance(value, NotJsonNumber):
                raise RejectedContact(contact_id, f"{name} {unstorable_json(value)}")
            elif name in timestamps:
                contact[name] = self._timestamp(contact_id, name, value)
            elif isinstance(value, dict | list) and (problem := unstorable_json(value)):
                raise RejectedContact(contact_id, f"{name} {problem}")
            elif name in scalars and (isinstance(value, dict | list) or name in self.strict_text):
                raise RejectedContact(
                    contact_id, f"{name} is {_json_kind(value)}, not {_SCALARS[self.fields[name]]}"
                )
        return contact


def raw_payload(item: Any) -> str:
    """The item as the API sent it, as JSON text, for the rejects table.

    A NUL character is written as its escape, `\\u0000`, which every database stores; a text
    with a lone surrogate has no UTF-8 form, so the whole payload is then written in ASCII
    escapes, as the API must have sent it.
    """
    payload = json.dumps(item, ensure_ascii=False, default=str)
    try:
        payload.encode()
    except UnicodeEncodeError:
        payload = json.dumps(item, default=str)
    return payload

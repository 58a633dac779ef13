"""What list items carry, and raw values that make a served contact break the API's contract.

Both are about what the simulators send rather than what they store, so both stores share them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# What the list endpoint sends per item. A real API sends the least its docs allow, so a client
# must cope with each of these:
#   full: every field;
#   list_example: only the fields of the docs' list example, plus created_at and updated_at;
#   list_example_no_timestamps: the docs' list example fields without the two timestamps;
#   nullable_omitted: every field, but a nullable field whose value is null is left out.
LIST_SHAPES = ("full", "list_example", "list_example_no_timestamps", "nullable_omitted")
_TIMESTAMPS = ("created_at", "updated_at")


@dataclass(frozen=True)
class ListShape:
    """The fields one list shape sends per item, precomputed so that serving stays cheap.

    Attributes:
        fields: The fields sent, in the served order; None sends every field a record has.
        omit_nulls: Fields left out of an item, rather than sent as null, when their value is null.
    """

    fields: tuple[str, ...] | None = None
    omit_nulls: frozenset[str] = frozenset()

    def restricted_to(self, wanted: tuple[str, ...]) -> ListShape:
        """Returns this shape narrowed to the fields in `wanted` (LevCapital's fields=)."""
        fields = wanted if self.fields is None else tuple(n for n in self.fields if n in wanted)
        return ListShape(fields, self.omit_nulls)

    def pick(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Returns the shape's fields of a stored record, which has every field it may send."""
        fields, omit = self.fields, self.omit_nulls
        if fields is None:
            if not omit:
                return dict(record)
            return {
                name: value
                for name, value in record.items()
                if value is not None or name not in omit
            }
        if not omit:
            return {name: record[name] for name in fields}
        return {
            name: record[name] for name in fields if record[name] is not None or name not in omit
        }

    def pick_present(self, served: Mapping[str, Any]) -> dict[str, Any]:
        """Like `pick`, for a served contact that may lack fields (slower; for corrupted ones)."""
        fields, omit = self.fields, self.omit_nulls
        return {
            name: value
            for name, value in served.items()
            if (fields is None or name in fields) and (value is not None or name not in omit)
        }


FULL = ListShape()


def list_shapes(
    fields: tuple[str, ...], list_example: tuple[str, ...], nullable: frozenset[str]
) -> dict[str, ListShape]:
    """Returns every shape of LIST_SHAPES for one API.

    Args:
        fields: The documented contact fields, in the served order.
        list_example: The fields the docs' list example shows.
        nullable: The fields the docs allow to be null.
    """
    example = tuple(name for name in fields if name in list_example or name in _TIMESTAMPS)
    return {
        "full": FULL,
        "list_example": ListShape(example),
        "list_example_no_timestamps": ListShape(
            tuple(name for name in example if name not in _TIMESTAMPS)
        ),
        "nullable_omitted": ListShape(None, nullable),
    }


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


# A raw value meaning "leave this field out of the served contact", e.g. corrupt(78, id=OMIT).
OMIT: Any = _Omit()


def checked_raw_values(record: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Returns raw values to serve in place of a record's fields, copied so callers can't edit them.

    Raises:
        ValueError: If there are none, or one names a field the record does not have.
    """
    if not values:
        raise ValueError("give at least one raw value")
    unknown = sorted(set(values).difference(record))
    if unknown:
        raise ValueError(f"Unknown fields: {', '.join(unknown)}")
    return {
        name: value if value is OMIT else copy.deepcopy(value) for name, value in values.items()
    }


def with_raw_values(served: dict[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Puts raw values into a served contact, verbatim, keeping the fields' places; returns it."""
    for name, value in raw.items():
        if value is OMIT:
            served.pop(name, None)
        else:
            served[name] = copy.deepcopy(value)
    return served


class CorruptibleStore:
    """Lets a store serve some contacts as an upstream bug would: the raw values of `corrupt`.

    For stores that keep `_records` (id -> stored contact), `_raw` (id -> raw values served in
    place of the stored ones) and `_lock`.
    """

    _records: dict[Any, dict[str, Any]]
    _raw: dict[Any, dict[str, Any]]
    _lock: Any

    def corrupt(self, contact_id: Any, /, **raw_values: Any) -> None:
        """Makes a contact break the API's contract in what the list and GET endpoints send.

        Each value is served verbatim in place of the field's stored one (timestamps too: they
        are not rendered), OMIT leaves the field out; repeated calls add up. Nothing else
        changes: updated_at stays, the contact keeps its place in the listing and in totals,
        and sorting, filters and writes still see the stored values.

        Raises:
            KeyError: If there is no such contact.
            ValueError: If no value is given or one names a field contacts do not have.
        """
        with self._lock:
            values = checked_raw_values(self._records[contact_id], raw_values)
            self._raw.setdefault(contact_id, {}).update(values)

    def repair(self, contact_id: Any) -> None:
        """Serves a contact from its stored values again, undoing `corrupt`.

        Raises:
            KeyError: If there is no such contact.
        """
        with self._lock:
            if contact_id not in self._records:
                raise KeyError(contact_id)
            self._raw.pop(contact_id, None)

    def corrupted_ids(self) -> list[Any]:
        """Returns the ids of the contacts `corrupt` made break the contract, sorted."""
        with self._lock:
            return sorted(self._raw)

"""Simulated LevCapital external API v2: the contacts routes, their envelopes and the store."""

from __future__ import annotations

import base64
import bisect
import copy
import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from demo.simulators.clock import Clock, format_iso_z, parse_timestamps, to_epoch
from demo.simulators.data import levcapital as generated
from demo.simulators.server import (
    ApiRequest,
    ApiResponse,
    Simulator,
    given_records,
    json_body,
    parse_count,
    status_phrase,
)
from demo.simulators.shapes import (
    FULL,
    CorruptibleStore,
    ListShape,
    list_shapes,
    with_raw_values,
)

CONTACTS_PATH = "/api/external/v2/contacts"
_CONTACT_PATH = re.compile(re.escape(CONTACTS_PATH) + r"/([^/]+)")

CONTACT_FIELDS = (
    "id", "contact_type", "first_name", "last_name", "email", "title", "department", "address",
    "city", "state", "zip", "linkedin_url", "is_primary", "owner_account_id", "is_connected",
    "created_at", "updated_at",
)  # fmt: skip
# The Contact Object table's "string|null" and "integer|null" fields.
NULLABLE_FIELDS = frozenset(CONTACT_FIELDS).difference(("id", "is_primary", "is_connected"))
# The docs' list example shows the whole Contact Object.
_LIST_SHAPES = list_shapes(CONTACT_FIELDS, CONTACT_FIELDS, NULLABLE_FIELDS)
# What POST and PATCH may set, with the JSON type each needs; company_id is only checked, as
# the documented Contact Object does not return it.
WRITABLE_FIELDS: dict[str, type] = {
    "contact_type": str,
    "first_name": str,
    "last_name": str,
    "email": str,
    "title": str,
    "department": str,
    "address": str,
    "city": str,
    "state": str,
    "zip": str,
    "linkedin_url": str,
    "is_primary": bool,
}
CONTACT_TYPES = ("lender_contact", "sponsor")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SORTABLE_FIELDS = ("id", "created_at", "updated_at")
CURSOR_WITH_SORT_MESSAGE = "cursor and sort cannot be combined; use offset pagination when sorting"

_ERROR_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    422: "validation_error",
}
_ERROR_MESSAGES = {401: "Authentication required", 404: "Not found"}
# Cursors handed out, mapped to the page they lead to; capped because nothing expires them.
_REMEMBERED_CURSORS = 100_000


def encode_cursor(last_id: int) -> str:
    """Returns the cursor for the page after `last_id`: base64 of JSON {"id": last_id}."""
    return base64.b64encode(json.dumps({"id": last_id}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """Returns the last id of the previous page from a cursor.

    Raises:
        ValueError: If it is not base64 of a JSON object with an integer "id".
    """
    try:
        decoded = json.loads(base64.b64decode(cursor, validate=True))
    except ValueError:
        raise ValueError("Invalid cursor") from None
    if not isinstance(decoded, dict) or type(decoded.get("id")) is not int:
        raise ValueError("Invalid cursor")
    return decoded["id"]


def _rendered(served: dict[str, Any]) -> dict[str, Any]:
    if "created_at" in served:
        served["created_at"] = format_iso_z(served["created_at"])
    if "updated_at" in served:
        served["updated_at"] = format_iso_z(served["updated_at"])
    return served


def stored_record(contact: Mapping[str, Any]) -> dict[str, Any]:
    """Returns a contact written as the API serves it, in storage shape.

    Missing fields are stored as null, except is_connected, which defaults to true (the list
    endpoint serves only connected contacts); fields the docs do not define are kept, after
    the documented ones.

    Raises:
        ValueError: If the id is not an integer or a timestamp is not ISO-8601 text (or null).
    """
    contact_id = contact.get("id")
    if type(contact_id) is not int:
        raise ValueError(f"contact id must be an integer, not {contact_id!r}")
    record: dict[str, Any] = dict.fromkeys(CONTACT_FIELDS)
    record.update(copy.deepcopy(dict(contact)))
    if "is_connected" not in contact:
        record["is_connected"] = True
    return parse_timestamps(record, ("created_at", "updated_at"))


def _writable_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Returns the known writable fields of a request body, type-checked; ignores the rest.

    Raises:
        ValueError: With the API's validation message.
    """
    values = {}
    for name, kind in WRITABLE_FIELDS.items():
        if name not in fields:
            continue
        value = fields[name]
        if not (type(value) is kind or (value is None and kind is str)):
            raise ValueError(f"{name} must be a {'boolean' if kind is bool else 'string'}")
        values[name] = value
    if "contact_type" in values and values["contact_type"] not in CONTACT_TYPES:
        raise ValueError("contact_type must be lender_contact or sponsor")
    if "company_id" in fields and type(fields["company_id"]) is not int:
        raise ValueError("company_id must be an integer")
    return values


class LevCapitalStore(CorruptibleStore):
    """One account's contacts, connected or not; thread-safe.

    Reads return contacts exactly as the API serves them, as fresh copies. Writes stamp
    updated_at from the clock, as the API does.

    Args:
        records: Contacts in storage shape: the served fields in the served order, timestamps
            as epoch seconds or None.
        clock: Stamps writes.
    """

    def __init__(self, records: list[dict[str, Any]], clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._records = {record["id"]: record for record in records}
        # Contract-breaking values served in place of stored ones, by contact id.
        self._raw: dict[int, dict[str, Any]] = {}
        self._max_id = max(self._records, default=0)
        # Connected ids, ascending: the listing, walked by bisecting on the cursor's id.
        self._listed = [record["id"] for record in records if record["is_connected"]]
        self._listed.sort()

    def _serve(self, record: dict[str, Any], shape: ListShape = FULL) -> dict[str, Any]:
        raw = self._raw.get(record["id"]) if self._raw else None
        if raw is None:
            # Records are kept in CONTACT_FIELDS order, so a plain copy serves them in order.
            return _rendered(shape.pick(record))
        return shape.pick_present(with_raw_values(_rendered(dict(record)), raw))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def listed_count(self) -> int:
        """Returns how many contacts the list endpoint serves (the connected ones)."""
        with self._lock:
            return len(self._listed)

    def highest_listed_id(self) -> int:
        """Returns the highest id the list endpoint serves, 0 when it serves none."""
        with self._lock:
            return self._listed[-1] if self._listed else 0

    def list_all(self) -> list[dict[str, Any]]:
        """Returns every listed (connected) contact in listing order (id ascending).

        Contacts come whole, as GET by id serves them, whatever the list shape.
        """
        with self._lock:
            return [self._serve(self._records[contact_id]) for contact_id in self._listed]

    def get(self, contact_id: int) -> dict[str, Any] | None:
        """Returns a contact as served, connected or not, or None if the account has no such id."""
        with self._lock:
            record = self._records.get(contact_id)
            return None if record is None else self._serve(record)

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Creates a contact like POST does: new id, not connected, stamped now.

        Args:
            fields: The request body; contact_type and company_id are required.

        Returns:
            The new contact as served.

        Raises:
            ValueError: With the API's validation message.
        """
        if fields.get("contact_type") is None:
            raise ValueError("contact_type is required")
        values = _writable_values(fields)
        if fields.get("company_id") is None:
            raise ValueError("company_id is required")
        with self._lock:
            now = to_epoch(self._clock.now())
            self._max_id += 1
            record: dict[str, Any] = dict.fromkeys(CONTACT_FIELDS)
            record.update(
                id=self._max_id,
                is_primary=False,
                is_connected=False,
                owner_account_id=generated.OWNER_ACCOUNT_ID,
                created_at=now,
                updated_at=now,
            )
            record.update(values)
            self._records[record["id"]] = record
            return self._serve(record)

    def update(self, contact_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Updates the given known fields like PATCH does and stamps updated_at now.

        Returns:
            The contact as served.

        Raises:
            KeyError: If there is no such contact.
            ValueError: With the API's validation message.
        """
        with self._lock:
            record = self._records[contact_id]
            record.update(_writable_values(fields))
            record["updated_at"] = to_epoch(self._clock.now())
            return self._serve(record)

    def set_connected(self, contact_id: int, connected: bool) -> None:
        """Connects or disconnects a contact, which adds it to or drops it from the listing.

        Raises:
            KeyError: If there is no such contact.
        """
        with self._lock:
            record = self._records[contact_id]
            position = bisect.bisect_left(self._listed, contact_id)
            listed = position < len(self._listed) and self._listed[position] == contact_id
            if connected and not listed:
                self._listed.insert(position, contact_id)
            elif not connected and listed:
                del self._listed[position]
            record["is_connected"] = connected
            record["updated_at"] = to_epoch(self._clock.now())

    def delete(self, contact_id: int) -> None:
        """Disconnects a contact: the API's way of ending a relationship, so it leaves the list.

        Raises:
            KeyError: If there is no such contact.
        """
        self.set_connected(contact_id, False)

    def listed_before(self, contact_id: int) -> int:
        """Returns how many listed contacts have an id up to `contact_id`."""
        with self._lock:
            return bisect.bisect_right(self._listed, contact_id)

    def page_after(
        self, after_id: int, limit: int, shape: ListShape = FULL
    ) -> tuple[list[dict[str, Any]], int, int | None]:
        """Returns (contacts with ids above `after_id`, total listed, the id to continue after).

        The id to continue after is the last one served, or None when no more follow. It comes
        from the store, as the API's cursor does, so a served item may lack its id.
        """
        with self._lock:
            start = bisect.bisect_right(self._listed, after_id)
            ids = self._listed[start : start + limit]
            items = [self._serve(self._records[contact_id], shape) for contact_id in ids]
            more = start + limit < len(self._listed)
            return items, len(self._listed), ids[-1] if more else None

    def sorted_page(
        self, sort: str, offset: int, limit: int, shape: ListShape = FULL
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """Returns (a page of contacts ordered by `sort`, total listed, whether more follow).

        Args:
            sort: A field of SORTABLE_FIELDS, prefixed with "-" for descending; nulls go last and
                ties keep id order.
            offset: How many contacts to skip.
            limit: Page size.
            shape: What to serve of each contact.
        """
        field = sort.removeprefix("-")
        with self._lock:
            records = [self._records[contact_id] for contact_id in self._listed]
            present = [record for record in records if record[field] is not None]
            present.sort(key=lambda record: record[field], reverse=sort.startswith("-"))
            ordered = present + [record for record in records if record[field] is None]
            page = ordered[offset : offset + limit]
            items = [self._serve(record, shape) for record in page]
            return items, len(ordered), offset + limit < len(ordered)


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    limit = parse_count(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError("limit out of range")
    return limit


def _fields(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(wanted.difference(CONTACT_FIELDS))
    if unknown:
        raise ValueError(f"Unknown fields: {', '.join(unknown)}")
    # The id always comes along: without it a page cannot be continued or deduplicated.
    return tuple(name for name in CONTACT_FIELDS if name == "id" or name in wanted)


class LevCapitalSimulator(Simulator):
    """LevCapital's external API v2 contacts endpoints, serving a generated account.

    Args:
        n_contacts: Contacts in the account, connected or not (about 95% are). From 80 on,
            the pinned ids 78 (the docs' Sarah Chen), 79 and 80 are among them.
        seed: Same seed, same data.
        api_key: The bearer token accepted in the Authorization header.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        read_only: Answer writes with 403, as for a role without write permission.
        clock: A clock to share with another simulator; a new one by default.
        list_shape: What the list endpoint sends per item, one of LIST_SHAPES. The docs' list
            example is the whole contact, so "list_example" is "full" without fields the docs
            do not define.
    """

    name = "levcapital"
    store: LevCapitalStore
    list_shapes = _LIST_SHAPES
    paging_traps: ClassVar[dict[str, str]] = {
        "repeat_cursor": "a page asked for with a cursor answers with that same cursor, and "
        "has_more true",
        "cursor_loop": "the last page answers has_more true, with a cursor back to the start",
        "endless_empty": "past the last contact, has_more true with empty pages and new cursors",
    }

    def __init__(
        self,
        n_contacts: int = 500,
        seed: int = 7,
        api_key: str = "lev-test-key",
        port: int = 0,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        list_shape: str = "full",
    ) -> None:
        super().__init__(api_key=api_key, port=port, clock=clock, list_shape=list_shape)
        self.read_only = read_only
        self.store = LevCapitalStore(generated.generate_contacts(seed, n_contacts), self.clock)
        self._cursor_pages_lock = threading.Lock()
        self._cursor_pages: dict[str, int] = {}

    @classmethod
    def from_contacts(
        cls,
        contacts: Iterable[Mapping[str, Any]],
        api_key: str = "lev-test-key",
        port: int = 0,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        list_shape: str = "full",
        person_ids: Mapping[int, str] | None = None,
    ) -> LevCapitalSimulator:
        """Returns a simulator serving exactly the given contacts instead of generated ones.

        Args:
            contacts: Contacts as the API serves them (ISO-8601 timestamps); see
                `stored_record` for missing fields. New contacts get ids above the highest.
            api_key, port, read_only, clock, list_shape: As for the constructor.
            person_ids: Contact id -> hidden person id, the labelled truth GET /_sim/people
                serves (see `Simulator.label_contacts`); contacts left out have no person.

        Raises:
            ValueError: If a contact cannot be stored (see `stored_record`), ids repeat, or
                `person_ids` names a contact not given or a person id that is not a string.
        """
        records = given_records(contacts, stored_record, person_ids)
        simulator = cls(
            0, api_key=api_key, port=port, read_only=read_only, clock=clock, list_shape=list_shape
        )
        simulator.store = LevCapitalStore(records, simulator.clock)
        if person_ids is not None:
            simulator._label(person_ids)
        return simulator

    # Envelopes

    def _success(self, data: Any, status: int = 200, **extra: Any) -> ApiResponse:
        return ApiResponse(
            status,
            {
                "request_id": str(uuid.uuid4()),
                "timestamp": format_iso_z(to_epoch(self.clock.now())),
                "data": data,
                **extra,
            },
        )

    def _error(self, status: int, message: str | None = None) -> ApiResponse:
        phrase = status_phrase(status)
        error_type = _ERROR_TYPES.get(status) or re.sub(r"\W+", "_", phrase.lower())
        error = {
            "status": status,
            "type": error_type,
            "message": message or _ERROR_MESSAGES.get(status, phrase),
            "details": {},
        }
        return ApiResponse(status, {"request_id": str(uuid.uuid4()), "error": error})

    # Routes

    def _route(self, request: ApiRequest) -> ApiResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token != self.api_key:
            return self._error(401)
        if not request.headers.get("x-origin-app", "").strip():
            return self._error(400, "X-Origin-App header is required")
        if request.path == CONTACTS_PATH:
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return self._create(request)
            return self._error(405)
        match = _CONTACT_PATH.fullmatch(request.path)
        if match is None:
            return self._error(404)
        if request.method not in ("GET", "PATCH"):
            return self._error(405)
        contact_id = self._contact_id(match.group(1))
        if contact_id is None:
            return self._error(400, "contact_id must be an integer")
        if request.method == "GET":
            contact = self.store.get(contact_id)
            if contact is None:
                return self._error(404, "Contact not found")
            return self._success(contact)
        return self._update(contact_id, request)

    def _list(self, request: ApiRequest) -> ApiResponse:
        query = request.query
        cursor, sort, offset_text = query.get("cursor"), query.get("sort"), query.get("offset")
        try:
            limit = _limit(query.get("limit"))
        except ValueError:
            return self._error(400, f"limit must be between 1 and {MAX_LIMIT}")
        if cursor is not None and sort is not None:
            return self._error(400, CURSOR_WITH_SORT_MESSAGE)
        if cursor is not None and offset_text is not None:
            return self._error(400, "cursor and offset cannot be combined")
        try:
            fields = _fields(query.get("fields"))
            after_id = 0 if cursor is None else decode_cursor(cursor)
        except ValueError as error:
            return self._error(400, str(error))
        if sort is not None and sort.removeprefix("-") not in SORTABLE_FIELDS:
            return self._error(400, f"sort must be one of {', '.join(SORTABLE_FIELDS)}")
        try:
            offset = 0 if offset_text is None else parse_count(offset_text)
        except ValueError:
            return self._error(400, "offset must be a non-negative integer")

        shape = self._shape()
        if fields is not None:
            # fields= narrows the shape: it picks among the fields the list sends, adds none.
            shape = shape.restricted_to(fields)
        page = self._list_page(request)
        self._run_list_hooks(page)
        if sort is None and offset_text is None:
            items, total, last_id = self.store.page_after(after_id, limit, shape)
            has_more = last_id is not None
            next_cursor = None if last_id is None else encode_cursor(last_id)
            if self._trapped("repeat_cursor", page) and cursor is not None:
                has_more, next_cursor = True, cursor
            elif self._trapped("cursor_loop", page) and not has_more:
                has_more, next_cursor = True, encode_cursor(0)
            elif self._trapped("endless_empty", page) and not has_more:
                # Past the last contact: empty pages, each with a cursor further on.
                has_more = True
                next_cursor = encode_cursor(max(after_id, self.store.highest_listed_id()) + 1)
            if next_cursor is not None and page is not None:
                self._remember_cursor(next_cursor, page + 1)
        else:
            items, total, has_more = self.store.sorted_page(sort or "id", offset, limit, shape)
            next_cursor = None
        return self._success(
            items,
            pagination={
                "total": total,
                "limit": limit,
                "has_more": has_more,
                "next_cursor": next_cursor,
            },
        )

    def _create(self, request: ApiRequest) -> ApiResponse:
        if self.read_only:
            return self._error(403, "User not authorized to create contact")
        try:
            body = json_body(request)
        except ValueError as error:
            return self._error(400, str(error))
        try:
            return self._success(self.store.create(body), status=201)
        except ValueError as error:
            return self._error(422, str(error))

    def _update(self, contact_id: int, request: ApiRequest) -> ApiResponse:
        if self.read_only:
            return self._error(403, "User not authorized to update contact")
        if self.store.get(contact_id) is None:
            return self._error(404, "Contact not found")
        try:
            body = json_body(request)
        except ValueError as error:
            return self._error(400, str(error))
        try:
            return self._success(self.store.update(contact_id, body))
        except KeyError:
            return self._error(404, "Contact not found")
        except ValueError as error:
            return self._error(422, str(error))

    # Page numbers, for page-specific faults and hooks

    def _remember_cursor(self, cursor: str, page: int) -> None:
        with self._cursor_pages_lock:
            if len(self._cursor_pages) >= _REMEMBERED_CURSORS:
                self._cursor_pages.clear()
            self._cursor_pages[cursor] = page

    def _list_page(self, request: ApiRequest) -> int | None:
        """Returns the 1-based ordinal of a list page within its listing.

        A cursor this simulator handed out leads to the page after the one that carried it, so
        the count survives contacts leaving the list mid-listing; an unknown (but valid) cursor
        is placed by how many listed contacts precede it.
        """
        if request.method != "GET" or request.path != CONTACTS_PATH:
            return None
        query = request.query
        try:
            limit = _limit(query.get("limit"))
            if "sort" in query or "offset" in query:
                return parse_count(query.get("offset", "0")) // limit + 1
            cursor = query.get("cursor")
            if cursor is None:
                return 1
            with self._cursor_pages_lock:
                page = self._cursor_pages.get(cursor)
            return page or self.store.listed_before(decode_cursor(cursor)) // limit + 1
        except ValueError:
            return None

    def _contact_id(self, text: str) -> int | None:
        try:
            return parse_count(text)
        except ValueError:
            return None

"""Simulated SprintMode API: the contacts routes, their envelopes and the store."""

from __future__ import annotations

import bisect
import copy
import math
import random
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import timedelta
from operator import itemgetter
from typing import Any, ClassVar

from demo.simulators.clock import (
    Clock,
    TimestampFormatter,
    offset_suffix,
    parse_timestamp,
    parse_timestamps,
    timestamp_formatter,
    to_epoch,
)
from demo.simulators.data import sprintmode as generated
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

CONTACTS_PATH = "/api/contacts"
_CONTACT_PATH = re.compile(re.escape(CONTACTS_PATH) + r"/([^/]+)")

CONTACT_FIELDS = (
    "id", "email", "first_name", "last_name", "full_name", "company_id", "company_name", "title",
    "role", "department", "phone", "contact_type", "source", "pipeline_stage", "funnel_stage",
    "engagement_score", "last_engagement_at", "enrichment_status", "enrichment_data",
    "linkedin_url", "photo_url", "close_lead_id", "close_contact_id", "tags", "notes",
    "portal_access", "portal_role", "created_at", "updated_at",
)  # fmt: skip
TIMESTAMP_FIELDS = ("last_engagement_at", "created_at", "updated_at")
# The fields of the docs' list example. The docs say nothing of nulls, so any may be null.
LIST_EXAMPLE_FIELDS = (
    "id", "email", "full_name", "company_id", "company_name", "contact_type", "portal_access",
    "portal_role",
)  # fmt: skip
_LIST_SHAPES = list_shapes(CONTACT_FIELDS, LIST_EXAMPLE_FIELDS, frozenset(CONTACT_FIELDS))
# The body fields the docs list for POST and for PATCH; anything else is ignored.
CREATE_FIELDS = (
    "email", "company_id", "first_name", "last_name", "full_name", "title", "role", "department",
    "phone", "contact_type", "source", "pipeline_stage", "funnel_stage", "linkedin_url", "tags",
    "notes", "portal_access", "portal_role",
)  # fmt: skip
UPDATE_FIELDS = (
    "company_id", "email", "first_name", "last_name", "full_name", "title", "role", "department",
    "phone", "contact_type", "source", "pipeline_stage", "funnel_stage", "engagement_score",
    "last_engagement_at", "enrichment_status", "enrichment_data", "linkedin_url", "photo_url",
    "close_lead_id", "close_contact_id", "tags", "notes", "portal_access", "portal_role",
)  # fmt: skip
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# query parameter -> contact field, matched exactly
_EXACT_FILTERS = {"company_id": "company_id", "type": "contact_type", "source": "source"}

# format -> (separator between date and time, zone suffix or None for the configured offset)
TIMESTAMP_FORMATS: dict[str, tuple[str, str | None]] = {
    "sql": (" ", ""),
    "iso_z": ("T", "Z"),
    "iso_offset": ("T", None),
}
_ERROR_MESSAGES = {401: "Invalid or missing API key", 404: "Not found"}
# Where contacts without created_at sort: before every dated one, so the listing serves them last.
_UNDATED = -(2**63)


def _checked(name: str, value: Any) -> Any:
    """Returns a body value in storage shape, or raises ValueError if its type is wrong."""
    if value is None:
        if name == "portal_access":
            raise ValueError("portal_access must be 0 or 1")
        return None
    if name == "engagement_score":
        if type(value) is not int or not 0 <= value <= 100:
            raise ValueError("engagement_score must be an integer from 0 to 100")
    elif name == "portal_access":
        if type(value) is not int or value not in (0, 1):
            raise ValueError("portal_access must be 0 or 1")
    elif name == "enrichment_data":
        if not isinstance(value, dict):
            raise ValueError("enrichment_data must be an object")
    elif name == "last_engagement_at":
        try:
            return parse_timestamp(value)
        except (TypeError, ValueError):
            raise ValueError("last_engagement_at must be a timestamp") from None
    elif not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _checked_values(fields: dict[str, Any], accepted: tuple[str, ...]) -> dict[str, Any]:
    return {name: _checked(name, fields[name]) for name in accepted if name in fields}


def stored_record(contact: Mapping[str, Any]) -> dict[str, Any]:
    """Returns a contact written as the API serves it, in storage shape.

    Missing fields are stored as null; fields the docs do not define are kept, after the
    documented ones. Values are taken as they are, checked no more than the API checks
    what it already holds.

    Raises:
        ValueError: If the id is not a string or a timestamp is not ISO-8601 or SQL-style text
            (or null).
    """
    contact_id = contact.get("id")
    if not isinstance(contact_id, str):
        raise ValueError(f"contact id must be a string, not {contact_id!r}")
    record: dict[str, Any] = dict.fromkeys(CONTACT_FIELDS)
    record.update(copy.deepcopy(dict(contact)))
    return parse_timestamps(record, TIMESTAMP_FIELDS)


def _renderer(timestamp_format: str, utc_offset: timedelta) -> TimestampFormatter:
    if timestamp_format not in TIMESTAMP_FORMATS:
        raise ValueError(f"timestamp_format must be one of {', '.join(TIMESTAMP_FORMATS)}")
    separator, suffix = TIMESTAMP_FORMATS[timestamp_format]
    if suffix is None:
        return timestamp_formatter(separator, offset_suffix(utc_offset), utc_offset)
    return timestamp_formatter(separator, suffix)


class SprintModeStore(CorruptibleStore):
    """The workspace's contacts; thread-safe.

    Reads return contacts exactly as the API serves them, as fresh copies. Writes stamp
    updated_at from the clock, as the API does.

    Args:
        records: Contacts in storage shape: the served fields in the served order, timestamps
            as epoch seconds or None.
        companies: Company id -> name, which POST and PATCH look company_name up in.
        clock: Stamps writes.
        render_timestamp: Renders stored timestamps for serving.
        seed: Seed of the ids POST hands out.
    """

    def __init__(
        self,
        records: list[dict[str, Any]],
        companies: dict[str, str],
        clock: Clock,
        render_timestamp: TimestampFormatter,
        seed: int,
    ) -> None:
        self._clock = clock
        self._render = render_timestamp
        self._companies = dict(companies)
        self._lock = threading.RLock()
        self._records = {record["id"]: record for record in records}
        # Contract-breaking values served in place of stored ones, by contact id.
        self._raw: dict[str, dict[str, Any]] = {}
        # Ids by (created_at, id) ascending, kept sorted through writes; the listing (newest
        # first, ties by id descending) reads it backwards, so no request sorts anything. Two
        # stable sorts on plain keys are about twice as fast at 160k as one on tuples. Contacts
        # without created_at (only ever given, never generated) come first, as in _order_key.
        by_age = sorted(records, key=itemgetter("id"))
        undated = [record for record in by_age if record["created_at"] is None]
        if undated:
            by_age = [record for record in by_age if record["created_at"] is not None]
        by_age.sort(key=itemgetter("created_at"))
        self._order = [record["id"] for record in undated + by_age]
        self._new_ids = random.Random(f"sprintmode-new-ids:{seed}")

    def _order_key(self, contact_id: str) -> tuple[int, str]:
        created_at = self._records[contact_id]["created_at"]
        return _UNDATED if created_at is None else created_at, contact_id

    def _serve(self, record: dict[str, Any], shape: ListShape = FULL) -> dict[str, Any]:
        raw = self._raw.get(record["id"]) if self._raw else None
        # Records are kept in CONTACT_FIELDS order, so a plain copy serves them in order.
        served = shape.pick(record) if raw is None else dict(record)
        for name in TIMESTAMP_FIELDS:
            if name in served:
                served[name] = self._render(served[name])
        if served.get("enrichment_data") is not None:
            served["enrichment_data"] = dict(served["enrichment_data"])
        if raw is not None:
            served = shape.pick_present(with_raw_values(served, raw))
        return served

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def listed_count(self) -> int:
        """Returns how many contacts an unfiltered listing serves: all of them."""
        return len(self)

    def list_all(self) -> list[dict[str, Any]]:
        """Returns every contact in listing order (newest created first).

        Contacts come whole, as GET by id serves them, whatever the list shape.
        """
        with self._lock:
            return [self._serve(self._records[contact_id]) for contact_id in reversed(self._order)]

    def get(self, contact_id: str) -> dict[str, Any] | None:
        """Returns a contact as served, or None if there is no such id."""
        with self._lock:
            record = self._records.get(contact_id)
            return None if record is None else self._serve(record)

    def page(
        self,
        page: int,
        limit: int,
        filters: dict[str, str] | None = None,
        shape: ListShape = FULL,
    ) -> tuple[list[dict[str, Any]], int]:
        """Returns (one page of the listing, how many contacts match the filters).

        Args:
            page: 1-based page number.
            limit: Page size.
            filters: Non-empty values of company_id, type, source (exact) and search
                (case-insensitive substring of full_name or email), matched against the stored
                values.
            shape: What to serve of each contact.
        """
        filters = filters or {}
        skip = (page - 1) * limit
        with self._lock:
            if not filters:
                total = len(self._order)
                end = max(0, total - skip)
                ids = reversed(self._order[max(0, end - limit) : end])
                return [self._serve(self._records[contact_id], shape) for contact_id in ids], total
            matching = [
                record
                for record in (self._records[contact_id] for contact_id in reversed(self._order))
                if _matches(record, filters)
            ]
            items = [self._serve(record, shape) for record in matching[skip : skip + limit]]
            return items, len(matching)

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Creates a contact like POST does, with the documented defaults, stamped now.

        Args:
            fields: The request body; email or company_id is required.

        Returns:
            The whole new contact as served (POST itself answers only id, full_name, email).

        Raises:
            ValueError: With the API's validation message.
        """
        values = _checked_values(fields, CREATE_FIELDS)
        if not values.get("email") and not values.get("company_id"):
            raise ValueError("email or company_id is required")
        with self._lock:
            now = to_epoch(self._clock.now())
            contact_id = f"ct_{self._new_ids.getrandbits(32):08x}"
            while contact_id in self._records:
                contact_id = f"ct_{self._new_ids.getrandbits(32):08x}"
            record: dict[str, Any] = dict.fromkeys(CONTACT_FIELDS)
            record.update(contact_type="end_user", source="manual", portal_access=0)
            record.update(values)
            if record["full_name"] is None:
                parts = (record["first_name"], record["last_name"])
                record["full_name"] = " ".join(part for part in parts if part) or None
            record.update(
                id=contact_id,
                company_name=self._companies.get(record["company_id"]),
                created_at=now,
                updated_at=now,
            )
            self._records[contact_id] = record
            bisect.insort(self._order, contact_id, key=self._order_key)
            return self._serve(record)

    def update(self, contact_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Updates the given documented fields like PATCH does and stamps updated_at now.

        Returns:
            The contact as served.

        Raises:
            KeyError: If there is no such contact.
            ValueError: With the API's validation message.
        """
        with self._lock:
            record = self._records[contact_id]
            values = _checked_values(fields, UPDATE_FIELDS)
            record.update(values)
            if "company_id" in values:
                record["company_name"] = self._companies.get(values["company_id"])
            record["updated_at"] = to_epoch(self._clock.now())
            return self._serve(record)

    def delete(self, contact_id: str) -> None:
        """Removes a contact for good (the API documents no delete; this is the UI's doing).

        Raises:
            KeyError: If there is no such contact.
        """
        with self._lock:
            key = self._order_key(contact_id)
            del self._order[bisect.bisect_left(self._order, key, key=self._order_key)]
            del self._records[contact_id]
            self._raw.pop(contact_id, None)


def _matches(record: dict[str, Any], filters: dict[str, str]) -> bool:
    for parameter, field in _EXACT_FILTERS.items():
        if parameter in filters and record[field] != filters[parameter]:
            return False
    needle = filters.get("search")
    if needle is None:
        return True
    needle = needle.lower()
    return any(needle in (record[field] or "").lower() for field in ("full_name", "email"))


def _positive(text: str | None, default: int) -> int:
    value = default if text is None else parse_count(text)
    if value < 1:
        raise ValueError("not positive")
    return value


class SprintModeSimulator(Simulator):
    """SprintMode's contacts endpoints, serving a generated workspace.

    Args:
        n_contacts: Contacts in the workspace. From 100 on, the pinned "ct_a1b2c3d4" (the
            docs' Jane Smith), "ct_5c4e2a10" and "ct_00000001" are among them.
        seed: Same seed, same data; also the seed of the LevCapital people it shares.
        api_key: The key accepted in the X-SM-Key header.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        timestamp_format: "sql" ("2026-01-10 08:00:00", UTC), "iso_z" ("2026-01-10T08:00:00Z")
            or "iso_offset" ("2026-01-10T10:00:00+02:00": same instant, shifted wall time).
        utc_offset: The offset "iso_offset" renders.
        levcapital_n_contacts: Size of the LevCapital simulator whose people about 15% of
            these contacts are; defaults to `n_contacts`.
        clock: A clock to share with another simulator; a new one by default.
        list_shape: What the list endpoint sends per item, one of LIST_SHAPES.
    """

    name = "sprintmode"
    store: SprintModeStore
    list_shapes = _LIST_SHAPES
    paging_traps: ClassVar[dict[str, str]] = {
        "clamp_pages": "a page past the last answers the last page again, with hasMore true",
        "stuck_page": "every page from `from_page` on answers that page's contacts, with "
        "hasMore true",
        "endless_empty": "hasMore is always true; pages past the last are empty",
    }

    def __init__(
        self,
        n_contacts: int = 300,
        seed: int = 7,
        api_key: str = "sm-test-key",
        port: int = 0,
        *,
        timestamp_format: str = "sql",
        utc_offset: timedelta = timedelta(hours=2),
        levcapital_n_contacts: int | None = None,
        clock: Clock | None = None,
        list_shape: str = "full",
    ) -> None:
        render = _renderer(timestamp_format, utc_offset)
        super().__init__(api_key=api_key, port=port, clock=clock, list_shape=list_shape)
        self.timestamp_format = timestamp_format
        records, companies = generated.generate_contacts(seed, n_contacts, levcapital_n_contacts)
        self.store = SprintModeStore(records, companies, self.clock, render, seed)

    @classmethod
    def from_contacts(
        cls,
        contacts: Iterable[Mapping[str, Any]],
        api_key: str = "sm-test-key",
        port: int = 0,
        *,
        seed: int = 7,
        timestamp_format: str = "sql",
        utc_offset: timedelta = timedelta(hours=2),
        clock: Clock | None = None,
        list_shape: str = "full",
        person_ids: Mapping[str, str] | None = None,
    ) -> SprintModeSimulator:
        """Returns a simulator serving exactly the given contacts instead of generated ones.

        The companies POST and PATCH know are those the contacts name (company_id with its
        company_name).

        Args:
            contacts: Contacts as the API serves them, timestamps as text in any of the
                TIMESTAMP_FORMATS; see `stored_record` for missing fields.
            seed: Seed of the ids POST hands out.
            api_key, port, timestamp_format, utc_offset, clock, list_shape: As for the
                constructor.
            person_ids: Contact id -> hidden person id, the labelled truth GET /_sim/people
                serves (see `Simulator.label_contacts`); contacts left out have no person.

        Raises:
            ValueError: If a contact cannot be stored (see `stored_record`), ids repeat, or
                `person_ids` names a contact not given or a person id that is not a string.
        """
        records = given_records(contacts, stored_record, person_ids)
        companies = {
            record["company_id"]: record["company_name"]
            for record in records
            if record["company_id"] is not None and record["company_name"] is not None
        }
        simulator = cls(
            0,
            seed,
            api_key,
            port,
            timestamp_format=timestamp_format,
            utc_offset=utc_offset,
            clock=clock,
            list_shape=list_shape,
        )
        render = _renderer(timestamp_format, utc_offset)
        simulator.store = SprintModeStore(records, companies, simulator.clock, render, seed)
        if person_ids is not None:
            simulator._label(person_ids)
        return simulator

    def _error(self, status: int, message: str | None = None) -> ApiResponse:
        # The docs define no error envelope; this is an assumption shaped like the success one.
        phrase = status_phrase(status)
        message = message or _ERROR_MESSAGES.get(status, phrase)
        return ApiResponse(status, {"ok": False, "error": message})

    def _route(self, request: ApiRequest) -> ApiResponse:
        if request.headers.get("x-sm-key") != self.api_key:
            return self._error(401)
        if request.path == CONTACTS_PATH:
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return self._create(request)
            return self._error(405)
        match = _CONTACT_PATH.fullmatch(request.path)
        if match is None:
            return self._error(404)
        contact_id = match.group(1)
        if request.method == "GET":
            contact = self.store.get(contact_id)
            if contact is None:
                return self._error(404, "Contact not found")
            return ApiResponse(200, {"ok": True, "data": contact})
        if request.method == "PATCH":
            return self._update(contact_id, request)
        return self._error(405)

    def _list(self, request: ApiRequest) -> ApiResponse:
        query = request.query
        try:
            page = _positive(query.get("page"), 1)
        except ValueError:
            return self._error(400, "page must be a positive integer")
        try:
            limit = min(_positive(query.get("limit"), DEFAULT_LIMIT), MAX_LIMIT)
        except ValueError:
            return self._error(400, "limit must be a positive integer")
        # Like the Express handler behind it, an empty filter value means no filter.
        filters = {name: query[name] for name in (*_EXACT_FILTERS, "search") if query.get(name)}
        self._run_list_hooks(page)
        served_page = page
        if self._trapped("stuck_page", page):
            served_page = self.paging_trap_from
        items, total = self.store.page(served_page, limit, filters, self._shape())
        has_more = page * limit < total
        if self._trapped("clamp_pages", page) and not items and total:
            # Past the end: the last page again, as a server that clamps the page number does.
            items, total = self.store.page(math.ceil(total / limit), limit, filters, self._shape())
        if self.paging_trap is not None and self._trapped(self.paging_trap, page):
            has_more = True
        data = {"items": items, "total": total, "page": page, "limit": limit, "hasMore": has_more}
        return ApiResponse(200, {"ok": True, "data": data})

    def _create(self, request: ApiRequest) -> ApiResponse:
        try:
            contact = self.store.create(json_body(request))
        except ValueError as error:
            return self._error(400, str(error))
        data = {"id": contact["id"], "full_name": contact["full_name"], "email": contact["email"]}
        return ApiResponse(201, {"ok": True, "data": data})

    def _update(self, contact_id: str, request: ApiRequest) -> ApiResponse:
        if self.store.get(contact_id) is None:
            return self._error(404, "Contact not found")
        try:
            self.store.update(contact_id, json_body(request))
        except KeyError:
            return self._error(404, "Contact not found")
        except ValueError as error:
            return self._error(400, str(error))
        return ApiResponse(200, {"ok": True, "data": {"id": contact_id, "updated": True}})

    def _list_page(self, request: ApiRequest) -> int | None:
        if request.method != "GET" or request.path != CONTACTS_PATH:
            return None
        try:
            return _positive(request.query.get("page"), 1)
        except ValueError:
            return None

    def _contact_id(self, text: str) -> str:
        return text

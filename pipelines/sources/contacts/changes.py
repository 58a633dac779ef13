"""Change detection by content: which listed contacts a run must write, and which it sets aside."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from pipelines.http.errors import loads_leniently
from pipelines.settings import CONTENT_HASH, CURSOR_FIELD
from pipelines.sources.contacts.contract import ContactContract, RejectedContact, item_id
from pipelines.sources.contacts.ledger import LedgerRow
from pipelines.sources.contacts.rejects import reject_key


def canonical_content(contact: dict[str, Any]) -> bytes:
    """A contact's content as canonical JSON: keys sorted, nulls and the fingerprint left out.

    A field that is null is written as a field that is absent: an API that leaves nulls out
    (as the docs allow) and one that sends them describe the same contact. Its length in
    bytes bounds the length of every text in the contact, which spares the columnar reader
    measuring each one.
    """
    content = {
        name: value for name, value in contact.items() if value is not None and name != CONTENT_HASH
    }
    try:
        # orjson takes under half of json's time here, paid for every listed contact, every night.
        return orjson.dumps(content, default=_as_text, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # What orjson refuses (an integer beyond 64 bits, NaN) json still writes.
        return json.dumps(content, sort_keys=True, default=str).encode()


def _as_text(value: Any) -> str:
    """What orjson writes of a value it has no JSON for; NaN or Infinity (`NotJsonNumber`,
    a float) it must not write as text, so json writes it instead."""
    if isinstance(value, float):
        raise TypeError(f"no JSON number: {value!r}")
    return str(value)


def digest(canonical: bytes) -> str:
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of a contact's content, as the API sent it (`canonical_content`)."""
    return digest(canonical_content(contact))


def staged(item: Any) -> tuple[Any, str | None, bytes]:
    """What the ledger keeps of a listed item: its id, its fingerprint (None when it is no
    JSON object, which the contract then sets aside) and its canonical JSON."""
    if isinstance(item, dict):
        canonical = canonical_content(item)
        return item_id(item), digest(canonical), canonical
    try:
        return None, None, orjson.dumps(item)
    except TypeError:
        return None, None, json.dumps(item).encode()


class Changed(NamedTuple):
    """A listed item whose content the destination does not hold yet."""

    item: Any
    contact_id: Any
    fingerprint: str | None
    """None when the item is no JSON object: the contract then sets it aside."""
    canonical: bytes | None
    held: bool = False
    """Whether the destination holds a contact of this id, live or marked deleted."""
    held_fingerprint: str | None = None


def changed_of(row: LedgerRow) -> Changed:
    """The item of a ledger row, decoded from its canonical JSON."""
    try:
        item = orjson.loads(row.content)
    except orjson.JSONDecodeError:
        # What orjson refuses and Python's json reads: a lone surrogate, NaN, Infinity.
        item = loads_leniently(row.content)
    return Changed(
        item,
        item_id(item),
        row.fingerprint,
        row.content if isinstance(item, dict) else None,
        row.held,
        row.held_fingerprint,
    )


class ChangeSorter:
    """Sorts the changed contacts of one run into the two passes that write them, and those
    it sets aside.

    Which contacts changed is the ledger's answer (`ContactLedger.changed`): those whose
    content fingerprint differs from the one the destination holds. The fingerprints live in
    the raw table itself, beside the row they describe, not in dlt's state: the state then
    stays the same size however many contacts there are, and a row and its fingerprint can
    never disagree. This finds changes by content, so it works when the API sends no
    timestamps at all, when a field starts to appear, and when a contact is fixed without a
    new `updated_at`.

    dlt's incremental cursor still keeps `updated_at` and drops what is older than it (less
    the lag); a new or changed contact that old goes to `behind`, for the second pass.
    """

    def __init__(self, contract: ContactContract, cursor: Any) -> None:
        """
        Args:
            contract: what each contact is checked against.
            cursor: dlt's cursor less the lag; None on a first run.
        """
        self._contract = contract
        self._cursor = cursor
        self.behind: dict[Any, dict[str, Any]] = {}
        self.rejected: dict[str, tuple[Any, RejectedContact]] = {}
        self.written = 0
        """Contacts written, both passes included."""
        self.inserted = 0
        """Contacts written that the destination did not hold."""
        self.updated = 0
        """Contacts written that the destination held with other content."""

    def hold_back(self, contacts: list[dict[str, Any]]) -> None:
        """Moves contacts `sort` gave the main pass to the second, cursor-free one."""
        for contact in contacts:
            self.behind[contact["id"]] = contact

    def sort(self, changed: Iterable[Changed]) -> list[dict[str, Any]]:
        """The contacts of `changed` that the main pass must write, read by the contract;
        records those it sets aside (broken) or holds back (behind the cursor)."""
        to_write = []
        for entry in changed:
            if (contact := self._read(entry)) is None:
                continue
            self._count(entry)
            updated_at = contact.get(CURSOR_FIELD)
            if self._cursor is not None and updated_at is not None and updated_at < self._cursor:
                self.behind[entry.contact_id] = contact
            else:
                to_write.append(contact)
        return to_write

    def admit(self, changed: list[Changed], behind: Iterable[bool]) -> None:
        """Counts `changed` as written, and holds back those `behind` the cursor: the
        columnar reader's answer for contacts it read without the contract."""
        for entry, is_behind in zip(changed, behind, strict=True):
            self._count(entry)
            # Rare (an import that kept old timestamps): the second pass takes dicts.
            if is_behind and (contact := self._read(entry)) is not None:
                self.behind[entry.contact_id] = contact

    def _count(self, entry: Changed) -> None:
        self.written += 1
        if not entry.held:
            self.inserted += 1
        elif entry.held_fingerprint != entry.fingerprint:
            # A refresh rewrites unchanged contacts too: they are neither.
            self.updated += 1

    def _read(self, entry: Changed) -> dict[str, Any] | None:
        """The contact read by the contract, with its fingerprint; None once set aside."""
        try:
            contact = self._contract.read(entry.item)
        except RejectedContact as rejected:
            self.rejected[reject_key(entry.item, rejected)] = (entry.item, rejected)
            return None
        contact[CONTENT_HASH] = entry.fingerprint
        return contact

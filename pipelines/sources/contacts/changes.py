"""Change detection by content: which listed contacts a run must write, and which it sets aside."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from pipelines.settings import CONTENT_HASH, CURSOR_FIELD
from pipelines.sources.contacts.contract import ContactContract, RejectedContact, item_id
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
        return orjson.dumps(content, default=str, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # What orjson refuses (an integer beyond 64 bits) json still writes.
        return json.dumps(content, sort_keys=True, default=str).encode()


def digest(canonical: bytes) -> str:
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of a contact's content, as the API sent it (`canonical_content`)."""
    return digest(canonical_content(contact))


class Changed(NamedTuple):
    """A listed item whose content the destination does not hold yet."""

    item: Any
    contact_id: Any
    fingerprint: str | None
    """None when the item is no JSON object: the contract then sets it aside."""
    canonical: bytes | None


class ChangeSorter:
    """Sorts one run's contacts into unchanged, rejected, and the two passes that write them.

    A contact is written only when its content fingerprint differs from the one the
    destination holds (or from the one this run already wrote, should a shifting listing
    be read again). The fingerprints live in the raw table itself, beside the row they
    describe, not in dlt's state: the state then stays the same size however many contacts
    there are, and a row and its fingerprint can never disagree. This finds changes by
    content, so it works when the API sends no timestamps at all, when a field starts to
    appear, and when a contact is fixed without a new `updated_at`.

    dlt's incremental cursor still keeps `updated_at` and drops what is older than it (less
    the lag); a new or changed contact that old goes to `behind`, for the second pass.
    """

    def __init__(
        self, contract: ContactContract, held_hashes: dict[Any, str | None], cursor: Any
    ) -> None:
        """
        Args:
            contract: what each contact is checked against.
            held_hashes: the fingerprint of each contact the destination holds.
            cursor: dlt's cursor less the lag; None on a first run.
        """
        self._contract = contract
        self._held_hashes = held_hashes
        self._cursor = cursor
        self.written: dict[Any, str] = {}
        """id -> fingerprint of every contact yielded this run, over every listing."""
        self.start_listing()

    def start_listing(self) -> None:
        """Forgets what an earlier listing set aside: only the last listing is current.

        A copy kept from an earlier listing could be merged over a fresher one, or bring back
        a contact deleted between the two listings.
        """
        self.behind: dict[Any, dict[str, Any]] = {}
        self.rejected: dict[str, tuple[Any, RejectedContact]] = {}
        self.unchanged = 0

    def hold_back(self, contacts: list[dict[str, Any]]) -> None:
        """Moves contacts `sort` gave the main pass to the second, cursor-free one."""
        for contact in contacts:
            self.written.pop(contact["id"], None)
            self.behind[contact["id"]] = contact

    def changed(self, items: Iterable[Any]) -> list[Changed]:
        """The items whose fingerprint differs from the one held; counts the others unchanged.

        The fingerprint is taken of the item as the API sent it, before the contract reads
        it: most nights most contacts are unchanged, and reading one costs more than its
        fingerprint.
        """
        changed = []
        for item in items:
            canonical = canonical_content(item) if isinstance(item, dict) else None
            item_digest = digest(canonical) if canonical is not None else None
            contact_id = item_id(item)
            if (
                item_digest is not None
                and contact_id is not None
                and self.written.get(contact_id, self._held_hashes.get(contact_id)) == item_digest
            ):
                self.unchanged += 1
                continue
            changed.append(Changed(item, contact_id, item_digest, canonical))
        return changed

    def sort(self, changed: Iterable[Changed]) -> list[dict[str, Any]]:
        """The contacts of `changed` that the main pass must write, read by the contract;
        records those it sets aside (broken) or holds back (behind the cursor)."""
        to_write = []
        for entry in changed:
            if (contact := self._read(entry)) is None:
                continue
            updated_at = contact.get(CURSOR_FIELD)
            if self._cursor is not None and updated_at is not None and updated_at < self._cursor:
                self.behind[entry.contact_id] = contact
            else:
                self.written[entry.contact_id] = entry.fingerprint
                to_write.append(contact)
        return to_write

    def admit(self, changed: list[Changed], behind: Iterable[bool]) -> None:
        """Records `changed` as written but for those `behind` the cursor, which it holds
        back: the columnar reader's answer for contacts it read without the contract."""
        for entry, is_behind in zip(changed, behind, strict=True):
            if not is_behind:
                self.written[entry.contact_id] = entry.fingerprint
            # Rare (an import that kept old timestamps): the second pass takes dicts.
            elif (contact := self._read(entry)) is not None:
                self.behind[entry.contact_id] = contact

    def _read(self, entry: Changed) -> dict[str, Any] | None:
        """The contact read by the contract, with its fingerprint; None once set aside."""
        try:
            contact = self._contract.read(entry.item)
        except RejectedContact as rejected:
            self.rejected[reject_key(entry.item, rejected)] = (entry.item, rejected)
            return None
        contact[CONTENT_HASH] = entry.fingerprint
        return contact

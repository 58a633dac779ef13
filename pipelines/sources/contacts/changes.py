"""Change detection by content: which listed contacts a run must write, and which it sets aside."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import orjson

from pipelines.settings import CONTENT_HASH, CURSOR_FIELD
from pipelines.sources.contacts.contract import ContactContract, RejectedContact, item_id
from pipelines.sources.contacts.rejects import reject_key


def fingerprint(contact: dict[str, Any]) -> str:
    """A stable digest of a contact's content, as the API sent it.

    A field that is null digests as a field that is absent: an API that leaves nulls out
    (as the docs allow) and one that sends them describe the same contact.
    """
    content = {
        name: value for name, value in contact.items() if value is not None and name != CONTENT_HASH
    }
    try:
        # orjson takes under half of json's time here, paid for every listed contact, every night.
        canonical = orjson.dumps(content, default=str, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # What orjson refuses (an integer beyond 64 bits) json still writes.
        canonical = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


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

    def sort(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        """The contacts of `items` that the main pass must write; records the others.

        The fingerprint is taken of the item as the API sent it, before the contract reads
        it: most nights most contacts are unchanged, and reading one (timestamps parsed, each
        field checked) costs twice as much as its fingerprint. A changed or new one is then
        read, and set aside if it breaks the contract.
        """
        to_write = []
        for item in items:
            digest = fingerprint(item) if isinstance(item, dict) else None
            contact_id = item_id(item)
            if (
                digest is not None
                and contact_id is not None
                and self.written.get(contact_id, self._held_hashes.get(contact_id)) == digest
            ):
                self.unchanged += 1
                continue
            try:
                contact = self._contract.read(item)
            except RejectedContact as rejected:
                self.rejected[reject_key(item, rejected)] = (item, rejected)
                continue
            contact[CONTENT_HASH] = digest
            updated_at = contact.get(CURSOR_FIELD)
            if self._cursor is not None and updated_at is not None and updated_at < self._cursor:
                self.behind[contact_id] = contact
            else:
                self.written[contact_id] = digest
                to_write.append(contact)
        return to_write

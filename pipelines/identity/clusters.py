"""People from links: connected components with a size guard, and keys that stay put."""

# How merges and splits keep their keys: docs/identity.md, "The model".

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import pyarrow as pa

CLUSTER_SCHEMA = pa.schema(
    [
        ("contact_key", pa.string()),
        ("person_key", pa.string()),
        ("person_contacts", pa.int64()),
    ]
)


def key_of_contact(contact_key: str) -> str:
    """The person key a contact founds: 'person_' and 16 hex digits of its key's md5."""
    return "person_" + hashlib.md5(contact_key.encode()).hexdigest()[:16]


class _Components:
    """Union-find over contact keys that refuses unions above a size."""

    def __init__(self, members: Iterable[str]) -> None:
        self._parent = {member: member for member in members}
        self._size = dict.fromkeys(self._parent, 1)

    def root(self, member: str) -> str:
        parent = self._parent
        while parent[member] != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    def union(self, left: str, right: str, max_size: int) -> None:
        left, right = self.root(left), self.root(right)
        if left == right or self._size[left] + self._size[right] > max_size:
            return
        if self._size[left] < self._size[right]:
            left, right = right, left
        self._parent[right] = left
        self._size[left] += self._size[right]


def cluster_people(
    contacts: pa.Table,
    links: pa.Table,
    previous_keys: Mapping[str, str],
    max_person_contacts: int,
) -> pa.Table:
    """Returns each contact's person.

    Args:
        contacts: `contact_key` and `created_at` of every contact, deleted ones included.
        links: `contact_key_l`, `contact_key_r` and `match_weight` of each link.
        previous_keys: contact_key -> person_key from the night before (empty on the first).
        max_person_contacts: The most contacts one person may have.

    Returns:
        A table of CLUSTER_SCHEMA, one row per contact.
    """
    created = contacts.column("created_at").to_pylist()
    keys = contacts.column("contact_key").to_pylist()
    if len(set(keys)) < len(keys):
        # A repeated contact (the contacts mart's test reports it) is one contact here.
        first = {key: index for index, key in reversed(list(enumerate(keys)))}
        created = [created[index] for index in first.values()]
        keys = list(first)
    # Earliest first: created_at ascending (unknown last), then contact key.
    order = sorted(range(len(keys)), key=lambda i: (created[i] is None, created[i] or 0, keys[i]))
    rank = {keys[i]: position for position, i in enumerate(order)}

    components = _Components(keys)
    weighted = sorted(
        zip(
            links.column("match_weight").to_pylist(),
            links.column("contact_key_l").to_pylist(),
            links.column("contact_key_r").to_pylist(),
            strict=True,
        ),
        key=lambda link: (-link[0], link[1], link[2]),
    )
    for _, left, right in weighted:
        if left in rank and right in rank:
            components.union(left, right, max_person_contacts)

    members: dict[str, list[str]] = {}
    for position in order:
        key = keys[position]
        members.setdefault(components.root(key), []).append(key)
    person_keys = _assign_keys(list(members.values()), previous_keys, rank)

    rows_key, rows_person, rows_size = [], [], []
    for group, person_key in zip(members.values(), person_keys, strict=True):
        for key in group:
            rows_key.append(key)
            rows_person.append(person_key)
            rows_size.append(len(group))
    return pa.table([rows_key, rows_person, rows_size], schema=CLUSTER_SCHEMA)


def _assign_keys(
    groups: list[list[str]], previous_keys: Mapping[str, str], rank: Mapping[str, int]
) -> list[str]:
    # Groups list their members earliest first and come in the order of their earliest
    # members. Each previous key goes to the group of its earliest holder; a group whose
    # holders all lost their keys to earlier holders founds a key of its own.
    holders = sorted(
        (rank[key], index, previous)
        for index, group in enumerate(groups)
        for key in group
        if (previous := previous_keys.get(key)) is not None
    )
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for _, index, previous in holders:
        if index not in assigned and previous not in taken:
            assigned[index] = previous
            taken.add(previous)
    for index, group in enumerate(groups):
        if index not in assigned:
            founded = next(
                (key for member in group if (key := key_of_contact(member)) not in taken),
                key_of_contact(group[0]),
            )
            assigned[index] = founded
            taken.add(founded)
    return [assigned[index] for index in range(len(groups))]

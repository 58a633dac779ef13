"""People from links: connected components with a size guard, and keys that stay put."""

# How merges and splits keep their keys: docs/identity.md, "The model".

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

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
    assigned = _first_holders_keep((index, previous) for _, index, previous in holders)
    taken = set(assigned.values())
    for index, group in enumerate(groups):
        if index not in assigned:
            founded = next(
                (key for member in group if (key := key_of_contact(member)) not in taken),
                key_of_contact(group[0]),
            )
            assigned[index] = founded
            taken.add(founded)
    return [assigned[index] for index in range(len(groups))]


def _first_holders_keep(holders: Iterable[tuple[Any, str]]) -> dict[Any, str]:
    """The greedy of both clusterings: (group, previous key) pairs, earliest holder first;
    each key goes to the first group that holds it and has no key yet."""
    assigned: dict[Any, str] = {}
    taken: set[str] = set()
    for group, previous in holders:
        if group not in assigned and previous not in taken:
            assigned[group] = previous
            taken.add(previous)
    return assigned


def cluster_people_in_database(
    connection: Any,
    contacts: str,
    links: str,
    previous: str | None,
    output: str,
    max_person_contacts: int,
) -> None:
    """`cluster_people` as DuckDB SQL, for any number of contacts: writes the table `output`.

    The same people and keys as `cluster_people`, without holding every contact in Python.
    Connected components come from label propagation in SQL; only a component over the size
    guard goes through `_Components`, whose greedy union by weight it needs. Keys follow the
    same rule: a group whose earliest holder of a previous key is also that key's earliest
    holder anywhere keeps it, as the greedy would at once; only the rest (merges and splits)
    go through `_assign_keys`'s greedy in Python, with the keys already taken left out.

    Args:
        connection: a DuckDB connection, in which the queries below run.
        contacts: a query of `contact_key` and `created_at`, deleted contacts included.
        links: a query of `contact_key_l`, `contact_key_r`, `match_weight` of each link.
        previous: a query of `contact_key`, `person_key` from the night before, or None.
        output: the table to write: `contact_key`, `person_key`, `person_contacts`.
        max_person_contacts: the most contacts one person may have.
    """
    run = _Sql(connection)
    run(
        "create or replace temp table __people_contacts as "
        "select contact_key, row_number() over "
        "(order by created_at is null, created_at, contact_key) as rank "
        f"from (select contact_key, min(created_at) as created_at from ({contacts}) "
        "group by contact_key)"
    )
    run(
        "create or replace temp table __people_edges as "
        "with links as ("
        f" select contact_key_l as a, contact_key_r as b, match_weight as w from ({links})"
        " where a in (select contact_key from __people_contacts)"
        " and b in (select contact_key from __people_contacts) and a <> b) "
        "select a as src, b as dst, w from links union all select b, a, w from links"
    )
    _label_components(run)
    _split_oversized(run, max_person_contacts)
    run(
        "create or replace temp table __people_groups as "
        "select c.contact_key, c.rank, coalesce(s.group_id, l.label, c.contact_key) as group_id "
        "from __people_contacts c left join __people_labels l on l.node = c.contact_key "
        "left join __people_split s on s.node = c.contact_key"
    )
    _keep_previous_keys(run, previous)
    _found_keys(run)
    run(
        f"create or replace table {output} as "
        "select g.contact_key, coalesce(k.person_key, f.person_key) as person_key, "
        "count(*) over (partition by g.group_id) as person_contacts "
        "from __people_groups g left join __people_kept k using (group_id) "
        "left join __people_founded f using (group_id)"
    )
    for table in ("contacts", "edges", "labels", "split", "groups", "kept", "founded"):
        run(f"drop table if exists __people_{table}")


def _is_kept(run: _Sql, person_key: str) -> bool:
    # Asked of the database, a key at a time: a quiet night keeps nearly every key, and a
    # set of them in Python would grow with the account; collisions are rare.
    return bool(run("select count(*) from __people_kept where person_key = ?", [person_key])[0][0])


class _Sql:
    """Runs statements on one connection, each result read to its end (DuckDB allows a
    connection one unfinished result)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __call__(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self._connection.execute(sql, params or []).fetchall()


def _label_components(run: _Sql) -> None:
    """Labels each linked contact with the least contact key of its component: each round
    takes the least label among its neighbours, then the label of its label (which halves the
    rounds a long chain needs)."""
    run(
        "create or replace temp table __people_labels as "
        "select distinct src as node, src as label from __people_edges"
    )
    while True:
        run(
            "create or replace temp table __people_next as "
            "select l.node, least(l.label, min(n.label)) as label from __people_labels l "
            "join __people_edges e on e.src = l.node join __people_labels n on n.node = e.dst "
            "group by l.node, l.label"
        )
        run(
            "create or replace temp table __people_next as "
            "select n.node, coalesce(j.label, n.label) as label from __people_next n "
            "left join __people_next j on j.node = n.label"
        )
        [(changed,)] = run(
            "select count(*) from __people_next n join __people_labels l using (node) "
            "where n.label <> l.label"
        )
        run("create or replace temp table __people_labels as select * from __people_next")
        run("drop table __people_next")
        if not changed:
            return


def _split_oversized(run: _Sql, max_person_contacts: int) -> None:
    """The people of each component over the size guard, by `_Components`' greedy union:
    strongest links first, refusing any that would make a person too large. A component
    within the guard is one person whatever the order, so only these need Python."""
    run("create or replace temp table __people_split (node varchar, group_id varchar)")
    oversized = run(
        "select label from __people_labels group by label having count(*) > ?",
        [max_person_contacts],
    )
    for (label,) in oversized:
        nodes = [
            node for (node,) in run("select node from __people_labels where label = ?", [label])
        ]
        links = run(
            "select e.src, e.dst, e.w from __people_edges e "
            "join __people_labels l on l.node = e.src where l.label = ? and e.src < e.dst",
            [label],
        )
        components = _Components(nodes)
        for _, left, right in sorted(((-w, a, b) for a, b, w in links)):
            components.union(left, right, max_person_contacts)
        run(
            "insert into __people_split select unnest(?::varchar[]), unnest(?::varchar[])",
            [nodes, [components.root(node) for node in nodes]],
        )


def _keep_previous_keys(run: _Sql, previous: str | None) -> None:
    """Writes `__people_kept` (group_id, person_key): the groups that keep a key of the night
    before, by `_assign_keys`' rule."""
    run("create or replace temp table __people_kept (group_id varchar, person_key varchar)")
    if previous is None:
        return
    run(
        "create or replace temp table __people_holders as "
        "select g.rank, g.group_id, p.person_key from __people_groups g "
        f"join ({previous}) p on p.contact_key = g.contact_key where p.person_key is not null"
    )
    # A group whose earliest holder is its key's earliest holder anywhere keeps that key: the
    # greedy, taking holders earliest first, gives it to the group at once.
    run(
        "insert into __people_kept "
        "with group_first as (select group_id, arg_min(person_key, rank) as person_key,"
        " min(rank) as rank from __people_holders group by group_id),"
        " key_first as (select person_key, min(rank) as rank from __people_holders"
        " group by person_key) "
        "select g.group_id, g.person_key from group_first g join key_first k"
        " on k.person_key = g.person_key and k.rank = g.rank"
    )
    # The rest: every holder of a later turn, whose group has no key yet, and whose key no
    # group kept; their order among themselves is the greedy's.
    rest = run(
        "select rank, group_id, person_key from __people_holders "
        "where group_id not in (select group_id from __people_kept) "
        "and person_key not in (select person_key from __people_kept) order by rank"
    )
    assigned = _first_holders_keep((group_id, person_key) for _, group_id, person_key in rest)
    if assigned:
        run(
            "insert into __people_kept select unnest(?::varchar[]), unnest(?::varchar[])",
            [list(assigned), list(assigned.values())],
        )
    run("drop table __people_holders")


def _found_keys(run: _Sql) -> None:
    """Writes `__people_founded` (group_id, person_key) for each group that kept no key: the
    key its earliest contact founds, or, where that one is kept by another group (a split),
    that of its next contact whose key is free, as `_assign_keys` does."""
    run(
        "create or replace temp table __people_founded as "
        "select group_id, 'person_' || left(md5(arg_min(contact_key, rank)), 16) as person_key "
        "from __people_groups where group_id not in (select group_id from __people_kept) "
        "group by group_id"
    )
    collided = [
        group_id
        for (group_id,) in run(
            "select group_id from __people_founded where person_key in "
            "(select person_key from __people_kept)"
        )
    ]
    for group_id in collided:
        members = [
            key
            for (key,) in run(
                "select contact_key from __people_groups where group_id = ? order by rank",
                [group_id],
            )
        ]
        founded = next(
            (key for member in members if not _is_kept(run, key := key_of_contact(member))),
            key_of_contact(members[0]),
        )
        run("update __people_founded set person_key = ? where group_id = ?", [founded, group_id])

"""People from links: the size guard and the keys that stay put through merges and splits."""

from datetime import UTC, datetime

import pyarrow as pa

from pipelines.identity.clusters import cluster_people, key_of_contact


def _contacts(*keys: str) -> pa.Table:
    # Created one day apart, in the order given: the first is the earliest.
    created = [datetime(2025, 1, 1 + day, tzinfo=UTC) for day in range(len(keys))]
    return pa.table({"contact_key": list(keys), "created_at": created})


def _links(*pairs: tuple[str, str, float]) -> pa.Table:
    left, right, weight = zip(*pairs, strict=True) if pairs else ((), (), ())
    return pa.table(
        {
            "contact_key_l": pa.array(left, pa.string()),
            "contact_key_r": pa.array(right, pa.string()),
            "match_weight": pa.array(weight, pa.float64()),
        }
    )


def _people(table: pa.Table) -> dict[str, str]:
    return dict(zip(table["contact_key"].to_pylist(), table["person_key"].to_pylist(), strict=True))


def test_linked_contacts_share_the_key_of_their_earliest_contact():
    people = _people(cluster_people(_contacts("b", "a", "c"), _links(("a", "b", 12.0)), {}, 10))

    assert people == {"a": key_of_contact("b"), "b": key_of_contact("b"), "c": key_of_contact("c")}
    assert key_of_contact("b") == "person_92eb5ffee6ae2fec"


def test_a_chain_of_links_stops_at_the_size_guard_weakest_link_first():
    links = _links(("a", "b", 20.0), ("b", "c", 15.0), ("c", "d", 5.0))

    people = _people(cluster_people(_contacts("a", "b", "c", "d"), links, {}, 3))

    assert people["a"] == people["b"] == people["c"] == key_of_contact("a")
    assert people["d"] == key_of_contact("d")


def test_a_merge_keeps_the_key_of_the_earlier_person():
    previous = {"a": "person_old_a", "b": "person_old_b"}

    people = _people(cluster_people(_contacts("a", "b"), _links(("a", "b", 9.0)), previous, 10))

    assert people == {"a": "person_old_a", "b": "person_old_a"}


def test_a_split_leaves_the_key_with_the_earliest_contact_and_founds_one_for_the_rest():
    previous = {"a": "person_old", "b": "person_old", "c": "person_old"}

    people = _people(
        cluster_people(_contacts("a", "b", "c"), _links(("b", "c", 9.0)), previous, 10)
    )

    assert people == {"a": "person_old", "b": key_of_contact("b"), "c": key_of_contact("b")}


def test_keys_do_not_move_when_a_contact_joins_or_nothing_changes():
    first = _people(cluster_people(_contacts("a", "b"), _links(("a", "b", 9.0)), {}, 10))
    # A new contact, created after the others, joins the person.
    second = _people(
        cluster_people(
            _contacts("a", "b", "z"), _links(("a", "b", 9.0), ("b", "z", 9.0)), first, 10
        )
    )
    third = _people(
        cluster_people(
            _contacts("a", "b", "z"), _links(("a", "b", 9.0), ("b", "z", 9.0)), second, 10
        )
    )

    assert set(second.values()) == {first["a"]}
    assert third == second


def test_contacts_without_a_creation_time_come_last_then_by_key():
    contacts = pa.table(
        {
            "contact_key": ["m", "k", "n"],
            "created_at": pa.array(
                [None, None, datetime(2026, 1, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC")
            ),
        }
    )

    people = _people(cluster_people(contacts, _links(("k", "m", 9.0), ("m", "n", 8.0)), {}, 10))

    assert set(people.values()) == {key_of_contact("n")}

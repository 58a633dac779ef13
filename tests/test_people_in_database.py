"""`cluster_people_in_database` makes the very people and keys that `cluster_people` makes."""

import random
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from pipelines.identity.clusters import cluster_people, cluster_people_in_database


def random_night(rng: random.Random, pool: list[str]):
    """Most of the pool's contacts, some creation times unknown or changed since the night
    before, and links of random weights among them."""
    keys = [key for key in pool if rng.random() < 0.9] or pool[:1]
    created = [
        None
        if rng.random() < 0.2
        else datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 9))
        for _ in keys
    ]
    links = set()
    for _ in range(rng.randint(0, 60)):
        left, right = sorted(rng.sample(keys, 2)) if len(keys) > 1 else (keys[0], keys[0])
        if left != right:
            links.add((left, right, float(rng.choice([3, 5, 5, 8, 13]))))
    # Links to contacts that are gone are ignored by both.
    if rng.random() < 0.3:
        links.add((keys[0], "gone", 9.0))
    contacts = pa.table(
        {"contact_key": keys, "created_at": pa.array(created, pa.timestamp("us", tz="UTC"))}
    )
    left, right, weight = zip(*sorted(links), strict=True) if links else ((), (), ())
    link_table = pa.table(
        {
            "contact_key_l": pa.array(left, pa.string()),
            "contact_key_r": pa.array(right, pa.string()),
            "match_weight": pa.array(weight, pa.float64()),
        }
    )
    return contacts, link_table


def people_in_database(contacts, links, previous, max_person_contacts):
    with duckdb.connect() as connection:
        connection.register("contacts_in", contacts)
        connection.register("links_in", links)
        previous_query = None
        if previous is not None:
            connection.register(
                "previous_in",
                pa.table(
                    {
                        "contact_key": pa.array(list(previous), pa.string()),
                        "person_key": pa.array(list(previous.values()), pa.string()),
                    }
                ),
            )
            previous_query = "select * from previous_in"
        cluster_people_in_database(
            connection,
            "select * from contacts_in",
            "select * from links_in",
            previous_query,
            "people",
            max_person_contacts,
        )
        return {
            key: (person, size)
            for key, person, size in connection.execute("select * from people").fetchall()
        }


def people_in_python(contacts, links, previous, max_person_contacts):
    table = cluster_people(contacts, links, previous or {}, max_person_contacts)
    return {
        key: (person, size)
        for key, person, size in zip(
            *(table[name].to_pylist() for name in table.column_names), strict=True
        )
    }


@pytest.mark.parametrize("seed", range(60))
def test_the_database_and_python_make_the_same_people_night_after_night(seed):
    rng = random.Random(seed)
    max_person_contacts = rng.choice([2, 3, 5, 10])
    pool = [f"c{n:03d}" for n in rng.sample(range(1000), rng.randint(1, 40))]
    previous = None
    for _ in range(4):
        contacts, links = random_night(rng, pool)
        expected = people_in_python(contacts, links, previous, max_person_contacts)

        assert people_in_database(contacts, links, previous, max_person_contacts) == expected

        # The night's keys are the next night's history: most as they were, some lost, some
        # moved to another contact (a person's earliest contact deleted and made again), so
        # that a key a contact founded can be held by another group than that contact's.
        persons = [person for person, _ in expected.values()]
        previous = {
            key: person if rng.random() < 0.8 else rng.choice(persons)
            for key, (person, _) in expected.items()
            if rng.random() < 0.9
        }


def test_a_long_chain_is_one_person_in_few_rounds():
    keys = [f"c{n:04d}" for n in range(500)]
    contacts = pa.table(
        {"contact_key": keys, "created_at": pa.array([None] * 500, pa.timestamp("us", tz="UTC"))}
    )
    links = pa.table(
        {
            "contact_key_l": keys[:-1],
            "contact_key_r": keys[1:],
            "match_weight": [9.0] * 499,
        }
    )

    people = people_in_database(contacts, links, None, 1000)

    assert {person for person, _ in people.values()} == {people["c0000"][0]}
    assert people["c0499"][1] == 500

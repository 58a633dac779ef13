"""Labelled truth over HTTP: GET and POST /_sim/people on simulators of a labelled population."""

from collections.abc import Iterator

import pytest
import requests
from api_requests import LEV_CONTACTS, LEV_HEADERS, LEV_KEY, SM_CONTACTS, SM_HEADERS, SM_KEY

from demo.simulators import (
    Clock,
    LevCapitalSimulator,
    SprintModeSimulator,
    generate_population,
    labelled_simulators,
    labelled_truth,
)

SEED = 3
N_PEOPLE = 400


@pytest.fixture
def labelled() -> Iterator[tuple[LevCapitalSimulator, SprintModeSimulator]]:
    lev, sm = labelled_simulators(SEED, N_PEOPLE)
    with lev, sm:
        yield lev, sm


def people(sim) -> requests.Response:
    return requests.get(f"{sim.base_url}/_sim/people", timeout=5)


def listed_ids(lev: LevCapitalSimulator, sm: SprintModeSimulator) -> tuple[set[str], set[str]]:
    """Walks both APIs' listings; returns the ids served, written as text like JSON keys."""
    lev_ids, params = set(), {"limit": 200}
    while True:
        page = requests.get(
            lev.base_url + LEV_CONTACTS, headers=LEV_HEADERS, params=params, timeout=5
        ).json()
        lev_ids |= {str(contact["id"]) for contact in page["data"]}
        if page["pagination"]["next_cursor"] is None:
            break
        params = {"limit": 200, "cursor": page["pagination"]["next_cursor"]}
    sm_ids, number = set(), 1
    while True:
        data = requests.get(
            sm.base_url + SM_CONTACTS,
            headers=SM_HEADERS,
            params={"page": number, "limit": 100},
            timeout=5,
        ).json()["data"]
        sm_ids |= {item["id"] for item in data["items"]}
        if not data["hasMore"]:
            return lev_ids, sm_ids
        number += 1


def test_each_simulator_serves_the_person_of_every_contact_it_lists(labelled) -> None:
    lev, sm = labelled
    population = generate_population(SEED, N_PEOPLE)

    lev_people, sm_people = people(lev), people(sm)
    lev_ids, sm_ids = listed_ids(lev, sm)

    assert (lev_people.status_code, sm_people.status_code) == (200, 200)
    assert lev_people.json()["ok"] is True
    lev_truth, sm_truth = lev_people.json()["data"], sm_people.json()["data"]
    assert set(lev_truth) == lev_ids and set(sm_truth) == sm_ids
    assert lev_truth == {
        str(contact_id): person
        for contact_id, person in population.contact_person_ids("levcapital").items()
    }
    assert sm_truth == population.contact_person_ids("sprintmode")
    cross_pairs = sum(
        1 for lev_person in lev_truth.values() for sm_person in sm_truth.values()
        if lev_person == sm_person
    )  # fmt: skip
    assert cross_pairs == len(population.true_pairs(across_systems=True)) > 50


def test_labelled_truth_is_what_both_serve_keyed_by_contact_key(labelled) -> None:
    lev, sm = labelled

    truth = labelled_truth(lev, sm)

    assert truth == {
        f"levcapital:{id_}": person for id_, person in people(lev).json()["data"].items()
    } | {f"sprintmode:{id_}": person for id_, person in people(sm).json()["data"].items()}
    assert len(truth) == len(lev.store.list_all()) + len(sm.store.list_all())


def test_both_share_one_clock_and_take_their_own_options() -> None:
    clock = Clock()

    lev, sm = labelled_simulators(
        SEED,
        50,
        clock=clock,
        levcapital_options={"api_key": "lev-other", "read_only": True},
        sprintmode_options={"timestamp_format": "iso_z"},
    )

    assert lev.clock is clock and sm.clock is clock
    assert (lev.api_key, lev.read_only, sm.api_key) == ("lev-other", True, SM_KEY)
    assert sm.timestamp_format == "iso_z"
    with pytest.raises(ValueError, match="n_people is required"):
        labelled_simulators(SEED)


def test_a_contact_created_through_the_api_has_no_person_until_labelled(labelled) -> None:
    _, sm = labelled
    created = requests.post(
        sm.base_url + SM_CONTACTS,
        headers=SM_HEADERS,
        json={"email": "new.person@example.com", "first_name": "New"},
        timeout=5,
    ).json()["data"]["id"]
    before = people(sm).json()["data"]

    answer = requests.post(f"{sm.base_url}/_sim/people", json={created: "person-new"}, timeout=5)
    after = people(sm).json()["data"]

    assert created not in before
    assert answer.status_code == 200 and answer.json() == {"ok": True, "labelled": 1}
    assert after == {**before, created: "person-new"}


def test_label_contacts_labels_a_contact_created_later_and_refuses_unknown_ones(labelled) -> None:
    lev, _ = labelled
    created = lev.store.create({"contact_type": "sponsor", "company_id": 1, "first_name": "Ada"})

    lev.label_contacts({created["id"]: "person-ada"})

    assert lev.person_ids()[created["id"]] == "person-ada"
    assert people(lev).json()["data"][str(created["id"])] == "person-ada"
    with pytest.raises(KeyError):
        lev.label_contacts({created["id"] + 1: "person-nobody"})


def test_deleting_a_contact_keeps_its_person(labelled) -> None:
    lev, sm = labelled
    lev_id, lev_person = next(iter(people(lev).json()["data"].items()))
    sm_id, sm_person = next(iter(people(sm).json()["data"].items()))

    for sim, contact_id in ((lev, lev_id), (sm, sm_id)):
        deleted = requests.post(f"{sim.base_url}/_sim/contacts/{contact_id}/delete", timeout=5)
        assert deleted.status_code == 200

    assert lev.store.get(int(lev_id))["is_connected"] is False
    assert sm.store.get(sm_id) is None
    assert people(lev).json()["data"][lev_id] == lev_person
    assert people(sm).json()["data"][sm_id] == sm_person


def test_labelling_an_unknown_contact_or_with_a_bad_person_id_is_refused(labelled) -> None:
    lev, _ = labelled
    known = next(iter(people(lev).json()["data"]))

    unknown = requests.post(f"{lev.base_url}/_sim/people", json={"999999": "p"}, timeout=5)
    not_an_id = requests.post(f"{lev.base_url}/_sim/people", json={"abc": "p"}, timeout=5)
    bad_person = requests.post(f"{lev.base_url}/_sim/people", json={known: 7}, timeout=5)

    assert (unknown.status_code, not_an_id.status_code) == (404, 404)
    assert unknown.json() == {"ok": False, "error": "Contact not found: 999999"}
    assert bad_person.status_code == 400
    assert "person id must be a non-empty string" in bad_person.json()["error"]


def test_a_simulator_without_labelled_truth_answers_404() -> None:
    with (
        LevCapitalSimulator(n_contacts=20, api_key=LEV_KEY) as lev,
        SprintModeSimulator(n_contacts=20, api_key=SM_KEY) as sm,
    ):
        answers = [people(lev), people(sm)]

    assert [answer.status_code for answer in answers] == [404, 404]
    assert answers[0].json()["ok"] is False
    assert "levcapital simulator has no labelled truth" in answers[0].json()["error"]
    assert "sprintmode simulator has no labelled truth" in answers[1].json()["error"]


def test_from_contacts_refuses_person_ids_of_contacts_it_was_not_given() -> None:
    with pytest.raises(ValueError, match="person_ids name contacts not given"):
        LevCapitalSimulator.from_contacts([{"id": 1}], person_ids={2: "p"})
    with pytest.raises(ValueError, match="person_ids name contacts not given"):
        SprintModeSimulator.from_contacts([{"id": "ct_1"}], person_ids={"ct_2": "p"})
    with pytest.raises(ValueError, match="person id must be a non-empty string"):
        LevCapitalSimulator.from_contacts([{"id": 1}], person_ids={1: ""})


def test_febrl_simulators_serve_febrl_names_and_their_truth() -> None:
    lev, sm = labelled_simulators(1, febrl=True)

    with lev, sm:
        lev_truth, sm_truth = people(lev).json()["data"], people(sm).json()["data"]
        first = requests.get(
            lev.base_url + LEV_CONTACTS, headers=LEV_HEADERS, params={"limit": 200}, timeout=5
        ).json()["data"]

    assert len(set(lev_truth.values()) | set(sm_truth.values())) == 2000
    assert len(set(lev_truth.values()) & set(sm_truth.values())) > 500
    # FEBRL's names are lower case.
    assert all(
        contact["first_name"] is None or contact["first_name"] == contact["first_name"].lower()
        for contact in first
    )

"""List shapes, malformed records and seeding from given records, over real HTTP on loopback."""

from collections.abc import Iterator

import pytest
import requests
from api_requests import (
    LEV_CONTACTS,
    LEV_FIELD_ORDER,
    LEV_HEADERS,
    LEV_KEY,
    SM_CONTACTS,
    SM_FIELD_ORDER,
    SM_HEADERS,
    SM_KEY,
)
from docs_examples import DOCS_JAMES_RODRIGUEZ, DOCS_JANE_SMITH, DOCS_SARAH_CHEN

from demo.simulators import (
    LIST_SHAPES,
    OMIT,
    LevCapitalSimulator,
    SprintModeSimulator,
)

LEV_NOT_NULLABLE = {"id", "is_primary", "is_connected"}
SM_LIST_EXAMPLE = [
    "id", "email", "full_name", "company_id", "company_name", "contact_type", "portal_access",
    "portal_role",
]  # fmt: skip


@pytest.fixture
def lev() -> Iterator[LevCapitalSimulator]:
    with LevCapitalSimulator(n_contacts=300, seed=7, api_key=LEV_KEY) as sim:
        yield sim


@pytest.fixture
def sm() -> Iterator[SprintModeSimulator]:
    with SprintModeSimulator(n_contacts=150, seed=7, api_key=SM_KEY) as sim:
        yield sim


def lev_get(sim, path=LEV_CONTACTS, **params) -> requests.Response:
    return requests.get(sim.base_url + path, headers=LEV_HEADERS, params=params, timeout=5)


def sm_get(sim, path=SM_CONTACTS, **params) -> requests.Response:
    return requests.get(sim.base_url + path, headers=SM_HEADERS, params=params, timeout=5)


def lev_items(sim, **params) -> list[dict]:
    response = lev_get(sim, limit=200, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def sm_items(sim, **params) -> list[dict]:
    response = sm_get(sim, limit=100, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]["items"]


def control(sim, path: str, **kwargs) -> requests.Response:
    return requests.post(f"{sim.base_url}/_sim/{path}", timeout=5, **kwargs)


# List shapes


@pytest.mark.parametrize(
    ("shape", "fields"),
    [
        ("full", LEV_FIELD_ORDER),
        ("list_example", LEV_FIELD_ORDER),
        ("list_example_no_timestamps", LEV_FIELD_ORDER[:-2]),
    ],
)
def test_levcapital_list_shapes_send_exactly_their_fields(lev, shape, fields):
    lev.list_shape = shape

    items = lev_items(lev)

    assert len(items) == 200
    assert {tuple(item) for item in items} == {tuple(fields)}
    whole = {contact["id"]: contact for contact in lev.store.list_all()}
    assert all(item == {name: whole[item["id"]][name] for name in fields} for item in items)


@pytest.mark.parametrize(
    ("shape", "fields"),
    [
        ("full", SM_FIELD_ORDER),
        ("list_example", [*SM_LIST_EXAMPLE, "created_at", "updated_at"]),
        ("list_example_no_timestamps", SM_LIST_EXAMPLE),
    ],
)
def test_sprintmode_list_shapes_send_exactly_their_fields(sm, shape, fields):
    sm.list_shape = shape

    items = sm_items(sm)

    assert len(items) == 100
    assert {tuple(item) for item in items} == {tuple(fields)}
    whole = {contact["id"]: contact for contact in sm.store.list_all()}
    assert all(item == {name: whole[item["id"]][name] for name in fields} for item in items)


def test_nullable_omitted_leaves_out_exactly_the_null_fields(lev, sm):
    lev.list_shape = sm.list_shape = "nullable_omitted"

    lev_listed = lev_items(lev)
    sm_listed = sm_items(sm)
    zoe = next(item for item in lev_listed if item["id"] == 79)
    jane = next(
        item for item in sm_items(sm, search="jane@acme.com") if item["id"] == "ct_a1b2c3d4"
    )

    # Pinned 79 has no address and was never stamped; Jane has no Close ids.
    assert list(zoe) == [
        "id", "contact_type", "first_name", "last_name", "email", "title", "department",
        "linkedin_url", "is_primary", "owner_account_id", "is_connected",
    ]  # fmt: skip
    assert list(jane) == [
        name for name in SM_FIELD_ORDER if name not in ("close_lead_id", "close_contact_id")
    ]
    assert jane["updated_at"] == "2026-01-10 08:00:00"
    lev_whole = lev.store.list_all()[:200]
    assert lev_listed == [
        {
            name: value
            for name, value in contact.items()
            if value is not None or name in LEV_NOT_NULLABLE
        }
        for contact in lev_whole
    ]
    sm_whole = sm.store.list_all()[:100]
    assert sm_listed == [
        {name: value for name, value in contact.items() if value is not None}
        for contact in sm_whole
    ]


def test_get_by_id_serves_every_field_whatever_the_shape(lev, sm):
    for shape in LIST_SHAPES:
        lev.list_shape = sm.list_shape = shape

        sarah = lev_get(lev, f"{LEV_CONTACTS}/78").json()["data"]
        zoe = lev_get(lev, f"{LEV_CONTACTS}/79").json()["data"]
        jane = sm_get(sm, f"{SM_CONTACTS}/ct_a1b2c3d4").json()["data"]

        assert sarah == {name: DOCS_SARAH_CHEN[name] for name in LEV_FIELD_ORDER}, shape
        assert list(zoe) == LEV_FIELD_ORDER, shape
        assert (zoe["address"], zoe["created_at"]) == (None, None), shape
        assert list(jane) == SM_FIELD_ORDER, shape
        assert (jane["close_lead_id"], jane["engagement_score"]) == (None, 87), shape


def test_the_shape_changes_between_two_listings():
    with SprintModeSimulator(n_contacts=150, list_shape="list_example_no_timestamps") as sm:
        before = sm_items(sm)
        sm.list_shape = "full"
        after = sm_items(sm)

    assert [item["id"] for item in before] == [item["id"] for item in after]
    assert list(before[0]) == SM_LIST_EXAMPLE
    assert list(after[0]) == SM_FIELD_ORDER


def test_levcapital_fields_parameter_intersects_with_the_shape(lev):
    lev.list_shape = "list_example_no_timestamps"
    narrowed = lev_items(lev, fields="email,created_at")
    lev.list_shape = "nullable_omitted"
    omitted = lev_items(lev, fields="address,email")

    assert {tuple(item) for item in narrowed} == {("id", "email")}
    zoe = next(item for item in omitted if item["id"] == 79)
    sarah = next(item for item in omitted if item["id"] == 78)
    assert zoe == {"id": 79, "email": "  Zoe.Odegaard@Fjord-Capital.NO "}
    assert sarah == {
        "id": 78,
        "email": "schen@meridiancapital.com",
        "address": "1 Battery Park Plaza",
    }


def test_shape_control_endpoint_and_state(lev):
    changed = control(lev, "shape", json={"shape": "nullable_omitted"})
    unknown = control(lev, "shape", json={"shape": "tiny"})
    missing = control(lev, "shape", json={})
    state = requests.get(f"{lev.base_url}/_sim/state", timeout=5).json()
    zoe = next(item for item in lev_items(lev) if item["id"] == 79)

    assert (changed.status_code, changed.json()) == (
        200,
        {"ok": True, "list_shape": "nullable_omitted"},
    )
    assert unknown.status_code == missing.status_code == 400
    assert unknown.json()["ok"] is False
    assert "list_example_no_timestamps" in unknown.json()["error"]
    assert state["list_shape"] == lev.list_shape == "nullable_omitted"
    assert "address" not in zoe


def test_unknown_shapes_are_refused_in_python_too():
    with pytest.raises(ValueError, match="list shape"):
        SprintModeSimulator(n_contacts=0, list_shape="tiny")
    lev = LevCapitalSimulator(n_contacts=0)
    with pytest.raises(ValueError, match="list shape"):
        lev.list_shape = "Full"
    assert lev.list_shape == "full"
    assert LIST_SHAPES == ("full", "list_example", "list_example_no_timestamps", "nullable_omitted")


# Malformed records

HUGE = "x" * (2 * 1024 * 1024)


def test_levcapital_corrupt_then_repair_round_trip(lev):
    listed_before = lev_items(lev)
    total_before = lev_get(lev, limit=1).json()["pagination"]["total"]
    position = [item["id"] for item in listed_before].index(78)
    stored_updated_at = lev.store._records[78]["updated_at"]

    lev.store.corrupt(
        78,
        created_at="yesterday",
        updated_at="31/12/2025 10:00",
        first_name={"a": 1},
        last_name=42,
        title=HUGE,
    )
    listed = lev_items(lev)
    total = lev_get(lev, limit=1).json()["pagination"]["total"]
    got = lev_get(lev, f"{LEV_CONTACTS}/78").json()["data"]

    malformed = {
        **{name: DOCS_SARAH_CHEN[name] for name in LEV_FIELD_ORDER},
        "created_at": "yesterday",
        "updated_at": "31/12/2025 10:00",
        "first_name": {"a": 1},
        "last_name": 42,
        "title": HUGE,
    }
    assert got == malformed
    assert list(got) == LEV_FIELD_ORDER
    assert listed[position] == malformed
    assert [item["id"] for item in listed] == [item["id"] for item in listed_before]
    assert total == total_before
    assert lev.store._records[78]["updated_at"] == stored_updated_at
    assert lev.store.corrupted_ids() == [78]

    lev.store.repair(78)

    assert lev_items(lev) == listed_before
    assert lev_get(lev, f"{LEV_CONTACTS}/78").json()["data"] == {
        name: DOCS_SARAH_CHEN[name] for name in LEV_FIELD_ORDER
    }
    assert lev.store.corrupted_ids() == []


def test_corrupt_values_follow_the_list_shape(lev):
    lev.store.corrupt(78, created_at="yesterday", address=None)
    lev.list_shape = "list_example_no_timestamps"
    trimmed = next(item for item in lev_items(lev) if item["id"] == 78)
    lev.list_shape = "nullable_omitted"
    omitted = next(item for item in lev_items(lev) if item["id"] == 78)

    assert "created_at" not in trimmed
    assert trimmed["address"] is None
    assert omitted["created_at"] == "yesterday"
    assert "address" not in omitted


def test_sprintmode_corrupt_and_repair_over_the_control_endpoints(sm):
    listed_before = [item["id"] for item in sm_items(sm, search="jane@acme.com")]
    jane_path = f"{SM_CONTACTS}/ct_a1b2c3d4"

    corrupted = control(
        sm,
        "contacts/ct_a1b2c3d4/corrupt",
        json={"created_at": "yesterday", "full_name": 7, "email": {"a": 1}},
    )
    listed = sm_items(sm, search="jane@acme.com")
    got = sm_get(sm, jane_path).json()["data"]
    state = requests.get(f"{sm.base_url}/_sim/state", timeout=5).json()
    repaired = control(sm, "contacts/ct_a1b2c3d4/repair")
    after = sm_get(sm, jane_path).json()["data"]

    assert corrupted.status_code == repaired.status_code == 200
    assert [item["id"] for item in listed] == listed_before
    jane = listed[listed_before.index("ct_a1b2c3d4")]
    assert jane == got
    assert (got["created_at"], got["full_name"], got["email"]) == ("yesterday", 7, {"a": 1})
    assert got["updated_at"] == "2026-01-10 08:00:00"
    assert state["corrupted"] == ["ct_a1b2c3d4"]
    assert (after["created_at"], after["full_name"], after["email"]) == (
        "2025-03-01 09:15:00",
        "Jane Smith",
        "jane@acme.com",
    )
    assert after["updated_at"] == "2026-01-10 08:00:00"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        pytest.param("contacts/ct_ffffffff/corrupt", {"email": 1}, 404, id="unknown-contact"),
        pytest.param("contacts/ct_ffffffff/repair", None, 404, id="unknown-repair"),
        pytest.param("contacts/ct_a1b2c3d4/corrupt", {"nickname": "J"}, 400, id="unknown-field"),
        pytest.param("contacts/ct_a1b2c3d4/corrupt", {}, 400, id="nothing"),
    ],
)
def test_corrupt_control_errors(sm, path, body, status):
    response = control(sm, path, json=body)

    assert response.status_code == status
    assert response.json()["ok"] is False
    assert sm.store.corrupted_ids() == []


def test_a_dropped_id_leaves_it_out_but_the_cursor_continues(lev):
    listed = [item["id"] for item in lev_items(lev)]
    limit = listed.index(78) + 1

    lev.store.corrupt(78, id=OMIT)
    first = lev_get(lev, limit=limit).json()
    second = lev_get(lev, limit=limit, cursor=first["pagination"]["next_cursor"]).json()
    got = lev_get(lev, f"{LEV_CONTACTS}/78").json()["data"]

    assert "id" not in first["data"][-1]
    assert first["data"][-1] == {name: DOCS_SARAH_CHEN[name] for name in LEV_FIELD_ORDER[1:]}
    assert [item["id"] for item in first["data"][:-1]] == listed[: limit - 1]
    assert second["data"][0]["id"] == 79
    assert got == first["data"][-1]


def test_a_dropped_id_over_the_control_endpoint(sm):
    ids = [item["id"] for item in sm_items(sm, search="jane@acme.com")]

    dropped = control(sm, "contacts/ct_a1b2c3d4/corrupt?omit=id")
    items = sm_items(sm, search="jane@acme.com")
    got = sm_get(sm, f"{SM_CONTACTS}/ct_a1b2c3d4").json()["data"]

    assert dropped.status_code == 200
    assert len(items) == len(ids)
    assert list(got) == SM_FIELD_ORDER[1:]
    assert items[ids.index("ct_a1b2c3d4")] == got
    assert got["email"] == "jane@acme.com"


def test_a_deleted_sprintmode_contact_is_no_longer_corrupted(sm):
    sm.store.corrupt("ct_a1b2c3d4", email="nope")

    sm.store.delete("ct_a1b2c3d4")

    assert sm.store.corrupted_ids() == []
    with pytest.raises(KeyError):
        sm.store.corrupt("ct_a1b2c3d4", email="nope")


# Seeding from given records


def test_levcapital_from_contacts_serves_the_docs_records():
    sparse = {"id": 7, "last_name": "Sparse"}
    with LevCapitalSimulator.from_contacts(
        [DOCS_JAMES_RODRIGUEZ, DOCS_SARAH_CHEN, sparse], api_key=LEV_KEY
    ) as lev:
        listing = lev_get(lev).json()
        james = lev_get(lev, f"{LEV_CONTACTS}/142").json()["data"]
        created = requests.post(
            lev.base_url + LEV_CONTACTS,
            headers=LEV_HEADERS,
            json={"contact_type": "sponsor", "company_id": 1},
            timeout=5,
        ).json()["data"]

    # James is not connected (as the docs' create example has him), so only GET finds him.
    assert listing["pagination"] == {
        "total": 2,
        "limit": 50,
        "has_more": False,
        "next_cursor": None,
    }
    assert listing["data"] == [
        {name: None for name in LEV_FIELD_ORDER} | sparse | {"is_connected": True},
        {name: DOCS_SARAH_CHEN[name] for name in LEV_FIELD_ORDER},
    ]
    assert james == {name: DOCS_JAMES_RODRIGUEZ[name] for name in LEV_FIELD_ORDER}
    assert created["id"] == 143


def test_sprintmode_from_contacts_serves_the_docs_records():
    dated = {"id": "ct_00000002", "full_name": "Dated", "created_at": "2025-03-01T09:15:00Z"}
    with SprintModeSimulator.from_contacts(
        [DOCS_JANE_SMITH, dated], api_key=SM_KEY, list_shape="list_example"
    ) as sm:
        listed = sm_get(sm).json()["data"]
        jane = sm_get(sm, f"{SM_CONTACTS}/ct_a1b2c3d4").json()["data"]
        patched = requests.patch(
            f"{sm.base_url}{SM_CONTACTS}/ct_00000002",
            headers=SM_HEADERS,
            json={"company_id": "co_e5f6g7"},
            timeout=5,
        )
        moved = sm.store.get("ct_00000002")

    # Undated Jane lists after every dated contact; her list item is the docs' one exactly.
    assert (listed["total"], listed["hasMore"]) == (2, False)
    assert [item["id"] for item in listed["items"]] == ["ct_00000002", "ct_a1b2c3d4"]
    assert listed["items"][1] == DOCS_JANE_SMITH | {"created_at": None, "updated_at": None}
    assert listed["items"][0]["created_at"] == "2025-03-01 09:15:00"
    assert jane == {name: DOCS_JANE_SMITH.get(name) for name in SM_FIELD_ORDER}
    assert patched.status_code == 200
    assert moved["company_name"] == "Acme Corp"


@pytest.mark.parametrize(
    ("simulator", "contacts", "message"),
    [
        (LevCapitalSimulator, [{"id": "78"}], "integer"),
        (LevCapitalSimulator, [{"id": 1}, {"id": 1}], "unique"),
        (LevCapitalSimulator, [{"id": 1, "created_at": "yesterday"}], "created_at"),
        (SprintModeSimulator, [{"id": 1}], "string"),
        (SprintModeSimulator, [{"id": "ct_1", "updated_at": 1767254400}], "updated_at"),
    ],
)
def test_from_contacts_refuses_records_it_cannot_store(simulator, contacts, message):
    with pytest.raises(ValueError, match=message):
        simulator.from_contacts(contacts)


def test_from_contacts_copies_what_it_is_given():
    contact = {"id": "ct_1", "enrichment_data": {"industry": "Software"}}
    sm = SprintModeSimulator.from_contacts([contact])

    contact["enrichment_data"]["industry"] = "Retail"

    assert sm.store.get("ct_1")["enrichment_data"] == {"industry": "Software"}

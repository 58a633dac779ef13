"""Contract tests of the API simulators, over real HTTP on loopback."""

import base64
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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
from docs_examples import DOCS_SARAH_CHEN

from demo.simulators import (
    Clock,
    Fault,
    LevCapitalSimulator,
    RecordedRequest,
    SprintModeSimulator,
)

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def lev() -> Iterator[LevCapitalSimulator]:
    with LevCapitalSimulator(n_contacts=500, seed=7, api_key=LEV_KEY) as sim:
        yield sim


@pytest.fixture
def sm() -> Iterator[SprintModeSimulator]:
    with SprintModeSimulator(n_contacts=300, seed=7, api_key=SM_KEY) as sim:
        yield sim


def lev_get(sim, path=LEV_CONTACTS, headers=LEV_HEADERS, **params) -> requests.Response:
    return requests.get(sim.base_url + path, headers=headers, params=params, timeout=5)


def sm_get(sim, path=SM_CONTACTS, headers=SM_HEADERS, **params) -> requests.Response:
    return requests.get(sim.base_url + path, headers=headers, params=params, timeout=5)


def walk_levcapital(sim, limit: int) -> list[dict]:
    """Follows next_cursor from the first page to the last; returns the page bodies."""
    pages, params = [], {"limit": limit}
    while True:
        response = lev_get(sim, **params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["pagination"]["next_cursor"]
        if cursor is None:
            return pages
        params = {"limit": limit, "cursor": cursor}


def walk_sprintmode(sim, limit: int) -> list[dict]:
    """Reads page 1, 2, ... until hasMore is false; returns the `data` objects."""
    pages = []
    while True:
        response = sm_get(sim, page=len(pages) + 1, limit=limit)
        assert response.status_code == 200, response.text
        pages.append(response.json()["data"])
        if not pages[-1]["hasMore"]:
            return pages


def lev_error(status: int, error_type: str, message: str) -> dict:
    return {"status": status, "type": error_type, "message": message, "details": {}}


# LevCapital contract


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Origin-App": "t"}, id="missing"),
        pytest.param({"Authorization": "Bearer wrong", "X-Origin-App": "t"}, id="wrong-key"),
        pytest.param({"Authorization": LEV_KEY, "X-Origin-App": "t"}, id="no-scheme"),
        pytest.param({"Authorization": f"Token {LEV_KEY}", "X-Origin-App": "t"}, id="wrong-scheme"),
    ],
)
def test_levcapital_rejects_bad_auth_with_the_documented_envelope(lev, headers):
    response = lev_get(lev, headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert list(body) == ["request_id", "error"]
    assert uuid.UUID(body["request_id"]).version == 4
    assert body["error"] == lev_error(401, "unauthorized", "Authentication required")


@pytest.mark.parametrize("origin", [pytest.param(None, id="missing"), pytest.param("", id="empty")])
def test_levcapital_requires_x_origin_app(lev, origin):
    headers = {"Authorization": f"Bearer {LEV_KEY}"}
    if origin is not None:
        headers["X-Origin-App"] = origin

    response = lev_get(lev, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == lev_error(
        400, "bad_request", "X-Origin-App header is required"
    )


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", " 5", ""])
def test_levcapital_rejects_limits_outside_1_to_200(lev, limit):
    response = lev_get(lev, limit=limit)

    assert response.status_code == 400
    assert response.json()["error"] == lev_error(
        400, "bad_request", "limit must be between 1 and 200"
    )


@pytest.mark.parametrize("limit", [1, 200])
def test_levcapital_accepts_limits_at_the_bounds(lev, limit):
    body = lev_get(lev, limit=limit).json()

    assert len(body["data"]) == limit
    assert body["pagination"]["limit"] == limit
    assert body["pagination"]["has_more"] is True


def test_levcapital_first_page_has_the_documented_envelope(lev):
    response = lev_get(lev)

    body = response.json()
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert list(body) == ["request_id", "timestamp", "data", "pagination"]
    assert uuid.UUID(body["request_id"]).version == 4
    assert ISO_Z.fullmatch(body["timestamp"])
    assert len(body["data"]) == 50
    assert all(list(contact) == LEV_FIELD_ORDER for contact in body["data"])
    last_id = body["data"][-1]["id"]
    assert body["pagination"] == {
        "total": lev.store.listed_count(),
        "limit": 50,
        "has_more": True,
        "next_cursor": base64.b64encode(json.dumps({"id": last_id}).encode()).decode(),
    }


def test_levcapital_cursor_walk_serves_every_connected_contact_once(lev):
    pages = walk_levcapital(lev, limit=37)

    ids = [contact["id"] for page in pages for contact in page["data"]]
    listed = lev.store.list_all()
    assert ids == [contact["id"] for contact in listed]
    assert ids == sorted(set(ids))
    assert 80 not in ids
    assert all(contact["is_connected"] for page in pages for contact in page["data"])
    assert all(list(contact) == LEV_FIELD_ORDER for contact in listed)
    assert {page["pagination"]["total"] for page in pages} == {len(listed)}
    assert [page["pagination"]["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert pages[-1]["pagination"]["next_cursor"] is None
    assert len(pages) == -(-len(listed) // 37)


def test_levcapital_docs_cursor_continues_after_id_78(lev):
    body = lev_get(lev, cursor="eyJpZCI6IDc4fQ==", limit=2).json()

    # 79 is connected, 80 is not.
    assert body["data"][0]["id"] == 79
    assert body["data"][1]["id"] > 80


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not base64!", id="not-base64"),
        pytest.param("eyJpZCI6IDc4fQ", id="padding-stripped"),
        pytest.param(base64.b64encode(b"78").decode(), id="not-an-object"),
        pytest.param(base64.b64encode(b'{"id": "78"}').decode(), id="string-id"),
        pytest.param("", id="empty"),
    ],
)
def test_levcapital_rejects_bad_cursors(lev, cursor):
    response = lev_get(lev, cursor=cursor)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "bad_request"


def test_levcapital_rejects_cursor_with_sort_with_the_docs_message(lev):
    response = lev_get(lev, cursor="eyJpZCI6IDc4fQ==", sort="-updated_at")

    assert response.status_code == 400
    assert response.json()["error"] == lev_error(
        400,
        "bad_request",
        "cursor and sort cannot be combined; use offset pagination when sorting",
    )


def test_levcapital_sort_pages_by_offset_with_nulls_last(lev):
    first = lev_get(lev, sort="-updated_at", limit=200).json()
    rest = lev_get(lev, sort="-updated_at", limit=200, offset=200).json()
    last = lev_get(lev, sort="-updated_at", limit=200, offset=400).json()

    stamps = [c["updated_at"] for page in (first, rest, last) for c in page["data"]]
    present = [stamp for stamp in stamps if stamp is not None]
    assert len(stamps) == lev.store.listed_count()
    assert present == sorted(present, reverse=True)
    assert stamps[len(present) :] == [None] * (len(stamps) - len(present))
    assert first["pagination"]["next_cursor"] is None
    assert first["pagination"]["has_more"] is True
    assert last["pagination"]["has_more"] is False


def test_levcapital_fields_selects_fields_and_always_keeps_id(lev):
    body = lev_get(lev, fields="email,first_name", limit=3).json()

    assert [list(contact) for contact in body["data"]] == [["id", "first_name", "email"]] * 3
    response = lev_get(lev, fields="email,company_id")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unknown fields: company_id"


def test_levcapital_pinned_contacts_are_served_exactly(lev):
    sarah = lev_get(lev, f"{LEV_CONTACTS}/78").json()
    zoe = lev_get(lev, f"{LEV_CONTACTS}/79").json()["data"]
    unconnected = lev_get(lev, f"{LEV_CONTACTS}/80").json()["data"]

    assert list(sarah) == ["request_id", "timestamp", "data"]
    assert sarah["data"] == DOCS_SARAH_CHEN
    assert list(sarah["data"]) == LEV_FIELD_ORDER
    assert (zoe["first_name"], zoe["last_name"]) == ("Zoë", "Ødegaard")
    assert zoe["email"] == "  Zoe.Odegaard@Fjord-Capital.NO "
    assert zoe["linkedin_url"] == "http://www.linkedin.com/in/zoe-odegaard/"
    assert (zoe["created_at"], zoe["updated_at"], zoe["is_connected"]) == (None, None, True)
    assert unconnected["is_connected"] is False
    listed = {contact["id"]: contact for contact in lev.store.list_all()}
    assert listed[78] == DOCS_SARAH_CHEN
    assert listed[79] == zoe
    assert 80 not in listed
    assert lev.store.get(80) == unconnected


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        pytest.param(f"{LEV_CONTACTS}/999999", 404, "Contact not found", id="unknown-id"),
        pytest.param(f"{LEV_CONTACTS}/abc", 400, "contact_id must be an integer", id="not-int"),
        pytest.param(f"{LEV_CONTACTS}/", 404, "Not found", id="trailing-slash"),
    ],
)
def test_levcapital_get_errors(lev, path, status, message):
    response = lev_get(lev, path)

    assert response.status_code == status
    assert response.json()["error"]["message"] == message


def test_levcapital_post_creates_an_unconnected_contact_stamped_by_the_clock(lev):
    lev.clock.freeze(datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
    listed_before = lev.store.listed_count()
    max_id = max(contact["id"] for contact in lev.store.list_all())

    response = requests.post(
        lev.base_url + LEV_CONTACTS,
        headers=LEV_HEADERS,
        json={"contact_type": "sponsor", "company_id": 9, "first_name": "Ada", "bogus": 1},
        timeout=5,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["timestamp"] == "2026-07-10T12:00:00Z"
    created = body["data"]
    assert list(created) == LEV_FIELD_ORDER
    assert created["id"] >= max_id + 1
    assert created["first_name"] == "Ada"
    assert (created["is_connected"], created["is_primary"], created["owner_account_id"]) == (
        False,
        False,
        56,
    )
    assert created["created_at"] == created["updated_at"] == "2026-07-10T12:00:00Z"
    assert lev.store.listed_count() == listed_before
    assert lev_get(lev, f"{LEV_CONTACTS}/{created['id']}").json()["data"] == created

    lev.clock.tick(60)
    lev.store.set_connected(created["id"], True)

    assert lev.store.list_all()[-1]["id"] == created["id"]
    assert lev.store.list_all()[-1]["updated_at"] == "2026-07-10T12:01:00Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"company_id": 9}, "contact_type is required", id="no-type"),
        pytest.param(
            {"contact_type": "borrower", "company_id": 9},
            "contact_type must be lender_contact or sponsor",
            id="bad-type",
        ),
        pytest.param({"contact_type": "sponsor"}, "company_id is required", id="no-company"),
        pytest.param(
            {"contact_type": "sponsor", "company_id": "9"},
            "company_id must be an integer",
            id="string-company",
        ),
        pytest.param(
            {"contact_type": "sponsor", "company_id": 9, "is_primary": "yes"},
            "is_primary must be a boolean",
            id="bad-boolean",
        ),
    ],
)
def test_levcapital_post_validation(lev, body, message):
    response = requests.post(lev.base_url + LEV_CONTACTS, headers=LEV_HEADERS, json=body, timeout=5)

    assert response.status_code == 422
    assert response.json()["error"] == lev_error(422, "validation_error", message)


def test_levcapital_post_needs_a_json_content_type(lev):
    response = requests.post(
        lev.base_url + LEV_CONTACTS,
        headers=LEV_HEADERS,
        data=json.dumps({"contact_type": "sponsor", "company_id": 9}),
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Content-Type must be application/json"


def test_levcapital_patch_matches_the_docs_example(lev):
    lev.clock.freeze(datetime(2026, 3, 20, 15, 30, 45, tzinfo=UTC))

    response = requests.patch(
        f"{lev.base_url}{LEV_CONTACTS}/78",
        headers=LEV_HEADERS,
        json={"title": "Executive Vice President", "is_connected": False, "unknown": "x"},
        timeout=5,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["timestamp"] == "2026-03-20T15:30:45Z"
    assert body["data"] == {
        **DOCS_SARAH_CHEN,
        "title": "Executive Vice President",
        "updated_at": "2026-03-20T15:30:45Z",
    }
    assert lev.store.get(78) == body["data"]


def test_levcapital_patch_unknown_contact_is_404(lev):
    response = requests.patch(
        f"{lev.base_url}{LEV_CONTACTS}/999999", headers=LEV_HEADERS, json={}, timeout=5
    )

    assert response.status_code == 404
    assert response.json()["error"] == lev_error(404, "not_found", "Contact not found")


def test_levcapital_read_only_forbids_writes():
    with LevCapitalSimulator(n_contacts=100, api_key=LEV_KEY, read_only=True) as sim:
        created = requests.post(
            sim.base_url + LEV_CONTACTS,
            headers=LEV_HEADERS,
            json={"contact_type": "sponsor", "company_id": 9},
            timeout=5,
        )
        updated = requests.patch(
            f"{sim.base_url}{LEV_CONTACTS}/78", headers=LEV_HEADERS, json={}, timeout=5
        )

    assert created.status_code == updated.status_code == 403
    assert created.json()["error"] == lev_error(
        403, "forbidden", "User not authorized to create contact"
    )


def test_levcapital_store_delete_disconnects(lev):
    lev.store.delete(78)

    assert 78 not in [contact["id"] for contact in lev.store.list_all()]
    assert lev.store.get(78)["is_connected"] is False
    assert lev_get(lev, f"{LEV_CONTACTS}/78").status_code == 200


# SprintMode contract


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-SM-Key": "wrong"}, id="wrong"),
        pytest.param({"Authorization": f"Bearer {SM_KEY}"}, id="bearer-instead"),
    ],
)
def test_sprintmode_rejects_bad_keys(sm, headers):
    response = sm_get(sm, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": "Invalid or missing API key"}


def test_sprintmode_default_page_and_limit(sm):
    body = sm_get(sm).json()

    assert body["ok"] is True
    assert list(body["data"]) == ["items", "total", "page", "limit", "hasMore"]
    assert (body["data"]["page"], body["data"]["limit"], body["data"]["total"]) == (1, 25, 300)
    assert len(body["data"]["items"]) == 25
    assert all(list(item) == SM_FIELD_ORDER for item in body["data"]["items"])


def test_sprintmode_caps_limit_at_100(sm):
    data = sm_get(sm, limit=500).json()["data"]

    assert data["limit"] == 100
    assert len(data["items"]) == 100
    assert data["hasMore"] is True


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"limit": "0"}, "limit must be a positive integer", id="limit-0"),
        pytest.param({"limit": "ten"}, "limit must be a positive integer", id="limit-text"),
        pytest.param({"page": "0"}, "page must be a positive integer", id="page-0"),
        pytest.param({"page": "-2"}, "page must be a positive integer", id="page-negative"),
    ],
)
def test_sprintmode_rejects_bad_paging(sm, params, message):
    response = sm_get(sm, **params)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": message}


def test_sprintmode_page_walk_serves_every_contact_once_newest_first(sm):
    pages = walk_sprintmode(sm, limit=40)

    ids = [item["id"] for page in pages for item in page["items"]]
    assert ids == [contact["id"] for contact in sm.store.list_all()]
    assert len(ids) == len(set(ids)) == 300
    assert {page["total"] for page in pages} == {300}
    assert len(pages) == 8
    keys = [(item["created_at"], item["id"]) for page in pages for item in page["items"]]
    assert keys == sorted(keys, reverse=True)
    past_the_end = sm_get(sm, page=9, limit=40).json()["data"]
    assert (past_the_end["items"], past_the_end["hasMore"], past_the_end["total"]) == (
        [],
        False,
        300,
    )


def test_sprintmode_created_at_ties_are_ordered_by_id_descending(sm):
    listed = sm.store.list_all()

    tied = Counter(contact["created_at"] for contact in listed)
    instant, count = tied.most_common(1)[0]
    assert count > 1
    same_second = [contact["id"] for contact in listed if contact["created_at"] == instant]
    assert same_second == sorted(same_second, reverse=True)


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        pytest.param({"type": "client"}, lambda c: c["contact_type"] == "client", id="type"),
        pytest.param({"source": "import"}, lambda c: c["source"] == "import", id="source"),
        pytest.param(
            {"company_id": "co_e5f6g7"}, lambda c: c["company_id"] == "co_e5f6g7", id="company"
        ),
        pytest.param(
            {"search": "ACME"},
            lambda c: "acme" in (c["full_name"] or "").lower() + "\0" + (c["email"] or "").lower(),
            id="search",
        ),
        pytest.param({"type": ""}, lambda c: True, id="empty-means-no-filter"),
    ],
)
def test_sprintmode_filters_and_total_counts_matches(sm, params, keep):
    expected = [contact["id"] for contact in sm.store.list_all() if keep(contact)]

    data = sm_get(sm, limit=100, **params).json()["data"]

    assert data["total"] == len(expected)
    assert [item["id"] for item in data["items"]] == expected[:100]


def test_sprintmode_pinned_contacts_are_served_exactly(sm):
    jane = sm_get(sm, f"{SM_CONTACTS}/ct_a1b2c3d4").json()
    sarah = sm.store.get("ct_5c4e2a10")
    blank = sm.store.get("ct_00000001")

    assert jane["ok"] is True
    assert list(jane["data"]) == SM_FIELD_ORDER
    assert {name: jane["data"][name] for name in list(jane["data"])[:7]} == {
        "id": "ct_a1b2c3d4",
        "email": "jane@acme.com",
        "first_name": "Jane",
        "last_name": "Smith",
        "full_name": "Jane Smith",
        "company_id": "co_e5f6g7",
        "company_name": "Acme Corp",
    }
    assert jane["data"]["contact_type"] == "client"
    assert (jane["data"]["portal_access"], jane["data"]["portal_role"]) == (1, "client_admin")
    assert jane["data"]["tags"] == " vip , newsletter,, "
    assert jane["data"]["linkedin_url"] == "linkedin.com/in/JaneSmith/"
    assert (jane["data"]["created_at"], jane["data"]["updated_at"]) == (
        "2025-03-01 09:15:00",
        "2026-01-10 08:00:00",
    )
    assert (sarah["first_name"], sarah["last_name"], sarah["full_name"]) == ("Sarah", "Chen", None)
    assert sarah["email"] == " SChen@MeridianCapital.com"
    assert (sarah["company_name"], sarah["title"]) == ("Meridian Capital", "SVP Originations")
    assert (sarah["updated_at"], sarah["tags"]) == ("2026-03-01 12:00:00", None)
    assert (blank["email"], blank["full_name"], blank["first_name"], blank["last_name"]) == (
        None,
        None,
        "  ",
        None,
    )
    assert blank["company_id"] == "co_0000aa"


def test_sprintmode_get_unknown_contact_is_404(sm):
    response = sm_get(sm, f"{SM_CONTACTS}/ct_ffffffff")

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error": "Contact not found"}


def test_sprintmode_post_applies_defaults_and_the_clock(sm):
    sm.clock.freeze(datetime(2026, 8, 1, 9, 30, tzinfo=UTC))

    response = requests.post(
        sm.base_url + SM_CONTACTS,
        headers=SM_HEADERS,
        json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        timeout=5,
    )

    assert response.status_code == 201
    body = response.json()
    new_id = body["data"]["id"]
    assert body == {
        "ok": True,
        "data": {"id": new_id, "full_name": "Ada Lovelace", "email": "ada@example.com"},
    }
    assert re.fullmatch(r"ct_[0-9a-f]{8}", new_id)
    created = sm.store.get(new_id)
    assert (created["contact_type"], created["source"], created["portal_access"]) == (
        "end_user",
        "manual",
        0,
    )
    assert created["created_at"] == created["updated_at"] == "2026-08-01 09:30:00"
    assert sm_get(sm, limit=1).json()["data"]["items"][0]["id"] == new_id
    assert sm_get(sm).json()["data"]["total"] == 301


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"first_name": "Nobody"}, id="neither"),
        pytest.param({"email": "", "company_id": None}, id="empty"),
    ],
)
def test_sprintmode_post_requires_email_or_company_id(sm, body):
    response = requests.post(sm.base_url + SM_CONTACTS, headers=SM_HEADERS, json=body, timeout=5)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "email or company_id is required"}


def test_sprintmode_patch_updates_fields_and_stamps_updated_at(sm):
    sm.clock.freeze(datetime(2026, 9, 1, 0, 0, 5, tzinfo=UTC))

    response = requests.patch(
        f"{sm.base_url}{SM_CONTACTS}/ct_a1b2c3d4",
        headers=SM_HEADERS,
        json={"portal_access": 0, "portal_role": None, "engagement_score": 12},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "data": {"id": "ct_a1b2c3d4", "updated": True}}
    jane = sm.store.get("ct_a1b2c3d4")
    assert (jane["portal_access"], jane["portal_role"], jane["engagement_score"]) == (0, None, 12)
    assert (jane["created_at"], jane["updated_at"]) == (
        "2025-03-01 09:15:00",
        "2026-09-01 00:00:05",
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        pytest.param("ct_ffffffff", {}, 404, "Contact not found", id="unknown"),
        pytest.param(
            "ct_a1b2c3d4",
            {"portal_access": 2},
            400,
            "portal_access must be 0 or 1",
            id="bad-portal-access",
        ),
        pytest.param(
            "ct_a1b2c3d4",
            {"engagement_score": 101},
            400,
            "engagement_score must be an integer from 0 to 100",
            id="bad-score",
        ),
    ],
)
def test_sprintmode_patch_errors(sm, path, body, status, message):
    response = requests.patch(
        f"{sm.base_url}{SM_CONTACTS}/{path}", headers=SM_HEADERS, json=body, timeout=5
    )

    assert response.status_code == status
    assert response.json() == {"ok": False, "error": message}


@pytest.mark.parametrize(
    ("timestamp_format", "created_at", "updated_at"),
    [
        pytest.param("sql", "2025-03-01 09:15:00", "2026-01-10 08:00:00", id="sql"),
        pytest.param("iso_z", "2025-03-01T09:15:00Z", "2026-01-10T08:00:00Z", id="iso_z"),
        pytest.param(
            "iso_offset", "2025-03-01T11:15:00+02:00", "2026-01-10T10:00:00+02:00", id="iso_offset"
        ),
    ],
)
def test_sprintmode_timestamp_formats(timestamp_format, created_at, updated_at):
    with SprintModeSimulator(n_contacts=100, timestamp_format=timestamp_format) as sim:
        jane = sm_get(sim, f"{SM_CONTACTS}/ct_a1b2c3d4").json()["data"]

    assert (jane["created_at"], jane["updated_at"]) == (created_at, updated_at)
    # Every format names the same instant; the SQL one is UTC without saying so.
    instant = datetime.fromisoformat(jane["created_at"])
    assert instant.replace(tzinfo=instant.tzinfo or UTC) == datetime(2025, 3, 1, 9, 15, tzinfo=UTC)


def test_sprintmode_iso_offset_can_be_negative():
    with SprintModeSimulator(
        n_contacts=100, timestamp_format="iso_offset", utc_offset=timedelta(hours=-5, minutes=-30)
    ) as sim:
        jane = sim.store.get("ct_a1b2c3d4")

    assert jane["created_at"] == "2025-03-01T03:45:00-05:30"


def test_sprintmode_store_delete_removes_the_contact(sm):
    sm.store.delete("ct_a1b2c3d4")

    assert sm.store.get("ct_a1b2c3d4") is None
    assert sm_get(sm, f"{SM_CONTACTS}/ct_a1b2c3d4").status_code == 404
    assert sm_get(sm).json()["data"]["total"] == 299
    with pytest.raises(KeyError):
        sm.store.delete("ct_a1b2c3d4")


# Faults


def test_fault_429_with_retry_after_then_recovers(lev):
    lev.faults.add(Fault(kind="status", status=429, retry_after="1", times=1))

    first, second = lev_get(lev), lev_get(lev)

    assert first.status_code == 429
    assert first.headers["Retry-After"] == "1"
    assert first.json()["error"]["type"] == "too_many_requests"
    assert "request_id" in first.json()
    assert second.status_code == 200
    assert [request.status for request in lev.requests] == [429, 200]
    assert len(lev.faults) == 0


def test_fault_without_retry_after_sends_no_header(sm):
    sm.faults.add(Fault(kind="status", status=429))

    response = sm_get(sm)

    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.json() == {"ok": False, "error": "Too Many Requests"}


def test_fault_503_twice_uses_the_api_error_envelope(sm):
    sm.faults.add(Fault(kind="status", status=503, times=2))

    statuses = [sm_get(sm).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    sm.faults.add(Fault(kind="status", status=503))
    assert sm_get(sm).json() == {"ok": False, "error": "Service Unavailable"}


def test_fault_401_uses_the_documented_envelope(lev):
    lev.faults.add(Fault(kind="status", status=401))

    response = lev_get(lev)

    assert response.status_code == 401
    assert response.json()["error"] == lev_error(401, "unauthorized", "Authentication required")


def test_fault_reset_raises_connection_error(lev):
    lev.faults.add(Fault(kind="reset"))
    session = requests.Session()

    with pytest.raises(requests.ConnectionError):
        session.get(lev.base_url + LEV_CONTACTS, headers=LEV_HEADERS, timeout=5)

    assert session.get(lev.base_url + LEV_CONTACTS, headers=LEV_HEADERS, timeout=5).ok
    assert [request.status for request in lev.requests] == [0, 200]


def test_fault_malformed_json_is_a_200_with_a_truncated_body(sm):
    sm.faults.add(Fault(kind="malformed_json"))

    response = sm_get(sm)

    assert response.status_code == 200
    assert response.text.startswith('{"ok": true, "data": {"items": [')
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert sm_get(sm).json()["ok"] is True


def test_fault_body_serves_any_json(sm):
    sm.faults.add(Fault(kind="body", status=200, body={"ok": False, "error": "boom"}))

    response = sm_get(sm)

    assert (response.status_code, response.json()) == (200, {"ok": False, "error": "boom"})


def test_fault_delay_lets_the_client_time_out(sm):
    sm.faults.add(Fault(kind="delay", seconds=0.6))

    with pytest.raises(requests.ReadTimeout):
        requests.get(sm.base_url + SM_CONTACTS, headers=SM_HEADERS, timeout=0.2)

    assert sm_get(sm).status_code == 200


def test_fault_page_specific_on_a_cursor_listing(lev):
    lev.faults.add(Fault(kind="status", status=503, page=3))
    pages, params, statuses = [], {"limit": 50}, []
    while True:
        response = lev_get(lev, **params)
        statuses.append(response.status_code)
        if response.status_code == 503:
            continue  # retry the same page
        pages.append(response.json())
        cursor = pages[-1]["pagination"]["next_cursor"]
        if cursor is None:
            break
        params = {"limit": 50, "cursor": cursor}

    assert statuses[:4] == [200, 200, 503, 200]
    assert statuses.count(503) == 1
    failed = lev.requests[2]
    assert failed.query["cursor"] == pages[1]["pagination"]["next_cursor"]
    ids = [contact["id"] for page in pages for contact in page["data"]]
    assert ids == [contact["id"] for contact in lev.store.list_all()]


def test_fault_page_specific_on_a_page_listing(sm):
    sm.faults.add(Fault(kind="status", status=500, page=2, times=None))

    statuses = [sm_get(sm, page=page).status_code for page in (1, 2, 3, 2)]

    assert statuses == [200, 500, 200, 500]


def test_fault_after_skips_the_first_matching_requests(sm):
    sm.faults.add(Fault(kind="status", status=502, after=2, times=1))

    statuses = [sm_get(sm).status_code for _ in range(4)]

    assert statuses == [200, 200, 502, 200]


def test_fault_matches_method_and_path(sm):
    jane = f"{SM_CONTACTS}/ct_a1b2c3d4"
    sm.faults.add(Fault(kind="status", status=500, method="PATCH", times=None))
    sm.faults.add(Fault(kind="status", status=503, method="GET", path=jane, times=None))

    listing = sm_get(sm)
    single = sm_get(sm, jane)
    patched = requests.patch(sm.base_url + jane, headers=SM_HEADERS, json={}, timeout=5)

    assert (listing.status_code, single.status_code, patched.status_code) == (200, 503, 500)


def test_faults_forever_until_cleared_and_never_on_control_endpoints(lev):
    lev.faults.add(Fault(kind="status", status=503, times=None))

    statuses = [lev_get(lev).status_code for _ in range(3)]
    state = requests.get(lev.base_url + "/_sim/state", timeout=5)
    lev.faults.clear()

    assert statuses == [503, 503, 503]
    assert state.status_code == 200
    assert state.json()["faults"][0]["seen"] == 3
    assert lev_get(lev).status_code == 200
    assert [request.path for request in lev.requests] == [LEV_CONTACTS] * 4


def test_fault_rejects_nonsense():
    with pytest.raises(ValueError):
        Fault(kind="explode")
    with pytest.raises(ValueError):
        Fault(kind="status")
    with pytest.raises(ValueError):
        Fault(kind="status", status=503, times=0)


# Hooks, latency, rate limit, clock, request log


def test_on_list_page_hook_mutates_the_data_mid_listing(lev):
    listed = [contact["id"] for contact in lev.store.list_all()]
    served_before, not_yet_served = listed[10], listed[120]
    calls = []

    def disconnect(store):
        calls.append(store.listed_count())
        store.delete(served_before)
        store.delete(not_yet_served)

    lev.on_list_page(2, disconnect)
    ids = [c["id"] for page in walk_levcapital(lev, limit=50) for c in page["data"]]

    assert len(calls) == 1
    # Keyset pagination: the page-1 contact was already served, the later one never is, and
    # nothing else is skipped or repeated.
    assert ids == [contact_id for contact_id in listed if contact_id != not_yet_served]
    walk_levcapital(lev, limit=50)
    assert len(calls) == 1


def test_on_list_page_hook_on_an_offset_listing_shifts_items(sm):
    listed = [contact["id"] for contact in sm.store.list_all()]
    sm.on_list_page(2, lambda store: store.delete(listed[0]))

    ids = [item["id"] for page in walk_sprintmode(sm, limit=50) for item in page["items"]]

    # Deleting a page-1 contact before page 2 moves page 2's first contact onto page 1.
    assert ids == listed[:50] + listed[51:]


def test_a_failing_hook_answers_500_instead_of_dropping_the_connection(sm, capfd):
    sm.on_list_page(1, lambda store: 1 / 0)

    response = sm_get(sm)

    assert response.status_code == 500
    assert response.json() == {"ok": False, "error": "Internal Server Error"}
    assert "ZeroDivisionError" in capfd.readouterr().err


def test_clear_hooks(sm):
    calls = []
    sm.on_list_page(1, calls.append)
    sm.clear_hooks()

    sm_get(sm)

    assert calls == []


# Paging traps: server bugs that would keep a naive client reading forever


def lev_pages(sim, n: int, limit: int = 200) -> list[dict]:
    """The first `n` pages of a cursor walk, following next_cursor as a client would."""
    pages, params = [], {"limit": limit}
    for _ in range(n):
        pages.append(lev_get(sim, **params).json())
        params = {"limit": limit, "cursor": pages[-1]["pagination"]["next_cursor"]}
    return pages


def test_levcapital_repeat_cursor_answers_with_the_cursor_it_was_given(lev):
    lev.set_paging_trap("repeat_cursor")

    pages = lev_pages(lev, 4)

    cursors = [page["pagination"]["next_cursor"] for page in pages]
    assert cursors[1:] == [cursors[0]] * 3
    assert [page["pagination"]["has_more"] for page in pages] == [True] * 4
    assert pages[2]["data"] == pages[1]["data"] == pages[3]["data"]


def test_levcapital_cursor_loop_leads_back_to_the_first_page(lev):
    lev.set_paging_trap("cursor_loop")

    pages = lev_pages(lev, 5, limit=200)

    # 500 contacts, of which the connected ones fit three pages of 200; the fourth is page 1.
    assert pages[2]["pagination"]["has_more"] is True
    assert pages[3]["data"] == pages[0]["data"]


def test_levcapital_endless_empty_pages_after_the_last_contact(lev):
    lev.set_paging_trap("endless_empty")

    pages = lev_pages(lev, 6)

    assert [len(page["data"]) for page in pages[3:]] == [0, 0, 0]
    cursors = [page["pagination"]["next_cursor"] for page in pages]
    assert len(set(cursors)) == 6
    assert all(page["pagination"]["has_more"] for page in pages)


def test_sprintmode_clamp_pages_serves_the_last_page_past_the_end(sm):
    sm.set_paging_trap("clamp_pages")

    pages = [sm_get(sm, page=number, limit=100).json()["data"] for number in (3, 4, 9)]

    assert pages[0]["items"] == pages[1]["items"] == pages[2]["items"] != []
    assert [page["hasMore"] for page in pages] == [True, True, True]
    assert [page["page"] for page in pages] == [3, 4, 9]


def test_sprintmode_stuck_page_repeats_one_page_from_then_on(sm):
    sm.set_paging_trap("stuck_page", from_page=2)

    pages = [sm_get(sm, page=number, limit=50).json()["data"] for number in (1, 2, 3, 7)]

    assert pages[1]["items"] == pages[2]["items"] == pages[3]["items"] != pages[0]["items"]
    assert all(page["hasMore"] for page in pages)


def test_sprintmode_endless_empty_says_has_more_past_the_end(sm):
    sm.set_paging_trap("endless_empty")

    page = sm_get(sm, page=4, limit=100).json()["data"]

    assert (page["items"], page["hasMore"]) == ([], True)


def test_paging_traps_through_the_control_endpoint(sm):
    answer = requests.post(sm.base_url + "/_sim/paging", json={"trap": "clamp_pages"}, timeout=5)
    assert answer.json() == {"ok": True, "paging_trap": "clamp_pages"}
    assert requests.get(sm.base_url + "/_sim/state", timeout=5).json()["paging_trap"] == (
        "clamp_pages"
    )
    refused = requests.post(sm.base_url + "/_sim/paging", json={"trap": "nope"}, timeout=5)
    assert refused.status_code == 400
    assert "clamp_pages, stuck_page, endless_empty" in refused.json()["error"]
    cleared = requests.post(sm.base_url + "/_sim/paging", json={"trap": None}, timeout=5)
    assert cleared.json()["paging_trap"] is None
    assert sm_get(sm, page=4, limit=100).json()["data"]["hasMore"] is False


def test_latency_delays_every_api_response(sm):
    sm.latency = 0.15

    started = time.monotonic()
    sm_get(sm)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.15


def test_rate_limit_answers_429_with_retry_after(lev):
    lev.rate_limit = 3

    responses = [lev_get(lev) for _ in range(5)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429, 429]
    assert responses[3].headers["Retry-After"] == "1"
    assert responses[3].json()["error"]["status"] == 429
    lev.rate_limit = None
    assert lev_get(lev).status_code == 200


def test_clock_freeze_tick_unfreeze():
    clock = Clock()
    frozen_at = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)

    clock.freeze(frozen_at)
    assert clock.now() == frozen_at
    assert clock.frozen
    clock.tick(90)
    assert clock.now() == frozen_at + timedelta(seconds=90)
    clock.unfreeze()
    resumed = clock.now()

    assert not clock.frozen
    assert timedelta(0) <= resumed - (frozen_at + timedelta(seconds=90)) < timedelta(seconds=1)
    assert resumed.tzinfo == UTC


def test_default_clock_is_after_every_generated_timestamp():
    with LevCapitalSimulator(n_contacts=2000) as lev, SprintModeSimulator(n_contacts=2000) as sm:
        stamps = [
            datetime.fromisoformat(contact[field])
            for contact in lev.store.list_all()
            for field in ("created_at", "updated_at")
            if contact[field] is not None
        ]
        stamps += [
            datetime.fromisoformat(contact[field]).replace(tzinfo=UTC)
            for contact in sm.store.list_all()
            for field in ("created_at", "updated_at", "last_engagement_at")
            if contact[field] is not None
        ]

        assert min(stamps) >= datetime(2023, 1, 1, tzinfo=UTC)
        assert max(stamps) < datetime(2026, 7, 1, tzinfo=UTC) <= lev.clock.now()
        assert sm.clock.now() >= datetime(2026, 7, 1, tzinfo=UTC)


def test_control_endpoints(lev):
    sim = lev.base_url + "/_sim"
    listed = lev.store.listed_count()

    added = requests.post(f"{sim}/faults", json={"kind": "status", "status": 503}, timeout=5)
    state = requests.get(f"{sim}/state", timeout=5).json()
    faulted = lev_get(lev)
    requests.post(f"{sim}/faults", json={"kind": "status", "status": 500}, timeout=5)
    cleared = requests.delete(f"{sim}/faults", timeout=5)
    deleted = requests.post(f"{sim}/contacts/78/delete", timeout=5)
    unknown = requests.post(f"{sim}/contacts/999999/delete", timeout=5)
    frozen = requests.post(f"{sim}/clock", json={"freeze": "2026-12-24T18:00:00Z"}, timeout=5)
    requests.post(f"{sim}/clock", json={"tick": 30}, timeout=5)
    bad = requests.post(f"{sim}/faults", json={"kind": "explode"}, timeout=5)

    assert added.status_code == 201
    assert (state["api"], state["contacts"], state["listed"]) == ("levcapital", 500, listed)
    assert [fault["status"] for fault in state["faults"]] == [503]
    assert faulted.status_code == 503
    assert cleared.status_code == 200
    assert len(lev.faults) == 0
    assert deleted.status_code == 200
    assert lev.store.get(78)["is_connected"] is False
    assert unknown.status_code == 404
    assert frozen.status_code == 200
    assert lev.clock.now() == datetime(2026, 12, 24, 18, 0, 30, tzinfo=UTC)
    assert bad.status_code == 400
    requests.post(f"{sim}/clock", json={"unfreeze": True}, timeout=5)
    assert not lev.clock.frozen


def test_request_log_records_what_the_client_sent(lev):
    lev_get(lev, limit=5, fields="email")
    lev_get(lev, headers={})

    first, second = lev.requests

    assert first == RecordedRequest(
        "GET", LEV_CONTACTS, {"limit": "5", "fields": "email"}, first.headers, 200
    )
    assert first.headers["authorization"] == f"Bearer {LEV_KEY}"
    assert first.headers["x-origin-app"] == "contacts-elt-tests"
    assert second.status == 401
    lev.clear_requests()
    assert lev.requests == []


def test_keep_alive_http_1_1_and_stop_closes_connections():
    sim = SprintModeSimulator(n_contacts=100).start()
    session = requests.Session()
    response = session.get(sim.base_url + SM_CONTACTS, headers=SM_HEADERS, timeout=5)
    url = sim.base_url + SM_CONTACTS

    sim.stop()

    assert response.raw.version == 11
    assert response.headers["Content-Length"] == str(len(response.content))
    with pytest.raises(requests.ConnectionError):
        session.get(url, headers=SM_HEADERS, timeout=5)
    sim.stop()  # idempotent


def test_concurrent_clients(lev):
    lev.latency = 0.05
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(lev_get(lev, limit=10).status_code))
        for _ in range(16)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * 16
    assert time.monotonic() - started < 16 * 0.05


def test_given_port_is_used():
    with LevCapitalSimulator(n_contacts=100) as first:
        port = first.port
    with LevCapitalSimulator(n_contacts=100, port=port) as second:
        assert second.base_url == f"http://127.0.0.1:{port}"
        assert lev_get(second).status_code == 200


# Generated data


def test_same_seed_same_data_other_seed_other_data():
    assert (
        LevCapitalSimulator(n_contacts=300, seed=11).store.list_all()
        == LevCapitalSimulator(n_contacts=300, seed=11).store.list_all()
    )
    assert (
        SprintModeSimulator(n_contacts=300, seed=11).store.list_all()
        == SprintModeSimulator(n_contacts=300, seed=11).store.list_all()
    )
    assert (
        LevCapitalSimulator(n_contacts=300, seed=11).store.list_all()
        != LevCapitalSimulator(n_contacts=300, seed=12).store.list_all()
    )


def test_levcapital_contacts_do_not_depend_on_the_account_size():
    small = LevCapitalSimulator(n_contacts=200).store.list_all()
    large = LevCapitalSimulator(n_contacts=1000).store.list_all()

    assert large[: len(small)] == small


def test_about_15_percent_of_sprintmode_are_levcapital_people_written_differently():
    lev = {
        contact["email"].strip().lower(): contact
        for contact in LevCapitalSimulator(n_contacts=2000, seed=3).store.list_all()
        if contact["email"]
    }
    sm = SprintModeSimulator(n_contacts=2000, seed=3).store.list_all()

    shared = [c for c in sm if c["email"] and c["email"].strip().lower() in lev]

    assert 0.12 <= len(shared) / len(sm) <= 0.22
    same_names = [
        c
        for c in shared
        if (c["first_name"], c["last_name"])
        == (
            lev[c["email"].strip().lower()]["first_name"],
            lev[c["email"].strip().lower()]["last_name"],
        )
    ]
    assert len(same_names) >= 0.9 * len(shared)
    # Different spelling of the same address (a few coincide by chance: duplicates, gmail.com).
    written_differently = [
        c for c in same_names if c["email"] != lev[c["email"].strip().lower()]["email"]
    ]
    assert len(written_differently) >= 0.9 * len(same_names)


def test_generated_data_is_realistically_messy():
    lev = LevCapitalSimulator(n_contacts=4000, seed=5).store
    everyone = [lev.get(contact_id) for contact_id in range(1, 5000)]
    contacts = [contact for contact in everyone if contact is not None]
    sm = SprintModeSimulator(n_contacts=4000, seed=5).store.list_all()

    def share(items, predicate):
        return sum(1 for item in items if predicate(item)) / len(items)

    assert len(contacts) == 4000
    assert 0.01 <= share(contacts, lambda c: c["updated_at"] is None) <= 0.04
    assert 0.03 <= share(contacts, lambda c: not c["is_connected"]) <= 0.08
    assert share(contacts, lambda c: c["email"] and c["email"] != c["email"].strip()) > 0.01
    assert share(contacts, lambda c: c["email"] and c["email"] != c["email"].lower()) > 0.02
    assert all(
        c["created_at"] <= c["updated_at"] for c in contacts if c["created_at"] and c["updated_at"]
    )
    emails = Counter(c["email"].strip().lower() for c in contacts if c["email"])
    assert any(count > 1 for count in emails.values())
    updated = Counter(c["updated_at"] for c in contacts if c["updated_at"])
    assert updated.most_common(1)[0][1] >= 10
    names = {c["first_name"] for c in contacts} | {c["last_name"] for c in contacts}
    assert {"José", "Łukasz", "Müller", "O'Brien", "李", "Nguyễn"} <= names
    linkedin = {c["linkedin_url"] for c in contacts if c["linkedin_url"]}
    assert any(url.startswith("linkedin.com/") for url in linkedin)
    assert any("?" in url for url in linkedin)
    assert any(url.endswith("/") for url in linkedin)
    assert {c["tags"] for c in sm} >= {None, ""}
    assert any(c["tags"] and ",," in c["tags"] for c in sm)
    assert 0.03 <= share(sm, lambda c: c["email"] is None) <= 0.10
    assert {c["contact_type"] for c in sm} == {
        "lead",
        "client",
        "candidate",
        "investor",
        "end_user",
    }
    assert {c["portal_access"] for c in sm} == {0, 1}
    assert all(score is None or 0 <= score <= 100 for score in (c["engagement_score"] for c in sm))


def test_160k_contacts_per_api():
    with (
        LevCapitalSimulator(n_contacts=160_000, seed=7) as lev,
        SprintModeSimulator(n_contacts=160_000, seed=7) as sm,
    ):
        lev_page = lev_get(lev, limit=200, cursor=base64.b64encode(b'{"id": 150000}').decode())
        sm_page = sm_get(sm, limit=100, page=1000)

        assert len(lev.store) == len(sm.store) == 160_000
        assert lev_page.json()["pagination"]["total"] == lev.store.listed_count()
        assert lev_page.json()["data"][0]["id"] > 150_000
        assert len(lev_page.json()["data"]) == 200
        assert sm_page.json()["data"]["total"] == 160_000
        assert len(sm_page.json()["data"]["items"]) == 100

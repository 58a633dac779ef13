"""Nothing a database refuses blocks a night, and everything it takes lands exactly.

PostgreSQL refuses a NUL character in text; JSON allows it, and CRMs store what users paste.
Before, two such contacts among 600 failed every PostgreSQL night with 344 lines of output, and
the refused load package stayed pending to fail the next night too. Now such a contact is set
aside in `contact_rejects` with its payload as sent (on both destinations, so that they hold
the same contacts), every other contact lands byte for byte, and a package the database refuses
for its content is set aside instead of being tried again every night.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import pytest
from postgres import finish

from pipelines.runs.load import pipeline_for
from pipelines.warehouse import PostgresDatabase
from pipelines.warehouse.postgres import resolve_credentials

# Text every database must keep exactly: 4-byte characters and a ZWJ sequence, combining
# accents (not normalised), right-to-left scripts and bidi controls, a supplementary-plane CJK.
EXACT_TITLES = [
    "👩🏽‍💻 Head of Data 🚀",
    "Directeur ge\u0301ne\u0301ral",
    "مديرة المبيعات",
    "\u202eRTL override\u202c ראש צוות",
    "李 明 — 𠮷野家",
]
NUL = "\x00"


@dataclass
class Destination:
    """A nightly job's `contacts-elt` and a reader, on one destination."""

    start: Callable[..., Any]
    query: Callable[..., list[tuple[Any, ...]]]


@pytest.fixture(params=["duckdb", "postgres"])
def destination(request) -> Destination:
    if request.param == "duckdb":
        return Destination(
            request.getfixturevalue("contacts_elt_cli"), request.getfixturevalue("query")
        )
    pg_query = request.getfixturevalue("pg_query")
    return Destination(
        request.getfixturevalue("pg_cli"),
        lambda sql, *params: pg_query(sql.replace("?", "%s"), *params),
    )


def analytics_keys(destination: Destination) -> set[str]:
    return {key for (key,) in destination.query("select contact_key from analytics.contacts")}


def listed_keys(sims) -> set[str]:
    return {
        f"{name}:{contact['id']}" for name, sim in sims.items() for contact in sim.store.list_all()
    }


def test_text_a_database_refuses_is_set_aside_and_the_rest_lands_byte_for_byte(sims, destination):
    lev, sm = sims["levcapital"].store, sims["sprintmode"].store
    lev_ids = [contact["id"] for contact in lev.list_all()[:8]]
    sm_ids = [contact["id"] for contact in sm.list_all()[:8]]
    lev.corrupt(lev_ids[0], title=f"VP{NUL}Sales")
    sm.corrupt(sm_ids[0], enrichment_data={"industry": f"Media{NUL}"})
    sm.corrupt(sm_ids[1], first_name="Ann\ud800")
    exact = {}
    for index, title in enumerate(EXACT_TITLES):
        lev.update(lev_ids[index + 1], {"title": title})
        sm.update(sm_ids[index + 2], {"title": title})
        exact[f"levcapital:{lev_ids[index + 1]}"] = title
        exact[f"sprintmode:{sm_ids[index + 2]}"] = title
    refused = {f"levcapital:{lev_ids[0]}", f"sprintmode:{sm_ids[0]}", f"sprintmode:{sm_ids[1]}"}
    expected_stderr = (
        f"levcapital: 1 contact set aside in raw_levcapital.contact_rejects: {lev_ids[0]} (title "
        "contains a NUL character (\\u0000), which PostgreSQL cannot store)\n"
        f"sprintmode: 2 contacts set aside in raw_sprintmode.contact_rejects: {sm_ids[0]} "
        "(enrichment_data holds a text that contains a NUL character (\\u0000), which PostgreSQL "
        f"cannot store), {sm_ids[1]} (first_name is not valid Unicode (it holds a lone surrogate), "
        "which no database can store)\n"
    )

    for night in (1, 2):
        code, stdout, stderr = finish(destination.start("run"))

        assert code == 3, f"night {night}: {stdout}{stderr}"
        assert stderr == expected_stderr
        assert "dbt build: ok" in stdout
        assert analytics_keys(destination) == listed_keys(sims) - refused

    titles = {
        key: title
        for key, title in destination.query(
            "select contact_key, title from analytics.contacts where contact_key in ("
            + ", ".join("?" for _ in exact)
            + ")",
            *exact,
        )
    }
    assert {key: title.encode() for key, title in titles.items()} == {
        key: title.encode() for key, title in exact.items()
    }
    raw_title = destination.query(
        "select title from raw_sprintmode.contacts where id = ?", sm_ids[2]
    )
    assert raw_title == [(EXACT_TITLES[0],)]
    # The payload is the contact exactly as the API sent it, in text every database takes.
    payloads = {
        key: json.loads(payload)
        for key, payload in destination.query(
            "select reject_key, payload from raw_sprintmode.contact_rejects"
        )
    }
    assert payloads[sm_ids[0]]["enrichment_data"] == {"industry": f"Media{NUL}"}
    assert payloads[sm_ids[1]]["first_name"] == "Ann\ud800"
    [(lev_payload,)] = destination.query("select payload from raw_levcapital.contact_rejects")
    assert json.loads(lev_payload)["title"] == f"VP{NUL}Sales"

    lev.repair(lev_ids[0])
    sm.repair(sm_ids[0])
    sm.repair(sm_ids[1])
    code, stdout, stderr = finish(destination.start("run"))

    assert (code, stderr) == (0, ""), stdout + stderr
    assert analytics_keys(destination) == listed_keys(sims)
    assert destination.query("select count(*) from raw_sprintmode.contact_rejects") == [(0,)]


def aborted_packages(working_dir: Path) -> list[Path]:
    return sorted(
        package.parent
        for package in working_dir.glob(
            "contacts_elt_sprintmode/load/loaded/*/package_completed.json"
        )
        if package.read_text().strip() == "aborted"
    )


def test_a_package_the_database_refuses_is_set_aside_and_never_fails_a_later_night(
    sims, pg_cli, pg_query
):
    assert finish(pg_cli("run"))[0] == 0
    # A rule the database enforces and the API does not know: its refusal is for the data.
    pg_query(
        "alter table raw_sprintmode.contacts add constraint no_refused_titles "
        "check (title is distinct from 'Refused by a check')"
    )
    sm, lev = sims["sprintmode"].store, sims["levcapital"].store
    refused_id, other_id = sm.list_all()[4]["id"], sm.list_all()[5]["id"]
    sm.update(refused_id, {"title": "Refused by a check"})
    sm.update(other_id, {"title": "Changed on the refused night"})
    lev_changed = lev.list_all()[4]["id"]
    lev.update(lev_changed, {"title": "Changed on the refused night"})

    code, stdout, stderr = finish(pg_cli("run"))

    assert code == 1
    [line] = stderr.splitlines()
    assert line.startswith("sprintmode: the database refused load package "), stderr
    assert 'violates check constraint "no_refused_titles"' in line
    assert line.endswith("its contacts are read again from the API")
    assert "Traceback" not in stdout + stderr
    working_dir = PostgresDatabase(resolve_credentials()).working_dir
    [kept] = aborted_packages(working_dir)
    assert str(kept) in line
    # What the package held is kept, not lost.
    assert any(
        "Refused by a check" in path.read_text(errors="replace") for path in kept.rglob("*.csv")
    )
    assert pg_query(
        "select title from analytics.contacts where contact_key = %s", f"levcapital:{lev_changed}"
    ) == [("Changed on the refused night",)]

    # Fixed upstream, the database's rule unchanged: a pending package would still hold the
    # refused title and fail again; the next night reads the API anew instead.
    sm.update(refused_id, {"title": "Fixed upstream"})
    code, stdout, stderr = finish(pg_cli("run"))

    assert (code, stderr) == (0, ""), stdout + stderr
    assert dict(
        pg_query(
            "select contact_key, title from analytics.contacts where contact_key in (%s, %s)",
            f"sprintmode:{refused_id}",
            f"sprintmode:{other_id}",
        )
    ) == {
        f"sprintmode:{refused_id}": "Fixed upstream",
        f"sprintmode:{other_id}": "Changed on the refused night",
    }
    # The refused package stays set aside for the operator; housekeeping keeps it.
    assert aborted_packages(working_dir) == [kept]


def test_a_pending_package_an_earlier_run_left_is_set_aside_and_the_night_goes_on(
    sims, pg_cli, pg_query
):
    assert finish(pg_cli("run"))[0] == 0
    # What an older version left behind: a package holding a NUL, pending since its load failed.
    pipeline = pipeline_for("sprintmode", PostgresDatabase(resolve_credentials()))
    poisoned = dict(sims["sprintmode"].store.list_all()[3], title=f"VP{NUL}Sales")
    pipeline.extract(
        dlt.resource([poisoned], name="contacts", write_disposition="merge", primary_key="id"),
        loader_file_format="csv",
    )
    pipeline.normalize()
    assert pipeline.has_pending_data
    changed = sims["sprintmode"].store.list_all()[6]["id"]
    sims["sprintmode"].store.update(changed, {"title": "Changed tonight"})

    code, stdout, stderr = finish(pg_cli("run"))

    assert code == 3, stdout + stderr
    [line] = stderr.splitlines()
    assert line.startswith("sprintmode: the database refused load package "), stderr
    assert 'invalid byte sequence for encoding "UTF8": 0x00' in line
    assert pg_query(
        "select title from analytics.contacts where contact_key = %s", f"sprintmode:{changed}"
    ) == [("Changed tonight",)]

    code, stdout, stderr = finish(pg_cli("run"))

    assert (code, stderr) == (0, ""), stdout + stderr

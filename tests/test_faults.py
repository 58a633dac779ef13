"""HTTP faults, bad bodies, credentials, configuration and secrets, against the simulators.

Every fault is injected by a simulator and travels over real HTTP; nothing mocks `requests`.
"""

import gzip
import itertools
import json
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import duckdb
import pytest
import requests
from dlt.pipeline.state_sync import decompress_state
from tenacity import RetryCallState, Retrying

from demo.simulators import Fault
from pipelines.http.session import HttpPolicy, wait_retry_after_or_backoff
from pipelines.paths import pipelines_dir_for
from pipelines.runs.load import load_source, load_sources, pipeline_for

CONTACTS_ELT = str(Path(sys.executable).with_name("contacts-elt"))
LIST_PATHS = {"levcapital": "/api/external/v2/contacts", "sprintmode": "/api/contacts"}
# 279 of LevCapital's 300 contacts are connected: two pages of 200; SprintMode: three of 100.
PAGES = {"levcapital": 2, "sprintmode": 3}
REQUEST_ID = r" \[request_id [0-9a-f-]{36}\]"
# What each API's error envelope turns into, by status (LevCapital adds its request_id).
API_ERRORS = {
    "levcapital": {
        400: r"Bad Request \(400 bad_request\)" + REQUEST_ID,
        401: r"authentication failed \(401 unauthorized: Authentication required\)" + REQUEST_ID,
        403: r"access forbidden \(403 forbidden: Forbidden\)" + REQUEST_ID,
        404: r"Not found \(404 not_found\)" + REQUEST_ID,
        429: r"rate limited \(429 too_many_requests: Too Many Requests\)" + REQUEST_ID,
        503: r"server error \(503 service_unavailable: Service Unavailable\)" + REQUEST_ID,
    },
    "sprintmode": {
        400: r"Bad Request \(400\)",
        401: r"authentication failed \(401: Invalid or missing API key\)",
        403: r"access forbidden \(403: Forbidden\)",
        404: r"Not found \(404\)",
        429: r"rate limited \(429: Too Many Requests\)",
        503: r"server error \(503: Service Unavailable\)",
    },
}


def list_requests(sim, source: str, page: int | None = None) -> list:
    """The listing requests a simulator answered, optionally only those for one page."""
    requests_ = [r for r in sim.requests if r.path == LIST_PATHS[source]]
    if page is None:
        return requests_
    return [r for r in requests_ if page_of(source, r) == page]


def page_of(source: str, request) -> int:
    if source == "sprintmode":
        return int(request.query.get("page", "1"))
    # LevCapital's second (and last) page is the only one asked for with a cursor.
    return 2 if "cursor" in request.query else 1


def gaps(recorded: list) -> list[float]:
    """Seconds between consecutive requests, as the simulator received them."""
    return [b.received_at - a.received_at for a, b in itertools.pairwise(recorded)]


def http_date_in(seconds: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


# --- 429, 5xx, resets and timeouts are retried ------------------------------------------------

# (source, the fault, statuses the simulator answers that page with,
#  environment, least seconds between attempts, most seconds between attempts)
THROTTLED = [
    pytest.param(
        "levcapital",
        lambda: Fault(kind="status", status=429, retry_after="1", page=2),
        [429, 200],
        {},
        [1.0],
        [2.0],
        id="429-retry-after-1s",
    ),
    pytest.param(
        "sprintmode",
        lambda: Fault(kind="status", status=429, retry_after=http_date_in(2), page=3),
        [429, 200],
        {},
        # The date itself is checked below: how long is left of it depends on the 429's time.
        [0.0],
        [2.5],
        id="429-retry-after-http-date",
    ),
    pytest.param(
        "sprintmode",
        lambda: Fault(kind="status", status=429, retry_after="0", page=3, times=3),
        [429, 429, 429, 200],
        {"SOURCES__HTTP__BACKOFF_FACTOR": "0.2", "SOURCES__HTTP__MAX_BACKOFF": "5"},
        # Retry-After: 0 is not "at once": equal-jitter backoff of 0.2, 0.4, 0.8 s.
        [0.1, 0.2, 0.4],
        [0.45, 0.65, 1.1],
        id="429-retry-after-0-backs-off",
    ),
    pytest.param(
        "levcapital",
        lambda: Fault(kind="status", status=429, page=2, times=3),
        [429, 429, 429, 200],
        {"SOURCES__HTTP__BACKOFF_FACTOR": "0.2", "SOURCES__HTTP__MAX_BACKOFF": "5"},
        [0.1, 0.2, 0.4],
        [0.45, 0.65, 1.1],
        id="429-without-retry-after-backs-off",
    ),
]


@pytest.mark.parametrize(("source", "make_fault", "statuses", "env", "least", "most"), THROTTLED)
def test_a_429_waits_what_retry_after_asks_or_backs_off(
    source, make_fault, statuses, env, least, most, sims, duckdb_path, raw_contacts, fast_http,
    monkeypatch,
):  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sim = sims[source]
    fault = sim.faults.add(make_fault())
    armed_at, armed_at_monotonic = datetime.now(UTC), time.monotonic()

    load = load_source(source, duckdb_path, base_url=sim.base_url, api_key=sim.api_key)

    assert load.error is None
    faulty_page = list_requests(sim, source, fault.page)
    assert [r.status for r in faulty_page] == statuses
    waited = gaps(faulty_page)
    assert all(low <= gap <= high for low, gap, high in zip(least, waited, most, strict=True)), (
        waited
    )
    if fault.retry_after and not fault.retry_after.isdigit():
        # An HTTP date: the retry came no earlier than that instant.
        retry_from = parsedate_to_datetime(fault.retry_after) - armed_at
        assert faulty_page[-1].received_at >= armed_at_monotonic + retry_from.total_seconds()
    assert load.stats.pages == PAGES[source]
    assert load.rows_written == load.stats.contacts_seen == len(sim.store.list_all())
    raw_contacts(source).assert_matches(sim, source)


# Every 5xx status and resets, on first, middle and last pages; each retried until it passes.
# (fault, the statuses its page is answered with: 0 is a reset connection)
SERVER_FAULTS = {
    "levcapital": [
        (Fault(kind="status", status=500, page=1, times=2), [500, 500, 200]),
        (Fault(kind="reset", page=2, times=1), [0, 200]),
    ],
    "sprintmode": [
        (Fault(kind="reset", page=1, times=1), [0, 200]),
        (Fault(kind="status", status=502, page=2, times=1), [502, 200]),
        (Fault(kind="status", status=503, page=3, times=1), [503, 200]),
    ],
}


def test_server_errors_and_resets_are_retried_and_the_load_is_complete(
    sims, source_args, duckdb_path, raw_contacts, fast_http
):
    sims["levcapital"].faults.add(Fault(kind="status", status=504, page=2, times=1))
    for source, faults in SERVER_FAULTS.items():
        for fault, _ in faults:
            sims[source].faults.add(fault)

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.stats.pages) for load in loads] == [(None, 2), (None, 3)]
    # The 504 comes first on LevCapital's page 2, then the reset.
    assert [r.status for r in list_requests(sims["levcapital"], "levcapital", 2)] == [504, 0, 200]
    assert [r.status for r in list_requests(sims["levcapital"], "levcapital", 1)] == [500, 500, 200]
    for fault, statuses in SERVER_FAULTS["sprintmode"]:
        assert [r.status for r in list_requests(sims["sprintmode"], "sprintmode", fault.page)] == (
            statuses
        )
    for load in loads:
        sim = sims[load.source]
        assert load.rows_written == len(sim.store.list_all())
        raw_contacts(load.source).assert_matches(sim, load.source)


def test_a_response_slower_than_the_timeout_is_retried(sims, duckdb_path, fast_http, monkeypatch):
    monkeypatch.setenv("SOURCES__HTTP__TIMEOUT", "0.3")
    sim = sims["sprintmode"]
    sim.faults.add(Fault(kind="delay", seconds=1.0, page=2, times=2))

    load = load_source("sprintmode", duckdb_path, base_url=sim.base_url, api_key=sim.api_key)

    assert (load.error, load.rows_written) == (None, 300)
    # The simulator logs a delayed request once it has answered it, after the client left.
    page_2 = wait_for_requests(sim, "sprintmode", page=2, count=3)
    arrivals = sorted(r.received_at for r in page_2)
    waited = [b - a for a, b in itertools.pairwise(arrivals)]
    # Each attempt gave up after the 0.3 s timeout instead of waiting 1 s for the answer.
    assert all(0.3 <= gap < 0.9 for gap in waited), waited


def wait_for_requests(sim, source: str, page: int | None, count: int) -> list:
    deadline = time.monotonic() + 5
    while len(found := list_requests(sim, source, page)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_backoff_is_exponential_with_jitter():
    """Without Retry-After, wait k lies in [f·2^(k-1)/2, f·2^(k-1)], spread, and capped."""
    policy = HttpPolicy(backoff_factor=1.0, max_backoff=6.0)
    wait = wait_retry_after_or_backoff(policy)
    throttled = requests.Response()
    throttled.status_code = 429
    throttled.headers["Retry-After"] = "0"

    def waits(attempt: int) -> list[float]:
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = attempt
        state.set_result(throttled)
        return [wait(state) for _ in range(200)]

    random.seed(11)
    for attempt, low, high in ((1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (5, 3.0, 6.0)):
        drawn = waits(attempt)
        assert low <= min(drawn) and max(drawn) <= high
        # Jitter: 200 draws spread over the upper half rather than one value for everyone.
        assert len({round(value, 6) for value in drawn}) == 200
        assert max(drawn) - min(drawn) > (high - low) * 0.8


# --- retries are bounded -----------------------------------------------------------------------

# (source, fault, environment, requests made, the error after the source name)
BOUNDED = [
    pytest.param(
        "levcapital",
        Fault(kind="status", status=503, times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "3"},
        3,
        API_ERRORS["levcapital"][503],
        id="levcapital-503-forever-max-attempts",
    ),
    pytest.param(
        "sprintmode",
        Fault(kind="status", status=503, times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "3"},
        3,
        API_ERRORS["sprintmode"][503],
        id="sprintmode-503-forever-max-attempts",
    ),
    pytest.param(
        "sprintmode",
        Fault(kind="status", status=429, retry_after="0", times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "5"},
        5,
        API_ERRORS["sprintmode"][429],
        id="429-forever-max-attempts",
    ),
    pytest.param(
        "levcapital",
        Fault(kind="reset", times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "3"},
        3,
        r"cannot reach http://127\.0\.0\.1:\d+ \(connection reset by peer\)",
        id="reset-forever-max-attempts",
    ),
    pytest.param(
        "sprintmode",
        Fault(kind="delay", seconds=1.0, times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "2", "SOURCES__HTTP__TIMEOUT": "0.2"},
        2,
        r"timed out waiting for http://127\.0\.0\.1:\d+",
        id="timeout-forever-max-attempts",
    ),
    pytest.param(
        "levcapital",
        Fault(kind="status", status=429, retry_after="30", times=None),
        {"SOURCES__HTTP__MAX_TOTAL_WAIT": "5"},
        # Retry-After 30 s exceeds the 5 s budget: fail now rather than wait less than asked.
        1,
        API_ERRORS["levcapital"][429],
        id="retry-after-beyond-max-total-wait",
    ),
    pytest.param(
        "sprintmode",
        Fault(kind="status", status=500, times=None),
        {"SOURCES__HTTP__MAX_ATTEMPTS": "6", "SOURCES__SPRINTMODE__HTTP__MAX_ATTEMPTS": "2"},
        2,
        r"server error \(500: Internal Server Error\)",
        id="per-source-max-attempts-beats-global",
    ),
]


@pytest.mark.parametrize(("source", "fault", "env", "attempts", "error"), BOUNDED)
def test_retries_stop_at_their_bounds_with_the_cause(
    source, fault, env, attempts, error, sims, duckdb_path, fast_http, monkeypatch
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sim = sims[source]
    sim.faults.add(fault)

    started = time.monotonic()
    load = load_source(source, duckdb_path, base_url=sim.base_url, api_key=sim.api_key)

    assert re.fullmatch(error, load.error), load.error
    assert load.expected
    assert time.monotonic() - started < 5
    assert len(wait_for_requests(sim, source, None, attempts)) == attempts
    assert not pipeline_for(source, duckdb_path).has_pending_data


def test_max_attempts_and_backoff_come_from_config_toml(simulator_env, fast_http, sims, tmp_path):
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "config.toml").write_text(
        "[runtime]\ndlthub_telemetry = false\n\n"
        "[sources.http]\nmax_attempts = 3\nbackoff_factor = 0.01\nmax_backoff = 0.05\n\n"
        "[sources.sprintmode.http]\nmax_attempts = 2\n"
    )
    env = {k: v for k, v in simulator_env.items() if not k.startswith("SOURCES__HTTP__")}
    env["DLT_PROJECT_DIR"] = str(project)
    for sim in sims.values():
        sim.faults.add(Fault(kind="status", status=503, times=None))

    result = subprocess.run(
        [CONTACTS_ELT, "load", "--duckdb", str(tmp_path / "toml.duckdb")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert re.fullmatch("levcapital: " + API_ERRORS["levcapital"][503], lines[0])
    assert re.fullmatch("sprintmode: " + API_ERRORS["sprintmode"][503], lines[1])
    assert (len(sims["levcapital"].requests), len(sims["sprintmode"].requests)) == (3, 2)


# --- 4xx answers are not retried, and say what the API said ------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(400, id="400"),
        pytest.param(401, id="401"),
        pytest.param(403, id="403"),
        pytest.param(404, id="404"),
    ],
)
def test_client_errors_fail_at_once_with_the_apis_type_message_and_request_id(
    status, sims, source_args, duckdb_path, fast_http, query
):
    for sim in sims.values():
        sim.faults.add(Fault(kind="status", status=status, page=2, times=None))

    loads = load_sources(duckdb_path, source_args=source_args)

    for load in loads:
        assert re.fullmatch(API_ERRORS[load.source][status], load.error), load.error
        assert load.expected
        # One attempt at page 2, no retry (SprintMode asks for page 3 alongside).
        statuses = [r.status for r in list_requests(sims[load.source], load.source, 2)]
        assert statuses == [status]
    # The first page was read, but the failed listings wrote nothing.
    tables = "select count(*) from information_schema.tables where table_name = 'contacts'"
    assert query(tables) == [(0,)]


def test_a_wrong_key_fails_at_once_without_printing_it(sims, duckdb_path, fast_http):
    wrong = {
        name: {"base_url": sim.base_url, "api_key": "wrong-0xdead"} for name, sim in sims.items()
    }

    loads = load_sources(duckdb_path, source_args=wrong)

    for load in loads:
        assert re.fullmatch(API_ERRORS[load.source][401], load.error), load.error
        assert len(sims[load.source].requests) == 1
        assert "0xdead" not in load.summary_line()


# --- configuration errors fail before any request ----------------------------------------------


@pytest.mark.parametrize("source", [pytest.param("levcapital"), pytest.param("sprintmode")])
def test_a_missing_key_names_the_env_var_and_secrets_key_before_any_request(
    source, sims, duckdb_path, monkeypatch
):
    monkeypatch.delenv(f"SOURCES__{source.upper()}__API_KEY", raising=False)
    sim = sims[source]

    load = load_source(source, duckdb_path, base_url=sim.base_url)

    assert load.summary_line() == (
        f"{source}: missing configuration api_key: set SOURCES__{source.upper()}__API_KEY "
        f"or api_key under [sources.{source}] in .dlt/secrets.toml"
    )
    assert load.expected
    assert sim.requests == []


def test_an_unreadable_config_value_is_a_clear_error_before_any_request(
    sims, duckdb_path, monkeypatch
):
    monkeypatch.setenv("SOURCES__HTTP__MAX_ATTEMPTS", "six")
    sim = sims["levcapital"]

    load = load_source("levcapital", duckdb_path, base_url=sim.base_url, api_key=sim.api_key)

    assert load.summary_line() == (
        "levcapital: invalid configuration max_attempts: expected int; check the "
        "SOURCES__*__MAX_ATTEMPTS environment variables and .dlt/config.toml"
    )
    assert load.expected
    assert sim.requests == []


# --- bad bodies fail their source and leave its state where it was -----------------------------

# (fault on LevCapital's page 2, its error; fault on SprintMode's page 2, its error)
BAD_BODIES = [
    pytest.param(
        Fault(kind="malformed_json", page=2),
        "answer is not valid JSON",
        Fault(kind="malformed_json", page=2),
        "answer is not valid JSON",
        id="malformed-json",
    ),
    pytest.param(
        Fault(kind="body", body="<html><body>Bad gateway</body></html>", page=2),
        "answer is not valid JSON",
        Fault(kind="body", body={"ok": False, "error": "Workspace is being migrated"}, page=2),
        "Workspace is being migrated",
        id="html-page-and-ok-false-with-200",
    ),
    pytest.param(
        Fault(kind="body", body={"request_id": "req-7f3a", "pagination": {}}, page=2),
        "answer has no `data` [request_id req-7f3a]",
        Fault(kind="body", body={"ok": True}, page=2),
        "answer has no `data` object",
        id="no-data",
    ),
    pytest.param(
        Fault(kind="body", body={"request_id": "req-7f3b", "data": {"id": 1}}, page=2),
        "answer has no `data` list",
        Fault(kind="body", body={"ok": True, "data": {"total": 300, "hasMore": True}}, page=2),
        "answer has no `data.items` list",
        id="data-not-a-list-and-no-items",
    ),
]
CHANGED = {"levcapital": (78, 101), "sprintmode": ("ct_a1b2c3d4", "ct_5c4e2a10")}
GONE = {"levcapital": 22, "sprintmode": "ct_00000001"}


def source_states(duckdb_path: Path) -> dict[str, str]:
    return {
        name: json.dumps(pipeline_for(name, duckdb_path).state["sources"], default=str)
        for name in ("levcapital", "sprintmode")
    }


@pytest.mark.parametrize(
    ("levcapital_fault", "levcapital_error", "sprintmode_fault", "sprintmode_error"), BAD_BODIES
)
def test_a_bad_body_fails_its_source_and_leaves_its_state_where_it_was(
    levcapital_fault, levcapital_error, sprintmode_fault, sprintmode_error, sims, source_args,
    duckdb_path, query, raw_contacts, fast_http,
):  # fmt: skip
    load_sources(duckdb_path, source_args=source_args)
    states_before = source_states(duckdb_path)
    rows = "select id, _dlt_load_id from raw_{}.contacts order by id"
    rows_before = {name: query(rows.format(name)) for name in sims}
    for name, sim in sims.items():
        for contact_id in CHANGED[name]:
            sim.store.update(contact_id, {"title": "Chief Robustness Officer"})
        sim.store.delete(GONE[name])
    sims["levcapital"].faults.add(levcapital_fault)
    sims["sprintmode"].faults.add(sprintmode_fault)

    failed = load_sources(duckdb_path, source_args=source_args)

    assert [load.summary_line() for load in failed] == [
        f"levcapital: {levcapital_error}",
        f"sprintmode: {sprintmode_error}",
    ]
    assert all(load.expected for load in failed)
    assert {name: query(rows.format(name)) for name in sims} == rows_before
    assert [raw_contacts(name).deleted for name in sims] == [{}, {}]
    assert source_states(duckdb_path) == states_before
    assert [pipeline_for(name, duckdb_path).has_pending_data for name in sims] == [False, False]

    clean = load_sources(duckdb_path, source_args=source_args)
    again = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.rows_written, load.stats.marked_deleted) for load in clean] == [
        (None, 2, 1),
        (None, 2, 1),
    ]
    for name, sim in sims.items():
        raw_contacts(name).assert_matches(sim, name)
    assert [(load.error, load.rows_written, load.stats.marked_deleted) for load in again] == [
        (None, 0, 0),
        (None, 0, 0),
    ]


# --- schema drift --------------------------------------------------------------------------


def test_a_new_field_lands_as_a_new_raw_column(sims, source_args, duckdb_path, query):
    load_sources(duckdb_path, source_args=source_args)
    ids = {"levcapital": 78, "sprintmode": "ct_a1b2c3d4"}
    for name, contact_id in ids.items():
        # The stores accept only documented fields, so the API's new field goes in by hand;
        # the empty update stamps updated_at, as the API does when it starts sending it.
        sims[name].store._records[contact_id]["loyalty_tier"] = "gold"
        sims[name].store.update(contact_id, {})

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.rows_written) for load in loads] == [(None, 1), (None, 1)]
    for name, contact_id in ids.items():
        assert query(
            f"select id, loyalty_tier from raw_{name}.contacts where loyalty_tier is not null"
        ) == [(contact_id, "gold")]
        assert query(f"select count(*) from raw_{name}.contacts") == [
            (len(sims[name].store.list_all()),)
        ]


def test_a_field_whose_type_changes_does_not_break_the_run(sims, duckdb_path, query, source_args):
    load_sources(duckdb_path, source_args=source_args)
    levcapital, sprintmode = sims["levcapital"], sims["sprintmode"]
    levcapital.store._records[78]["zip"] = 10004  # was the string "10004"
    levcapital.store.update(78, {})
    sprintmode.store._records["ct_a1b2c3d4"]["engagement_score"] = "high"  # was an integer
    sprintmode.store._records["ct_a1b2c3d4"]["portal_access"] = True  # was 0 or 1
    sprintmode.store.update("ct_a1b2c3d4", {})

    loads = load_sources(duckdb_path, source_args=source_args)

    assert [(load.error, load.rows_written) for load in loads] == [(None, 1), (None, 1)]
    # dlt writes an integer into a text column as text, and what it cannot coerce into a
    # variant column beside the original one.
    assert query("select zip from raw_levcapital.contacts where id = 78") == [("10004",)]
    assert query(
        "select engagement_score, engagement_score__v_text, portal_access, portal_access__v_bool "
        "from raw_sprintmode.contacts where id = 'ct_a1b2c3d4'"
    ) == [(None, "high", None, True)]

    from pipelines.runs.transform import transform

    result = transform(duckdb_path)

    assert result.ok, result.summary_line()
    assert query(
        "select contact_key, zip, has_portal_access from analytics.contacts "
        "where contact_key in ('levcapital:78', 'sprintmode:ct_a1b2c3d4') order by 1"
    ) == [("levcapital:78", "10004", None), ("sprintmode:ct_a1b2c3d4", None, True)]
    assert query("select count(*) from analytics.contacts") == [
        (len(levcapital.store.list_all()) + len(sprintmode.store.list_all()),)
    ]


# --- secrets -------------------------------------------------------------------------------


def test_no_key_is_printed_logged_or_stored(contacts_elt_cli, sims, duckdb_path):
    # LevCapital fails after its first page, with the key in every request's headers;
    # SprintMode succeeds. --verbose adds dlt's logs and the traceback.
    sims["levcapital"].faults.add(Fault(kind="status", status=401, page=2, times=None))

    run = contacts_elt_cli("load", "--verbose")
    stdout, stderr = run.communicate(timeout=120)

    assert run.returncode == 1
    assert re.search(r"^levcapital: authentication failed \(401 ", stderr, re.MULTILINE)
    assert re.search(r"^sprintmode: 3 pages fetched", stdout, re.MULTILINE)
    keys = [sim.api_key for sim in sims.values()]
    assert [key for key in keys if key in stdout + stderr] == []
    assert [key for key in keys if found_in_working_dir(duckdb_path, key)] == []
    assert [key for key in keys if found_in_working_dir_parquet(duckdb_path, key)] == []
    assert [key for key in keys if found_in_tables(duckdb_path, key)] == []


def found_in_working_dir(duckdb_path: Path, key: str) -> list[str]:
    """The files of dlt's working dir that hold `key`, gzipped load files included."""
    found = []
    for path in pipelines_dir_for(duckdb_path).rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        if path.suffix == ".gz":
            content = gzip.decompress(content)
        if key.encode() in content:
            found.append(str(path))
    return found


def found_in_working_dir_parquet(duckdb_path: Path, key: str) -> list[str]:
    """The load files of dlt's working dir whose values hold `key` (parquet is compressed)."""
    found = []
    with duckdb.connect() as connection:
        for path in pipelines_dir_for(duckdb_path).rglob("*.parquet"):
            rows = connection.execute("select * from read_parquet(?)", [str(path)]).fetchall()
            if key in json.dumps(rows, default=str):
                found.append(str(path))
    return found


def found_in_tables(duckdb_path: Path, key: str) -> list[str]:
    """The tables of the DuckDB file whose values hold `key`, dlt's state decompressed."""
    found = []
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        names = {name for _, name in tables}
        assert names >= {"_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "pipeline_runs"}
        for schema, name in tables:
            rows = connection.execute(f'select * from "{schema}"."{name}"').fetchall()
            text = json.dumps(rows, default=str)
            if name == "_dlt_pipeline_state":
                columns = [column[0] for column in connection.description]
                states = [row[columns.index("state")] for row in rows]
                text += json.dumps([decompress_state(state) for state in states], default=str)
            if key in text:
                found.append(f"{schema}.{name}")
    return found

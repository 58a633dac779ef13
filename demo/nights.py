"""The demo: several nights of the pipeline against local API simulators, and `simulate`."""

import contextlib
import random
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb

from demo.simulators import (
    Clock,
    LevCapitalSimulator,
    SprintModeSimulator,
    labelled_simulators,
    labelled_truth,
)
from demo.simulators.clock import GENERATED_DATA_END
from demo.simulators.data import levcapital as levcapital_data
from demo.simulators.data import sprintmode as sprintmode_data
from demo.simulators.data.identities import LEVCAPITAL, PRESENCE_RATES, SPRINTMODE
from demo.simulators.data.people import PERSONAL_DOMAINS, email_address, names, pick
from demo.simulators.levcapital import CONTACT_TYPES as LEVCAPITAL_CONTACT_TYPES
from pipelines import logs
from pipelines.paths import DEMO_DUCKDB, dbt_target_dir_for, pipelines_dir_for
from pipelines.runs.nightly import run_nightly
from pipelines.settings import EXIT_FAILED, EXIT_OK, RAW_CONTACTS_TABLES
from pipelines.warehouse import DuckDBFile
from pipelines.warehouse.duckdb_publish import working_copy

DEMO_LEVCAPITAL_KEY = "demo-levcapital-key"
DEMO_SPRINTMODE_KEY = "demo-sprintmode-key"
# Between two nights, about this share of each API's listed contacts is updated, created and
# deleted (times a factor from 0.5 to 1.5 that varies by night), and at least one of each.
UPDATE_SHARE = 0.02
CREATE_SHARE = 0.005
DELETE_SHARE = 0.005
NIGHTLY_RUN_AT = time(2, 0)
# The day's changes are stamped this long before the night's run: during the working day.
CHANGES_BEFORE_RUN = timedelta(hours=12)
# In the main schema: a schema named `demo` would clash with a file named demo.duckdb.
CHANGES_TABLE = "demo_changes"
# Who is who: each contact the demo served and its hidden person, for scoring the people.
PEOPLE_TABLE = "demo_people"
# A person of the labelled population is in each API with these odds (in both, in one, or
# the other), so a population of n_contacts / MEAN_PRESENCE people lists about n_contacts
# per API.
MEAN_PRESENCE = (
    PRESENCE_RATES["both"] + (PRESENCE_RATES[LEVCAPITAL] + PRESENCE_RATES[SPRINTMODE]) / 2
)
SUMMARY_TABLES = (
    *RAW_CONTACTS_TABLES,
    "analytics.people",
    "analytics.contacts_history",
)
EXAMPLE_QUERY = (
    "select source_system, contact_type, count(*) as contacts from analytics.contacts "
    "group by all order by all"
)


class DemoRefused(Exception):
    """The demo would replace a database that a demo did not make."""


@dataclass
class DemoApis:
    """Both simulators, on one clock that the demo moves from night to night."""

    levcapital: LevCapitalSimulator
    sprintmode: SprintModeSimulator
    clock: Clock

    def simulator(self, source: str) -> LevCapitalSimulator | SprintModeSimulator:
        """The simulator of a source, by its name."""
        return {"levcapital": self.levcapital, "sprintmode": self.sprintmode}[source]

    @property
    def source_args(self) -> dict[str, dict[str, Any]]:
        """The source arguments that point the pipeline at the simulators."""
        return {
            "levcapital": {"base_url": self.levcapital.base_url, "api_key": DEMO_LEVCAPITAL_KEY},
            "sprintmode": {"base_url": self.sprintmode.base_url, "api_key": DEMO_SPRINTMODE_KEY},
        }


@dataclass
class ApiChanges:
    """What the demo changed in one API during the day before a night's run."""

    source: str
    updated: int = 0
    created: int = 0
    deleted: int = 0

    def describe(self) -> str:
        return (
            f"{self.source} {self.updated} updated, {self.created} created, {self.deleted} deleted"
        )


@dataclass
class Night:
    """One simulated night: the run's time and what changed in the APIs since the last one."""

    number: int
    nights: int
    as_of: datetime
    changes: list[ApiChanges] = field(default_factory=list)

    def heading(self) -> str:
        """The line the demo prints before the night's run."""
        what = "; ".join(c.describe() for c in self.changes) if self.changes else "first load"
        return f"night {self.number} of {self.nights}, {self.as_of:%Y-%m-%d %H:%M} UTC: {what}"


def demo_simulators(
    n_contacts: int, seed: int, port: int = 0, clock: Clock | None = None
) -> tuple[LevCapitalSimulator, SprintModeSimulator]:
    """Both simulators of the demo and `simulate`, not started: LevCapital on `port` and
    SprintMode on `port + 1` (free ports when 0).

    They serve a labelled population of about `n_contacts` contacts per API: people in one
    system or both, with typos, nicknames, personal and work emails and shared mailboxes,
    and the truth of who is who at GET /_sim/people, which the demo writes into its database
    (`demo_people`).
    """
    return labelled_simulators(
        seed,
        round(n_contacts / MEAN_PRESENCE),
        clock=clock,
        levcapital_options={"api_key": DEMO_LEVCAPITAL_KEY, "port": port},
        sprintmode_options={"api_key": DEMO_SPRINTMODE_KEY, "port": port + 1 if port else 0},
    )


@contextmanager
def running_simulators(n_contacts: int, seed: int) -> Iterator[DemoApis]:
    """Serves the demo's simulators on free loopback ports, sharing one clock."""
    clock = Clock()
    lev, sm = demo_simulators(n_contacts, seed, clock=clock)
    with lev, sm:
        yield DemoApis(levcapital=lev, sprintmode=sm, clock=clock)


def night_times(nights: int, now: datetime) -> list[datetime]:
    """One run a night at NIGHTLY_RUN_AT UTC, the last one the latest before `now`.

    The first night is never earlier than a day after the generated data ends, so every
    change the demo makes is newer than the generated data, as changes on a real API are.
    """
    last = datetime.combine(now.astimezone(UTC).date(), NIGHTLY_RUN_AT, tzinfo=UTC)
    if last > now:
        last -= timedelta(days=1)
    first = max(last - timedelta(days=nights - 1), GENERATED_DATA_END + timedelta(days=1))
    return [first + timedelta(days=number) for number in range(nights)]


def demo_nights(
    apis: DemoApis, nights: int, seed: int, now: datetime | None = None
) -> Iterator[Night]:
    """Yields each night before its run, after changing the APIs as a day of work would.

    Before every night but the first, the clock is set to the day before the run, and some
    contacts of each API are updated, created and deleted; which ones and how depends only
    on `seed` and the night, so the same arguments give the same history. During the run,
    the clock reads the night's time.
    """
    for number, as_of in enumerate(night_times(nights, now or datetime.now(UTC)), start=1):
        night = Night(number=number, nights=nights, as_of=as_of)
        if number > 1:
            apis.clock.freeze(as_of - CHANGES_BEFORE_RUN)
            rng = random.Random(f"contacts-elt demo:{seed}:night {number}")
            night.changes = [change_api(apis, day, rng) for day in API_DAYS]
        apis.clock.freeze(as_of)
        yield night


def _change_counts(rng: random.Random, listed: int) -> tuple[int, int, int]:
    factor = rng.uniform(0.5, 1.5)
    return tuple(  # type: ignore[return-value]
        max(1, round(listed * share * factor))
        for share in (UPDATE_SHARE, CREATE_SHARE, DELETE_SHARE)
    )


def _typo(email: str) -> str:
    """The address without its top-level domain, as a hurried typist leaves it."""
    local, _, domain = email.strip().partition("@")
    return f"{local}@{domain.split('.')[0]}"


@dataclass(frozen=True)
class ApiDay:
    """What a day of work does differently at one API (change_api does the rest)."""

    source: str
    titles: Sequence[str]
    # Besides titles, people move contacts to another of these values of this field.
    edited_field: str
    edited_values: Sequence[str]
    # Makes at most `n_creates` contacts and labels their people; given the API's contacts
    # as the day began, it returns how many it made.
    create: Callable[[DemoApis, random.Random, int, list[dict[str, Any]]], int]


def change_api(apis: DemoApis, day: ApiDay, rng: random.Random) -> ApiChanges:
    """A day at one API: new titles and another field, one mistyped email, new contacts, and
    some contacts deleted (LevCapital's delete disconnects them). What differs between the
    APIs is in `day`."""
    store = apis.simulator(day.source).store
    listed = store.list_all()
    n_updates, n_creates, n_deletes = _change_counts(rng, len(listed))
    picked = rng.sample(listed, min(len(listed), n_updates + n_deletes))
    updated, deleted = picked[:n_updates], picked[n_updates:]
    for position, contact in enumerate(updated):
        if position == 0 and contact["email"]:
            update = {"email": _typo(contact["email"])}
        elif rng.random() < 0.6:
            update = {"title": _another(rng, day.titles, contact["title"])}
        else:
            edited = day.edited_field
            update = {edited: _another(rng, day.edited_values, contact[edited])}
        store.update(contact["id"], update)
    for contact in deleted:
        store.delete(contact["id"])
    created = day.create(apis, rng, n_creates, listed)
    return ApiChanges(day.source, updated=len(updated), created=created, deleted=len(deleted))


def _another(rng: random.Random, values: Sequence[str], current: str | None) -> str:
    return pick(rng, [value for value in values if value != current])


def _sprintmode_people_connected(
    apis: DemoApis, rng: random.Random, n_creates: int, listed: list[dict[str, Any]]
) -> int:
    """LevCapital's new contacts: SprintMode people it did not know by email, connected, each
    with its SprintMode person."""
    lev, sm = apis.levcapital, apis.sprintmode
    known_emails = {(c["email"] or "").strip().lower() for c in listed}
    candidates = [
        c
        for c in sm.store.list_all()
        if c["email"] and c["email"].strip().lower() not in known_emails and c["first_name"]
    ]
    sm_people = sm.person_ids() or {}
    chosen = rng.sample(candidates, min(len(candidates), n_creates))
    for person in chosen:
        created = lev.store.create(
            {
                "contact_type": pick(rng, LEVCAPITAL_CONTACT_TYPES),
                "company_id": 1,
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "email": person["email"].strip().lower(),
                "title": pick(rng, levcapital_data.TITLES),
            }
        )
        # A new LevCapital contact is not connected, and only connected ones are listed.
        lev.store.set_connected(created["id"], True)
        # The SprintMode contact's person, now in LevCapital too.
        lev.label_contacts(
            {created["id"]: sm_people.get(person["id"], f"person:sm:{person['id']}")}
        )
    return len(chosen)


def _website_leads(
    apis: DemoApis, rng: random.Random, n_creates: int, listed: list[dict[str, Any]]
) -> int:
    """SprintMode's new contacts: leads from the website, each a new person."""
    sm = apis.sprintmode
    for _ in range(n_creates):
        first, last, first_slug, last_slug = names(rng)
        created = sm.store.create(
            {
                "first_name": first,
                "last_name": last,
                "email": email_address(rng, first_slug, last_slug, pick(rng, PERSONAL_DOMAINS)),
                "title": pick(rng, sprintmode_data.TITLES),
                "contact_type": "lead",
                "source": "website",
            }
        )
        sm.label_contacts({created["id"]: f"person:sm:{created['id']}"})
    return n_creates


# In this order: each night's changes draw from one random generator.
API_DAYS = (
    ApiDay(
        "levcapital",
        titles=levcapital_data.TITLES,
        edited_field="department",
        edited_values=levcapital_data.DEPARTMENTS,
        create=_sprintmode_people_connected,
    ),
    ApiDay(
        "sprintmode",
        titles=sprintmode_data.TITLES,
        edited_field="contact_type",
        # Its contact types are a weighted pool: each type once, in a fixed order.
        edited_values=tuple(sorted(set(sprintmode_data.CONTACT_TYPES))),
        create=_website_leads,
    ),
)


def start_fresh(duckdb_path: Path) -> None:
    """Deletes the previous demo's database and dlt's working state for it.

    Each demo starts empty, so that its history holds exactly its own nights. It only ever
    deletes the default demo database or one that a demo made (it has a `demo_changes` table).

    Raises:
        DemoRefused: the file exists and a demo did not make it.
    """
    if duckdb_path.exists() and duckdb_path != DEMO_DUCKDB and not is_demo_database(duckdb_path):
        raise DemoRefused(
            f"{duckdb_path} exists and is not a demo database; the demo starts from an empty "
            "database, so give it a new --duckdb path"
        )
    duckdb_path.unlink(missing_ok=True)
    duckdb_path.with_name(duckdb_path.name + ".wal").unlink(missing_ok=True)
    working = pipelines_dir_for(duckdb_path)
    if working.is_dir():
        for child in working.iterdir():
            # The run lock is held by this very run, and dbt's parse of the project is no
            # state of the data; the pipelines' state must go.
            if child.name in ("run.lock", dbt_target_dir_for(duckdb_path).name):
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


def is_demo_database(duckdb_path: Path) -> bool:
    """Whether a demo made this DuckDB file."""
    try:
        with duckdb.connect(str(duckdb_path), read_only=True) as connection:
            (found,) = connection.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'main' and table_name = ?",
                [CHANGES_TABLE],
            ).fetchone()
    except duckdb.Error:
        return False
    return found > 0


def record_night(duckdb_path: Path, night: Night) -> None:
    """Writes what the demo changed before this night into `demo_changes`, for checking the
    history against it; its presence also marks the file as a demo database."""
    rows = [
        (night.number, night.as_of, c.source, c.updated, c.created, c.deleted)
        for c in night.changes or [ApiChanges(day.source) for day in API_DAYS]
    ]
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(
            f"create table if not exists {CHANGES_TABLE} (night integer, as_of timestamptz, "
            "source_system varchar, updated integer, created integer, deleted integer)"
        )
        connection.executemany(f"insert into {CHANGES_TABLE} values (?, ?, ?, ?, ?, ?)", rows)


def record_people(duckdb_path: Path, apis: DemoApis) -> None:
    """Writes who is who into `demo_people`: each contact the APIs served, deleted ones
    too, with its hidden person, so that the people can be scored (notebooks/)."""
    people = labelled_truth(apis.levcapital, apis.sprintmode)
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(
            f"create or replace table {PEOPLE_TABLE} as"
            " select unnest(?::varchar[]) as contact_key, unnest(?::varchar[]) as person_id",
            [list(people), list(people.values())],
        )


def demo_table_counts(duckdb_path: Path) -> dict[str, int]:
    """The rows of the tables the demo's summary shows."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in SUMMARY_TABLES
        }


def demo_summary_lines(duckdb_path: Path, counts: dict[str, int]) -> list[str]:
    """Where the data is, how much of it, and what to try next."""
    return [
        *(f"{table}: {count:,} rows" for table, count in counts.items()),
        f"Database: {duckdb_path}",
        "Try:",
        # Named, since `make sql` would pick the real database over the demo's when there is one.
        f"  make sql CONTACTS_DUCKDB={duckdb_path}",
        f"    opens a read-only SQL shell, where you can run: {EXAMPLE_QUERY}",
        f"  .venv/bin/contacts-elt status --duckdb {duckdb_path}",
        "  make notebook",
    ]


def serve_simulators(port: int, n_contacts: int, seed: int) -> int:
    """Serves both simulators in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    lev, sm = demo_simulators(n_contacts, seed, port=port)
    with lev, sm:
        print(f"LevCapital: {lev.base_url}  (Bearer {DEMO_LEVCAPITAL_KEY})")
        print(f"SprintMode: {sm.base_url}  (X-SM-Key {DEMO_SPRINTMODE_KEY})")
        print("Point the pipeline at them with:")
        print(f"  export SOURCES__LEVCAPITAL__BASE_URL={lev.base_url}")
        print(f"  export SOURCES__LEVCAPITAL__API_KEY={DEMO_LEVCAPITAL_KEY}")
        print(f"  export SOURCES__SPRINTMODE__BASE_URL={sm.base_url}")
        print(f"  export SOURCES__SPRINTMODE__API_KEY={DEMO_SPRINTMODE_KEY}")
        print(
            "Faults and state: curl -s <base_url>/_sim/state; who is who: <base_url>/_sim/people."
            " Ctrl-C stops.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    print("stopped", file=sys.stderr)
    return 0


def run_demo(duckdb_path: Path, n_contacts: int, seed: int, nights: int, verbose: bool) -> int:
    """`contacts-elt demo`: a fresh database, then `nights` nightly runs against simulators.

    The nights write a working copy, published once at the end as a nightly run's is, so a
    notebook that has the previous demo's database open keeps reading it meanwhile.

    Returns:
        The exit code: that of the first night that did not succeed, else 0.
    """
    try:
        start_fresh(duckdb_path)
    except DemoRefused as refused:
        logs.emit("demo_refused", f"demo: {refused}", level="error")
        return EXIT_FAILED
    with (
        running_simulators(n_contacts=n_contacts, seed=seed) as apis,
        working_copy(duckdb_path) as working,
    ):
        target = DuckDBFile(duckdb_path, write_path=working)
        for night in demo_nights(apis, nights, seed=seed):
            logs.emit(
                "demo_night",
                night.heading(),
                night=night.number,
                nights=night.nights,
                as_of=night.as_of.isoformat(),
                changes=[vars(changes) for changes in night.changes],
            )
            exit_code = run_nightly(target, verbose, apis.source_args, night.as_of)
            if exit_code != EXIT_OK:
                return exit_code
            record_night(target.file, night)
            record_people(target.file, apis)
    counts = demo_table_counts(duckdb_path)
    if logs.is_json():
        logs.emit("demo_finished", f"demo: {duckdb_path}", database=str(duckdb_path), rows=counts)
    else:
        print("\n".join(demo_summary_lines(duckdb_path, counts)))
    return EXIT_OK

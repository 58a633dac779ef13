"""The benchmark's contacts: US Census name frequencies, heavy-tailed employers, both APIs' shapes.

The demo simulators draw names uniformly from a few hundred, so at a million contacts every
surname is as common as every other and blocking never meets a big block. Here first names
and surnames are drawn with the 1990 US Census frequencies that the `names` package ships
(88,799 surnames, 5,494 first names), with 2% of people named from the simulators'
international pools. Employers follow a Zipf law: a few have thousands of contacts, many have
one or two, and each writes every address one way (first.last@, flast@...); some people give a
personal address instead. Nobody gets somebody else's address (the second J. Smith at a firm
is jsmith2@) or LinkedIn profile.

The items are both APIs' documented list items as the demo simulators serve them: LevCapital's
17 fields with ISO timestamps, connected contacts only, ids ascending with gaps; SprintMode's 29
fields with SQL-style timestamps, newest first. About 15% of SprintMode's contacts are
LevCapital people written differently (the same names and profile, the email in another case
or padded), as in the simulators. Each item is the JSON text that `json.dumps(item,
ensure_ascii=False)` writes, built from pre-encoded parts, so that a million contacts per API
take seconds rather than minutes. The same seed gives the same bytes.

    python bench/census_people.py --contacts 1000000 [--seed 42]

prints how long generating took and how the names and employers came out.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from demo.simulators.data import levcapital as simulated_levcapital
from demo.simulators.data import sprintmode as simulated_sprintmode
from demo.simulators.data.people import (
    DATA_END,
    DATA_START,
    FIRST_NAMES,
    LAST_NAMES,
    ascii_slug,
    messy_email,
    restyled_email,
)

LEVCAPITAL = "levcapital"
SPRINTMODE = "sprintmode"
SHARED_FRACTION = 0.15
# People named from the simulators' international pools rather than the Census tables, so
# that diacritics and apostrophes reach the pipeline at scale too.
INTERNATIONAL_SHARE = 0.02
# Past these ranks the Census files round frequencies to 0.001% (69,960 surnames to 0.000%):
# the mass there comes from the cumulative column, spread evenly over blocks of ranks.
EXACT_RANKS = 1000
TAIL_BLOCK = 250
# One employer per this many contacts per API, sized by 1 / (rank + offset)^exponent: about
# 0.7% of contacts work at the largest, and a quarter of employers have one or two.
CONTACTS_PER_COMPANY = 10
MIN_COMPANIES = 300
ZIPF_OFFSET = 20
ZIPF_EXPONENT = 1.05
# How often firms choose each way of writing their addresses.
EMAIL_CONVENTIONS = {
    "first.last": 0.42,
    "flast": 0.30,
    "firstlast": 0.08,
    "f.last": 0.07,
    "first": 0.06,
    "first_last": 0.04,
    "last.first": 0.03,
}
PERSONAL_DOMAINS = {
    "gmail.com": 0.50,
    "yahoo.com": 0.15,
    "outlook.com": 0.10,
    "hotmail.com": 0.08,
    "icloud.com": 0.08,
    "aol.com": 0.05,
    "proton.me": 0.04,
}
COMPANY_STEMS = (
    "Meridian", "Harborview", "Granite Peak", "Blue Heron", "Summit Bridge", "Atlas", "Keystone",
    "Pacific Crest", "Lakeshore", "Ironwood", "Northbridge", "Eastgate", "Silverline", "Redwood",
    "Bluewater", "Crescent", "Beacon", "Pinnacle", "Riverbend", "Oakmont", "Stonebridge",
    "Highland", "Bayside", "Falcon", "Horizon", "Evergreen", "Sterling", "Cobalt", "Vertex",
    "Aurora", "Polaris", "Sequoia", "Juniper", "Westbrook", "Ashford", "Hawthorne", "Greystone",
)  # fmt: skip
COMPANY_KINDS = (
    "Capital", "Partners", "Lending", "Realty", "Advisors", "Holdings", "Group", "Investments",
    "Equity", "Ventures", "Labs", "Software", "Logistics", "Health", "Properties", "Finance",
    "Systems", "Analytics", "Consulting", "Bank", "Insurance", "Development", "Mortgage",
    "Credit", "Trust", "Technologies", "Media", "Foods", "Energy", "Construction",
)  # fmt: skip
LEGAL_SUFFIXES = ("", "", "", "LLC", "Inc.", "Corp.", "LLP")
TLDS = (".com",) * 17 + (".io", ".co", ".net")
# (city, state, zip prefix, area code)
CITIES = (
    ("New York", "NY", "100", "212"), ("Chicago", "IL", "606", "312"),
    ("Los Angeles", "CA", "900", "213"), ("San Francisco", "CA", "941", "415"),
    ("Dallas", "TX", "752", "214"), ("Houston", "TX", "770", "713"), ("Miami", "FL", "331", "305"),
    ("Atlanta", "GA", "303", "404"), ("Boston", "MA", "021", "617"), ("Denver", "CO", "802", "303"),
    ("Seattle", "WA", "981", "206"), ("Charlotte", "NC", "282", "704"),
    ("Phoenix", "AZ", "850", "602"), ("Nashville", "TN", "372", "615"),
    ("Austin", "TX", "787", "512"), ("Minneapolis", "MN", "554", "612"),
    ("Washington", "DC", "200", "202"), ("Philadelphia", "PA", "191", "215"),
    ("San Diego", "CA", "921", "619"), ("Detroit", "MI", "482", "313"),
    ("Portland", "OR", "972", "503"), ("Columbus", "OH", "432", "614"),
    ("Salt Lake City", "UT", "841", "801"), ("Kansas City", "MO", "641", "816"),
)  # fmt: skip
STREETS = (
    "Park Avenue", "Madison Avenue", "Main Street", "Market Street", "Peachtree Street NE",
    "Wacker Drive", "Congress Avenue", "Broadway", "Fifth Avenue", "Lexington Ave.",
    "Avenue of the Americas", "Brickell Ave", "California St", "Commerce Street", "Elm Street",
)  # fmt: skip
LINKEDIN_FORMS = (
    "https://linkedin.com/in/{}",
    "https://www.linkedin.com/in/{}/",
    "http://www.linkedin.com/in/{}",
    "linkedin.com/in/{}",
    "www.linkedin.com/in/{}/",
    "https://www.linkedin.com/in/{}",
    "https://www.linkedin.com/in/{}?utm_source=share&utm_medium=member_desktop",
)
# A night's changes are made during the day before it, from 09:00 on, a second apart.
_DAY = 86_400
_WORKDAY_START = 9 * 3600
NULL = "null"
_NO_OFFICE = (NULL, NULL, NULL, NULL)


def json_text(value: Any) -> str:
    """The JSON of one value, as the simulators (and `json.dumps(ensure_ascii=False)`) write it."""
    return json.dumps(value, ensure_ascii=False)


def quoted(text: str) -> str:
    # Addresses, profile URLs and full names are made of slugs, digits and names, none of
    # which holds a quote, a backslash or a control character: quoting is their JSON.
    return f'"{text}"'


def either(pool: Sequence[str], roll: float, present: float) -> str:
    """A pool's JSON text at `present` odds, else null; `roll` is uniform on [0, 1).

    Below `present`, `roll / present` is uniform too, so one roll picks both.
    """
    return pool[int(roll / present * len(pool))] if roll < present else NULL


# Names


@dataclass(frozen=True)
class NameTable:
    """Names with their probabilities, to draw many at once.

    Attributes:
        names: As a CRM holds them ("Smith", "McDonald").
        slugs: Lower-case ASCII, as email addresses and LinkedIn profiles spell them.
        json: Each name's JSON text.
        cumulative: Cumulative probabilities, ending at 1.
    """

    names: tuple[str, ...]
    slugs: tuple[str, ...]
    json: tuple[str, ...]
    cumulative: np.ndarray

    @classmethod
    def from_weights(cls, weights: dict[str, float]) -> NameTable:
        names = tuple(weights)
        return cls(
            names,
            tuple(ascii_slug(name) for name in names),
            tuple(json_text(name) for name in names),
            cumulative_probabilities(list(weights.values())),
        )

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Indices of `size` names drawn by their probabilities."""
        return np.searchsorted(self.cumulative, rng.random(size), side="right")

    def share(self, index: int) -> float:
        """The probability of drawing name `index`."""
        return float(self.cumulative[index] - (self.cumulative[index - 1] if index else 0.0))


def cumulative_probabilities(weights: Sequence[float]) -> np.ndarray:
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    cumulative /= cumulative[-1]
    # Exactly 1, so that searchsorted never runs past the last name.
    cumulative[-1] = 1.0
    return cumulative


def display_name(census_name: str) -> str:
    """A Census name ("MCDONALD") as people write it ("McDonald")."""
    if census_name.startswith("MC") and len(census_name) > 3:
        return "Mc" + census_name[2:].capitalize()
    return census_name.capitalize()


def census_weights(file_name: str) -> dict[str, float]:
    """One of the `names` package's frequency files: name -> percent of people.

    Each line holds a name, its percentage rounded to 0.001, the cumulative percentage and the
    rank. Past `EXACT_RANKS`, each block of `TAIL_BLOCK` ranks shares the cumulative column's
    growth over the block evenly, which keeps the mass that the rounding lost.
    """
    with resources.files("names").joinpath(file_name).open() as lines:
        rows = [line.split() for line in lines]
    percents = [float(row[1]) for row in rows]
    cumulative = [float(row[2]) for row in rows]
    for start in range(EXACT_RANKS, len(rows), TAIL_BLOCK):
        end = min(start + TAIL_BLOCK, len(rows))
        each = (cumulative[end - 1] - cumulative[start - 1]) / (end - start)
        percents[start:end] = [each] * (end - start)
    weights: dict[str, float] = {}
    for row, percent in zip(rows, percents, strict=True):
        name = display_name(row[0])
        weights[name] = weights.get(name, 0.0) + percent
    return weights


def with_international(weights: dict[str, float], pool: Sequence[str]) -> dict[str, float]:
    """`weights`, with the names of `pool` drawn `INTERNATIONAL_SHARE` of the time."""
    each = sum(weights.values()) * INTERNATIONAL_SHARE / (1 - INTERNATIONAL_SHARE) / len(pool)
    merged = dict(weights)
    for name in pool:
        merged[name] = merged.get(name, 0.0) + each
    return merged


def surname_table() -> NameTable:
    return NameTable.from_weights(with_international(census_weights("dist.all.last"), LAST_NAMES))


def first_name_table() -> NameTable:
    """Men's and women's first names, each half of the people."""
    weights: dict[str, float] = {}
    for file_name in ("dist.male.first", "dist.female.first"):
        table = census_weights(file_name)
        total = sum(table.values())
        for name, percent in table.items():
            weights[name] = weights.get(name, 0.0) + 0.5 * percent / total
    return NameTable.from_weights(with_international(weights, FIRST_NAMES))


# Employers


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    convention: str
    sprintmode_id: str
    address: str
    city: str
    state: str
    zip_code: str
    area_code: str


def generate_companies(seed: int, count: int, surnames: NameTable) -> list[Company]:
    """`count` firms with distinct domains and ids, named after people or places."""
    rng = random.Random(f"census-companies:{seed}")
    rand = rng.random

    def pick(pool: Sequence[Any]) -> Any:
        return pool[int(rand() * len(pool))]

    # Firms are named after people with the commoner surnames.
    founders = surnames.names[:20_000]
    conventions, convention_weights = tuple(EMAIL_CONVENTIONS), tuple(EMAIL_CONVENTIONS.values())
    companies: list[Company] = []
    domains: set[str] = set()
    ids: set[str] = set()
    while len(companies) < count:
        roll, kind = rand(), pick(COMPANY_KINDS)
        if roll < 0.55:
            stem = pick(founders)
            name = f"{stem} {kind}"
        elif roll < 0.70:
            first, second = pick(founders), pick(founders)
            stem, name = first + second, f"{first} & {second}"
        else:
            stem = pick(COMPANY_STEMS)
            name = f"{stem} {kind}"
        domain = ascii_slug(stem if rand() < 0.5 else name) + pick(TLDS)
        if domain in domains:
            continue
        domains.add(domain)
        company_id = f"co_{rng.getrandbits(30):08x}"
        while company_id in ids:
            company_id = f"co_{rng.getrandbits(30):08x}"
        ids.add(company_id)
        city, state, zip_prefix, area_code = pick(CITIES)
        suite = f", Suite {100 * (1 + int(rand() * 40))}" if rand() < 0.25 else ""
        companies.append(
            Company(
                name=f"{name} {pick(LEGAL_SUFFIXES)}".strip(),
                domain=domain,
                convention=rng.choices(conventions, convention_weights)[0],
                sprintmode_id=company_id,
                address=f"{1 + int(rand() * 1500)} {pick(STREETS)}{suite}",
                city=city,
                state=state,
                zip_code=f"{zip_prefix}{int(rand() * 100):02d}",
                area_code=area_code,
            )
        )
    return companies


def company_sizes(count: int) -> np.ndarray:
    """Cumulative probabilities of working at each of `count` firms, the first the largest."""
    ranks = np.arange(1, count + 1, dtype=np.float64)
    return cumulative_probabilities((ranks + ZIPF_OFFSET) ** -ZIPF_EXPONENT)


# Addresses, profiles, phones and timestamps


def work_local(convention: str, first: str, last: str) -> str:
    """The local part of a work address in a firm's convention (EMAIL_CONVENTIONS)."""
    if not first or not last:
        return first or last or "contact"
    if convention == "first.last":
        return f"{first}.{last}"
    if convention == "flast":
        return f"{first[0]}{last}"
    if convention == "firstlast":
        return f"{first}{last}"
    if convention == "f.last":
        return f"{first[0]}.{last}"
    if convention == "first":
        return first
    if convention == "first_last":
        return f"{first}_{last}"
    return f"{last}.{first}"


def personal_local(roll: float, number: int, first: str, last: str) -> str:
    """How people name their own mailbox; `number` (10-9999) is what some add to it."""
    if not first or not last:
        return f"{first or last or 'member'}{number}"
    if roll < 0.25:
        return f"{first}.{last}"
    if roll < 0.40:
        return f"{first}{last}"
    if roll < 0.65:
        return f"{first}.{last}{number % 100}"
    if roll < 0.80:
        return f"{first[0]}{last}{number % 100}"
    if roll < 0.90:
        return f"{first}_{last}"
    if roll < 0.95:
        return f"{last}.{first}"
    return f"{first}{number}"


class Registry:
    """The addresses and LinkedIn profiles handed out, so that nobody gets somebody else's."""

    def __init__(self) -> None:
        self.emails: set[str] = set()
        self.profiles: set[str] = set()

    def email(self, local: str, domain: str) -> str:
        """`local@domain`, or `local2@domain`, `local3@`... when that one is taken."""
        address, number = f"{local}@{domain}", 1
        while address in self.emails:
            number += 1
            address = f"{local}{number}@{domain}"
        self.emails.add(address)
        return address

    def profile(self, wanted: str, fallback: str) -> str:
        """`wanted` if free, else `fallback`, which carries a random part."""
        if wanted in self.profiles:
            return fallback
        self.profiles.add(wanted)
        return wanted


def phone(area_code: str, exchange: int, line: int, style: float) -> str:
    """A North American number's JSON text, written one of the ways people write it."""
    if style < 0.25:
        return f'"+1{area_code}{exchange}{line:04d}"'
    if style < 0.50:
        return f'"({area_code}) {exchange}-{line:04d}"'
    if style < 0.60:
        return f'"{area_code}.{exchange}.{line:04d}"'
    if style < 0.75:
        return f'"{area_code}-{exchange}-{line:04d}"'
    if style < 0.92:
        return f'"+1 {area_code}-{exchange}-{line:04d}"'
    return f'"1-{area_code}-{exchange}-{line:04d}"'


def timestamp_texts(epochs: np.ndarray, separator: str, suffix: str) -> list[str]:
    """Epoch seconds as JSON text ("2025-01-21T22:19:34Z", or SQL style); negative is null."""
    texts = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s").tolist()
    nulls = (epochs < 0).tolist()
    return [
        NULL if null else f'"{text[:10]}{separator}{text[11:]}{suffix}"'
        for text, null in zip(texts, nulls, strict=True)
    ]


def updated_after(rng: np.random.Generator, created: np.ndarray) -> np.ndarray:
    """updated_at for each created_at: a quarter never updated, the rest since, up to DATA_END."""
    later = created + (rng.random(len(created)) * (DATA_END - created)).astype(np.int64)
    return np.where(rng.random(len(created)) < 0.25, created, later)


@dataclass(frozen=True)
class SprintModeProfile:
    """Pre-encoded fields that identify nobody, shared among contacts as the simulators do."""

    role: str
    # From contact_type to engagement_score; from enrichment_status to enrichment_data; from
    # tags to portal_role: each a run of `"key": value` pairs.
    middle: str
    enrichment: str
    tail: str
    engaged: bool
    imported: bool


def sprintmode_profiles(seed: int, count: int = 2048) -> list[SprintModeProfile]:
    rng = random.Random(f"census-sprintmode-profiles:{seed}")
    rand = rng.random
    sm = simulated_sprintmode

    def pick(pool: Sequence[Any]) -> Any:
        return pool[int(rand() * len(pool))]

    def pairs(fields: dict[str, Any]) -> str:
        return json_text(fields)[1:-1]

    profiles = []
    for _ in range(count):
        enrichment_status = pick(sm.ENRICHMENT_STATUSES) if rand() >= 0.2 else None
        enrichment_data = None
        if enrichment_status == "enriched":
            enrichment_data = {
                "company_size": pick(sm.COMPANY_SIZES),
                "industry": pick(sm.INDUSTRIES),
            }
        portal_access = 1 if rand() < 0.12 else 0
        portal_role = None
        if portal_access or rand() < 0.02:
            portal_role = "client_admin" if rand() < 0.4 else "client_viewer"
        score = int(rand() * 101) if rand() >= 0.25 else None
        source = pick(sm.SOURCES)
        roll = rand()
        tags = None if roll < 0.3 else "" if roll < 0.4 else f"{pick(sm.TAGS)},{pick(sm.TAGS)}"
        middle = {
            "contact_type": pick(sm.CONTACT_TYPES),
            "source": source,
            "pipeline_stage": pick(sm.PIPELINE_STAGES) if rand() >= 0.15 else None,
            "funnel_stage": pick(sm.FUNNEL_STAGES) if rand() >= 0.2 else None,
            "engagement_score": score,
        }
        tail = {
            "tags": tags,
            "notes": pick(sm.NOTES) if rand() < 0.3 else None,
            "portal_access": portal_access,
            "portal_role": portal_role,
        }
        profiles.append(
            SprintModeProfile(
                role=json_text(pick(sm.ROLES) if rand() >= 0.3 else None),
                middle=pairs(middle),
                enrichment=pairs(
                    {"enrichment_status": enrichment_status, "enrichment_data": enrichment_data}
                ),
                tail=pairs(tail),
                engaged=score is not None,
                imported=source == "import",
            )
        )
    return profiles


# The people


@dataclass(frozen=True)
class SharedPerson:
    """A LevCapital person whom SprintMode has too."""

    first: int
    last: int
    email: str
    linkedin_url: str | None
    company: int


@dataclass
class Listing:
    """One API's listing: ids and items (UTF-8 JSON), in the order the API lists them."""

    api: str
    ids: list[Any]
    items: list[bytes]
    # The first-name, surname and employer index of each item, for the statistics.
    first_names: np.ndarray
    surnames: np.ndarray
    companies: np.ndarray


@dataclass
class People:
    """Identities for `count` contacts: names, employers, addresses and LinkedIn profiles.

    Addresses are plain (lower case, unpadded); a contact writes them as people type them.
    """

    first: np.ndarray
    last: np.ndarray
    company: np.ndarray
    emails: list[str]
    linkedin_urls: list[str | None]


class CensusPeople:
    """Both APIs' contacts for one seed and size, drawn as the module docstring says.

    `listings()` yields LevCapital's listing, then SprintMode's; the caller can let the first go
    before the second is built. A night's changes come from `created` and `changed`.
    """

    def __init__(self, seed: int, n_per_api: int) -> None:
        self.seed = seed
        self.n_per_api = n_per_api
        self.surnames = surname_table()
        self.first_names = first_name_table()
        n_companies = max(MIN_COMPANIES, n_per_api // CONTACTS_PER_COMPANY)
        self.companies = generate_companies(seed, n_companies, self.surnames)
        self.company_cumulative = company_sizes(n_companies)
        self.registry = Registry()
        self._personal_domains = tuple(PERSONAL_DOMAINS)
        self._personal_cumulative = cumulative_probabilities(list(PERSONAL_DOMAINS.values()))
        self._profiles = sprintmode_profiles(seed)
        self._lev_titles = [json_text(title) for title in simulated_levcapital.TITLES]
        self._lev_departments = [json_text(name) for name in simulated_levcapital.DEPARTMENTS]
        self._sm_titles = [json_text(title) for title in simulated_sprintmode.TITLES]
        self._sm_departments = [json_text(name) for name in simulated_sprintmode.DEPARTMENTS]
        self._company_names = [json_text(company.name) for company in self.companies]
        self._offices = [
            tuple(json_text(part) for part in (c.address, c.city, c.state, c.zip_code))
            for c in self.companies
        ]
        self._shared: list[SharedPerson] = []
        self._next_levcapital_id = 1
        self._sprintmode_ids: set[int] = set()
        # For messy_email and restyled_email, which take a random.Random.
        self._typing = random.Random(f"census-typing:{seed}")

    def listings(self) -> Iterator[Listing]:
        """LevCapital's listing, then SprintMode's, which takes its shared people from it."""
        yield self._levcapital_listing()
        yield self._sprintmode_listing()

    def people(
        self, rng: np.random.Generator, count: int, personal: float, linkedin: float
    ) -> People:
        """`count` new people; `personal` and `linkedin` are the odds of a personal address
        and of a LinkedIn profile."""
        first = self.first_names.draw(rng, count)
        last = self.surnames.draw(rng, count)
        company = np.searchsorted(self.company_cumulative, rng.random(count), side="right")
        is_personal = (rng.random(count) < personal).tolist()
        personal_domain = np.searchsorted(
            self._personal_cumulative, rng.random(count), side="right"
        )
        styles = rng.random(count).tolist()
        numbers = rng.integers(10, 10_000, count).tolist()
        profile_rolls = rng.random(count).tolist()
        forms = rng.integers(0, len(LINKEDIN_FORMS), count).tolist()
        profile_hexes = rng.integers(0, 1 << 32, count).tolist()
        first_slugs, last_slugs = self.first_names.slugs, self.surnames.slugs
        companies, domains = self.companies, self._personal_domains
        claim_email, claim_profile = self.registry.email, self.registry.profile
        emails: list[str] = []
        linkedin_urls: list[str | None] = []
        rows = zip(
            first.tolist(), last.tolist(), company.tolist(), personal_domain.tolist(), strict=True
        )
        for i, (given, family, firm, domain) in enumerate(rows):
            first_slug, last_slug = first_slugs[given], last_slugs[family]
            if is_personal[i]:
                local = personal_local(styles[i], numbers[i], first_slug, last_slug)
                emails.append(claim_email(local, domains[domain]))
            else:
                employer = companies[firm]
                local = work_local(employer.convention, first_slug, last_slug)
                emails.append(claim_email(local, employer.domain))
            if profile_rolls[i] >= linkedin:
                linkedin_urls.append(None)
                continue
            plain = f"{first_slug}-{last_slug}".strip("-") or "member"
            unique = f"{plain}-{profile_hexes[i]:08x}"
            # Four in ten have the plain profile name, when nobody took it before them.
            slug = claim_profile(plain, unique) if profile_rolls[i] < 0.4 * linkedin else unique
            linkedin_urls.append(LINKEDIN_FORMS[forms[i]].format(slug))
        return People(first, last, company, emails, linkedin_urls)

    # LevCapital

    def _levcapital_listing(self) -> Listing:
        rng = np.random.default_rng([self.seed, 1])
        n = self.n_per_api
        # Ids ascend with creation, as the API's do; a few are skipped, as after deletes.
        ids = np.cumsum(np.where(rng.random(n) < 0.03, 2 + rng.integers(0, 3, n), 1))
        created = np.sort(rng.integers(DATA_START, DATA_END, n))
        # Only connected contacts are listed; the rest are never served.
        connected = rng.random(n) >= 0.05
        ids, created = ids[connected], created[connected]
        self._next_levcapital_id = int(ids[-1]) + 1 if len(ids) else 1
        return self._levcapital_items(rng, ids, created, updated_after(rng, created), share=True)

    def _levcapital_items(
        self,
        rng: np.random.Generator,
        ids: np.ndarray,
        created: np.ndarray,
        updated: np.ndarray,
        share: bool = False,
    ) -> Listing:
        count = len(ids)
        people = self.people(rng, count, personal=0.12, linkedin=0.85)
        # A few never stamped: updated_at null, and half of those created_at too.
        unstamped = rng.random(count) < 0.02
        created = np.where(unstamped & (rng.random(count) < 0.5), -1, created)
        created_texts = timestamp_texts(created, "T", "Z")
        updated_texts = timestamp_texts(np.where(unstamped, -1, updated), "T", "Z")
        rolls = rng.random((count, 9)).tolist()
        titles, departments = self._lev_titles, self._lev_departments
        first_json, last_json = self.first_names.json, self.surnames.json
        offices, emails, linkedin_urls = self._offices, people.emails, people.linkedin_urls
        typing = self._typing
        wanted = round(SHARED_FRACTION * self.n_per_api) if share else 0
        # Drawn from the whole listing, not its first ids only.
        share_odds = min(1.0, 1.3 * wanted / max(count, 1))
        shared = self._shared
        items = []
        rows = zip(
            ids.tolist(), people.first.tolist(), people.last.tolist(), people.company.tolist(),
            strict=True,
        )  # fmt: skip
        for i, (contact_id, given, family, firm) in enumerate(rows):
            has_first, has_last, has_email, kind, office, title, department, other, spare = rolls[i]
            has_first, has_last, has_email = has_first >= 0.03, has_last >= 0.04, has_email >= 0.07
            if has_first and has_last and has_email and spare < share_odds and len(shared) < wanted:
                shared.append(SharedPerson(given, family, emails[i], linkedin_urls[i], firm))
            email = quoted(messy_email(typing, emails[i])) if has_email else NULL
            contact_type = (
                '"lender_contact"' if kind < 0.68 else '"sponsor"' if kind < 0.98 else NULL
            )
            address, city, state, zip_code = offices[firm] if office < 0.85 else _NO_OFFICE
            linkedin_url = linkedin_urls[i]
            items.append(
                (
                    f'{{"id": {contact_id}, "contact_type": {contact_type}, '
                    f'"first_name": {first_json[given] if has_first else NULL}, '
                    f'"last_name": {last_json[family] if has_last else NULL}, "email": {email}, '
                    f'"title": {either(titles, title, 0.90)}, '
                    f'"department": {either(departments, department, 0.88)}, '
                    f'"address": {address}, "city": {city}, "state": {state}, "zip": {zip_code}, '
                    f'"linkedin_url": {quoted(linkedin_url) if linkedin_url else NULL}, '
                    f'"is_primary": {"true" if other < 0.2 else "false"}, '
                    f'"owner_account_id": {NULL if other > 0.99 else 56}, "is_connected": true, '
                    f'"created_at": {created_texts[i]}, "updated_at": {updated_texts[i]}}}'
                ).encode()
            )
        return Listing(LEVCAPITAL, ids.tolist(), items, people.first, people.last, people.company)

    # SprintMode

    def _sprintmode_listing(self) -> Listing:
        rng = np.random.default_rng([self.seed, 2])
        n = self.n_per_api
        ids = self._new_sprintmode_ids(rng, n)
        created = rng.integers(DATA_START, DATA_END, n)
        listing, created = self._sprintmode_items(rng, ids, created, self._shared)
        self._shared = []
        # Newest first, ties (an import stamps many in one second) by id descending.
        order = np.lexsort((ids, created))[::-1]
        return Listing(
            SPRINTMODE,
            [listing.ids[position] for position in order.tolist()],
            [listing.items[position] for position in order.tolist()],
            listing.first_names[order],
            listing.surnames[order],
            listing.companies[order],
        )

    def _new_sprintmode_ids(self, rng: np.random.Generator, count: int) -> np.ndarray:
        ids: list[int] = []
        taken = self._sprintmode_ids
        while len(ids) < count:
            for value in rng.integers(0, 1 << 32, count - len(ids)).tolist():
                if value not in taken:
                    taken.add(value)
                    ids.append(value)
        return np.array(ids, dtype=np.int64)

    def _sprintmode_items(
        self,
        rng: np.random.Generator,
        ids: np.ndarray,
        created: np.ndarray,
        shared: Sequence[SharedPerson] = (),
    ) -> tuple[Listing, np.ndarray]:
        """Items in the order of `ids`, and created_at as imports left it."""
        count = len(ids)
        people = self.people(rng, count, personal=0.15, linkedin=0.65)
        # Shared people take the places drawn for them, with LevCapital's names and employer.
        shared_at = np.flatnonzero(rng.random(count) < SHARED_FRACTION)[: len(shared)]
        shared_person = dict(zip(shared_at.tolist(), shared, strict=False))
        for position, person in shared_person.items():
            people.first[position], people.last[position] = person.first, person.last
            people.company[position] = person.company
        profiles = [self._profiles[p] for p in rng.integers(0, len(self._profiles), count)]
        imports = np.asarray(simulated_sprintmode.IMPORT_INSTANTS)
        imported = np.fromiter((p.imported for p in profiles), dtype=bool, count=count)
        created = np.where(imported, imports[rng.integers(0, len(imports), count)], created)
        engaged = created + (rng.random(count) * (DATA_END - created)).astype(np.int64)
        created_texts = timestamp_texts(created, " ", "")
        updated_texts = timestamp_texts(updated_after(rng, created), " ", "")
        engaged_texts = timestamp_texts(engaged, " ", "")
        exchanges = rng.integers(200, 1000, count).tolist()
        lines = rng.integers(0, 10_000, count).tolist()
        hexes = rng.integers(0, 1 << 44, (count, 4)).tolist()
        rolls = rng.random((count, 10)).tolist()
        names, surnames = self.first_names, self.surnames
        titles, departments = self._sm_titles, self._sm_departments
        company_names, companies = self._company_names, self.companies
        typing = self._typing
        sm_ids, items = [], []
        rows = zip(
            ids.tolist(), people.first.tolist(), people.last.tolist(), people.company.tolist(),
            strict=True,
        )  # fmt: skip
        for i, (number, given, family, firm) in enumerate(rows):
            (has_last, has_company, has_email, name_style, has_phone, phone_style, has_close_ids,
             title, department, has_photo) = rolls[i]  # fmt: skip
            person = shared_person.get(i)
            if person is not None:
                email = quoted(restyled_email(typing, person.email))
                linkedin_url = person.linkedin_url
                last_json, with_company = surnames.json[family], True
            else:
                email = quoted(messy_email(typing, people.emails[i])) if has_email >= 0.06 else NULL
                linkedin_url = people.linkedin_urls[i]
                # Some lack last_name even where full_name has it, as after a half-done import.
                last_json = surnames.json[family] if has_last >= 0.05 else NULL
                with_company = has_company >= 0.08
            first, last = names.names[given], surnames.names[family]
            if name_style < 0.85:
                full_name = quoted(f"{first} {last}")
            elif name_style < 0.93:
                full_name = NULL
            elif name_style < 0.96:
                full_name = names.json[given]
            else:
                full_name = quoted(f" {first}  {last} ")
            employer = companies[firm]
            phone_text = NULL
            if has_phone < 0.8:
                phone_text = phone(employer.area_code, exchanges[i], lines[i], phone_style)
            profile = profiles[i]
            lead, lead_tail, contact, contact_tail = hexes[i]
            close_lead = close_contact = NULL
            if has_close_ids < 0.3:
                close_lead = f'"lead_{lead:011x}{lead_tail:011x}"'
                close_contact = f'"cont_{contact:011x}{contact_tail:011x}"'
            sm_id = f"ct_{number:08x}"
            photo = f'"https://cdn.sprintmode.ai/avatars/{sm_id}.jpg"' if has_photo < 0.4 else NULL
            sm_ids.append(sm_id)
            items.append(
                (
                    f'{{"id": "{sm_id}", "email": {email}, "first_name": {names.json[given]}, '
                    f'"last_name": {last_json}, "full_name": {full_name}, '
                    f'"company_id": {quoted(employer.sprintmode_id) if with_company else NULL}, '
                    f'"company_name": {company_names[firm] if with_company else NULL}, '
                    f'"title": {either(titles, title, 0.85)}, "role": {profile.role}, '
                    f'"department": {either(departments, department, 0.75)}, '
                    f'"phone": {phone_text}, {profile.middle}, '
                    f'"last_engagement_at": {engaged_texts[i] if profile.engaged else NULL}, '
                    f"{profile.enrichment}, "
                    f'"linkedin_url": {quoted(linkedin_url) if linkedin_url else NULL}, '
                    f'"photo_url": {photo}, "close_lead_id": {close_lead}, '
                    f'"close_contact_id": {close_contact}, {profile.tail}, '
                    f'"created_at": {created_texts[i]}, "updated_at": {updated_texts[i]}}}'
                ).encode()
            )
        listing = Listing(SPRINTMODE, sm_ids, items, people.first, people.last, people.company)
        return listing, created

    # A night's changes

    def changed_at(self, night: int) -> int:
        """When the day before night `night` (1, 2...) starts its changes, in epoch seconds."""
        return DATA_END + (night - 1) * _DAY + _WORKDAY_START

    def created(self, api: str, count: int, night: int) -> Listing:
        """`count` new contacts of `api`, made the day before `night`, in listing order."""
        rng = np.random.default_rng([self.seed, night, 1 if api == LEVCAPITAL else 2])
        made_at = self.changed_at(night) + np.arange(count, dtype=np.int64)
        if api == LEVCAPITAL:
            ids = np.arange(self._next_levcapital_id, self._next_levcapital_id + count)
            self._next_levcapital_id += count
            return self._levcapital_items(rng, ids, made_at, made_at)
        listing, _ = self._sprintmode_items(rng, self._new_sprintmode_ids(rng, count), made_at)
        # Newest first: the last one made heads the listing.
        return Listing(
            SPRINTMODE,
            listing.ids[::-1],
            listing.items[::-1],
            listing.first_names[::-1],
            listing.surnames[::-1],
            listing.companies[::-1],
        )

    def changed(
        self, api: str, contact: dict[str, Any], changed_at: int, rng: np.random.Generator
    ) -> dict[str, Any]:
        """`contact` (as listed, decoded) after one day's edit, stamped `changed_at`.

        Most edits are a new title or department; some people move firm (a new employer and
        address), marry (a new surname), or get a new phone or LinkedIn profile; the rest are
        a CRM's own fields (pipeline stage, primary contact).
        """
        roll = rng.random()
        if roll < 0.45:
            pool = simulated_levcapital if api == LEVCAPITAL else simulated_sprintmode
            contact["title"] = pool.TITLES[int(rng.random() * len(pool.TITLES))]
            if rng.random() < 0.3:
                contact["department"] = pool.DEPARTMENTS[int(rng.random() * len(pool.DEPARTMENTS))]
        elif roll < 0.60:
            self._move_firm(api, contact, rng)
        elif roll < 0.65 and contact.get("last_name"):
            last = self.surnames.names[int(self.surnames.draw(rng, 1)[0])]
            contact["last_name"] = last
            if api == SPRINTMODE and contact.get("full_name"):
                contact["full_name"] = f"{contact.get('first_name') or ''} {last}".strip()
        elif roll < 0.80:
            if api == SPRINTMODE:
                company = self.companies[int(rng.integers(0, len(self.companies)))]
                contact["phone"] = json.loads(
                    phone(
                        company.area_code,
                        int(rng.integers(200, 1000)),
                        int(rng.integers(0, 10_000)),
                        rng.random(),
                    )
                )
            else:
                slug = (
                    f"{ascii_slug(contact.get('first_name') or '')}-{rng.integers(0, 1 << 32):08x}"
                )
                contact["linkedin_url"] = LINKEDIN_FORMS[0].format(slug)
        elif api == SPRINTMODE:
            contact["pipeline_stage"] = simulated_sprintmode.PIPELINE_STAGES[
                int(rng.random() * len(simulated_sprintmode.PIPELINE_STAGES))
            ]
            contact["engagement_score"] = int(rng.integers(0, 101))
        else:
            contact["is_primary"] = not contact.get("is_primary")
        stamp = np.array([changed_at], dtype=np.int64)
        separator, suffix = ("T", "Z") if api == LEVCAPITAL else (" ", "")
        contact["updated_at"] = json.loads(timestamp_texts(stamp, separator, suffix)[0])
        return contact

    def _move_firm(self, api: str, contact: dict[str, Any], rng: np.random.Generator) -> None:
        index = int(np.searchsorted(self.company_cumulative, rng.random(), side="right"))
        company = self.companies[index]
        first = ascii_slug(contact.get("first_name") or "")
        last = ascii_slug(contact.get("last_name") or "")
        contact["email"] = self.registry.email(
            work_local(company.convention, first, last), company.domain
        )
        if api == SPRINTMODE:
            contact["company_id"], contact["company_name"] = company.sprintmode_id, company.name
        else:
            contact.update(
                address=company.address,
                city=company.city,
                state=company.state,
                zip=company.zip_code,
            )


# Statistics, for the benchmark's README and a look before a long run


def describe(people: CensusPeople, listings: list[Listing], seconds: dict[str, float]) -> str:
    """What the generated listings hold: sizes, timing, surname shares and the largest blocks."""
    lines = []
    for listing in listings:
        size = sum(len(item) for item in listing.items)
        lines.append(
            f"{listing.api}: {len(listing.items):,} listed contacts, {size / 1e6:,.0f} MB of JSON,"
            f" generated in {seconds[listing.api]:.1f} s"
        )
    surnames = np.concatenate([listing.surnames for listing in listings])
    firsts = np.concatenate([listing.first_names for listing in listings])
    companies = np.concatenate([listing.companies for listing in listings])
    total = len(surnames)
    counts = np.bincount(surnames, minlength=len(people.surnames.names))
    top = np.argsort(counts)[::-1][:10]
    lines.append(f"\nlargest blocks on surname, of {total:,} contacts in both APIs:")
    for index in top.tolist():
        lines.append(
            f"  {people.surnames.names[index]:<12} {counts[index]:>8,}  "
            f"({counts[index] / total:.2%}; Census table {people.surnames.share(index):.2%})"
        )
    lines.append(
        f"  top ten: {counts[top].sum() / total:.1%}; distinct surnames: "
        f"{np.count_nonzero(counts):,}; held by one contact: {np.count_nonzero(counts == 1):,}"
    )
    pairs = firsts.astype(np.int64) * len(people.surnames.names) + surnames
    names, pair_counts = np.unique(pairs, return_counts=True)
    order = np.argsort(pair_counts)[::-1][:5]
    lines.append("largest blocks on first name and surname:")
    for position in order.tolist():
        first, last = divmod(int(names[position]), len(people.surnames.names))
        lines.append(
            f"  {people.first_names.names[first]} {people.surnames.names[last]}: "
            f"{pair_counts[position]:,}"
        )
    company_counts = np.sort(np.bincount(companies, minlength=len(people.companies)))[::-1]
    employed = company_counts[company_counts > 0]
    lines.append(
        f"employers: {len(employed):,} with contacts; the largest five hold "
        f"{', '.join(f'{count:,}' for count in company_counts[:5].tolist())}; "
        f"{np.count_nonzero(employed <= 2) / len(employed):.0%} hold one or two"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts per API")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    people = CensusPeople(args.seed, args.contacts)
    setup = time.perf_counter() - started
    listings, seconds = [], {}
    for listing in people.listings():
        seconds[listing.api] = time.perf_counter() - started
        started = time.perf_counter()
        listings.append(listing)
    print(f"name tables and {len(people.companies):,} employers in {setup:.1f} s")
    print(describe(people, listings, seconds))


if __name__ == "__main__":
    main()

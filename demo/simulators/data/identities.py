"""A labelled population: contacts in both CRMs, each with the hidden person it belongs to.

Record-linkage tests score a model's pairs against this truth. People vary the way real
contacts do (see the rates below), and the data differs from the simulators' default
generators, which it leaves untouched.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from itertools import combinations
from typing import Any, Literal

from demo.simulators.clock import format_iso_z, timestamp_formatter
from demo.simulators.data import levcapital, sprintmode
from demo.simulators.data.companies import (
    EMAIL_FORMATS,
    Company,
    formatted_phone,
    generate_companies,
    local_part,
    max_companies,
    phone_number,
)
from demo.simulators.data.names import person_name, vary_name
from demo.simulators.data.people import (
    DATA_END,
    PERSONAL_DOMAINS,
    ascii_slug,
    collector_paused,
    created_and_updated,
    messy_email,
    pick,
    restyled_email,
)

LEVCAPITAL = "levcapital"
SPRINTMODE = "sprintmode"

# Where people have contacts: the share of people in LevCapital only, SprintMode only, or both.
PRESENCE_RATES = {LEVCAPITAL: 0.40, SPRINTMODE: 0.30, "both": 0.30}
# The share of people with a second contact in one of their systems: a duplicate entry.
DUPLICATE_RATE = 0.03
# What links the contacts of a person who has more than one, as shares of those people:
#   same_email: the same address, in another case or with padding;
#   email_alias: another address at the same firm ("john.smith@" and "jsmith@");
#   personal_email_and_linkedin: a free-mail address on one, the work address on the other,
#       and the same LinkedIn profile on both, spelled as different URLs;
#   name_and_company: only the name and the firm; the email is missing or unrelated on one
#       (SprintMode's, when both systems have the person, so that its company_name is left);
#   mixed: each further contact's email same, alias, personal or missing, at equal odds.
EVIDENCE_RATES = {
    "same_email": 0.35,
    "email_alias": 0.20,
    "personal_email_and_linkedin": 0.20,
    "name_and_company": 0.15,
    "mixed": 0.10,
}
# The share of people deliberately given the name of a different person at another firm, in
# pairs, so that about this share has a namesake. The pools (hundreds of names, not a nation's)
# add accidental ones: about 5% more of 2,000 people, a third of 20,000; rarely at one firm.
NAMESAKE_RATE = 0.03
# The share of contacts that carry their firm's shared mailbox instead of a personal address;
# each such mailbox is shared by two to five people, in one system or across both.
ROLE_MAILBOX_RATE = 0.02
ROLE_MAILBOXES = ("info", "sales", "team", "admin", "office", "hello", "contact", "deals")
# The share of people with a LinkedIn profile, on their first contact (everyone linked by
# "personal_email_and_linkedin" has one too); further contacts carry it at LINKEDIN_ON_CONTACT
# odds, except those linked by "name_and_company", which never do.
LINKEDIN_RATE = 0.60
LINKEDIN_ON_CONTACT = 0.75
# The share of people with a phone number; SprintMode contacts carry it, LevCapital has no field.
PHONE_RATE = 0.85
# About this many people per firm, but never fewer than MIN_COMPANIES firms.
PEOPLE_PER_COMPANY = 6
MIN_COMPANIES = 300

_LINKEDIN_FORMS = (
    "https://www.linkedin.com/in/{}/",
    "https://www.linkedin.com/in/{}",
    "https://linkedin.com/in/{}",
    "http://www.linkedin.com/in/{}",
    "linkedin.com/in/{}",
    "www.linkedin.com/in/{}/",
    "https://www.linkedin.com/in/{}?utm_source=share&utm_medium=member_desktop",
    "https://uk.linkedin.com/in/{}",
    "https://de.linkedin.com/in/{}/",
    "https://m.linkedin.com/in/{}",
    "HTTPS://WWW.LINKEDIN.COM/in/{}/",
    "https://www.linkedin.com/in/{}/?originalSubdomain=fr",
    "https://www.linkedin.com/in/{}/en",
)
_HANDLE_WORDS = (
    "sunny", "blue", "river", "coffee", "tiger", "maple", "rocket", "pixel", "lucky", "north",
    "jazz", "surf", "ember", "orbit", "kiwi", "falcon", "mango", "cedar",
)  # fmt: skip
TITLES = tuple(dict.fromkeys(levcapital.TITLES + sprintmode.TITLES))
DEPARTMENTS = tuple(dict.fromkeys(levcapital.DEPARTMENTS + sprintmode.DEPARTMENTS))
_render_sql = timestamp_formatter(" ", "")
_FEBRL_RECORD = re.compile(r"rec-(\d+)-(?:org|dup-0)")
# (given name, surname) of one FEBRL record, None where the record has none.
FebrlNames = tuple[str | None, str | None]
FebrlPart = Literal["tuning", "held_out"]
# The vendored FEBRL records by part: the identity model was tuned on the first part only,
# and tests score it on the second, which no one looked into while tuning.
FEBRL_PARTS: dict[str, range] = {"tuning": range(0, 2000), "held_out": range(2000, 4000)}


@dataclass(frozen=True)
class LabelledPopulation:
    """Contacts of both CRMs with the truth of who is who.

    Attributes:
        levcapital: Contacts as LevCapital serves them (ISO-8601 timestamps), all connected,
            ids ascending; `LevCapitalSimulator.from_contacts` takes them.
        sprintmode: Contacts as SprintMode serves them (SQL-style UTC timestamps);
            `SprintModeSimulator.from_contacts` takes them.
        person_ids: Contact key ("levcapital:<id>" or "sprintmode:<id>") -> hidden person id,
            for every contact.
        link_evidence: Person id -> the EVIDENCE_RATES kind linking their contacts, for each
            person with more than one.
        name_variations: Contact key -> the names.NAME_VARIATION_RATES kind its names were
            typed with, for contacts whose names differ from the person's first contact
            (generated populations only: FEBRL's errors are its own).
    """

    levcapital: list[dict[str, Any]]
    sprintmode: list[dict[str, Any]]
    person_ids: dict[str, str]
    link_evidence: dict[str, str] = field(default_factory=dict)
    name_variations: dict[str, str] = field(default_factory=dict)

    def contact_person_ids(self, system: str) -> dict[Any, str]:
        """Returns one system's contact id (int for LevCapital, str for SprintMode) -> person id.

        Raises:
            ValueError: If `system` is neither "levcapital" nor "sprintmode".
        """
        if system not in (LEVCAPITAL, SPRINTMODE):
            raise ValueError(f"system must be {LEVCAPITAL} or {SPRINTMODE}, not {system!r}")
        contacts = self.levcapital if system == LEVCAPITAL else self.sprintmode
        return {contact["id"]: self.person_ids[f"{system}:{contact['id']}"] for contact in contacts}

    def true_pairs(self, *, across_systems: bool = False) -> set[tuple[str, str]]:
        """Returns every pair of contact keys that belong to the same person, each sorted.

        Args:
            across_systems: Only pairs of a LevCapital and a SprintMode contact.
        """
        by_person: dict[str, list[str]] = defaultdict(list)
        for key, person_id in self.person_ids.items():
            by_person[person_id].append(key)
        pairs = set()
        for keys in by_person.values():
            for first, second in combinations(sorted(keys), 2):
                if not across_systems or first.partition(":")[0] != second.partition(":")[0]:
                    pairs.add((first, second))
        return pairs


@dataclass
class _Person:
    person_id: str
    # The names emails and LinkedIn slugs are built from; None when unknown.
    first: str | None
    last: str | None
    company: Company
    # The system of each contact, the first contact's first.
    systems: list[str]
    evidence: str | None = None
    # Each contact's (first name, last name, variation kind or None).
    names: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)


@dataclass
class _Draft:
    """One contact before it gets an id and its system's fields."""

    person: _Person
    system: str
    first: str | None
    last: str | None
    variation: str | None
    email: str | None = None
    linkedin_url: str | None = None
    phone: str | None = None
    title: str | None = None
    department: str | None = None
    created_at: int = 0
    updated_at: int = 0


class _Registry:
    """Hands out email addresses and LinkedIn slugs, so that different people never share one."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._slugs: set[str] = set()

    def address(self, local: str, domain: str) -> str:
        """Returns `local@domain`, or `local2@domain`, `local3@`... if that is someone else's."""
        address, number = f"{local}@{domain}", 1
        while address in self._taken:
            number += 1
            address = f"{local}{number}@{domain}"
        self._taken.add(address)
        return address

    def slug(self, slug: str) -> str:
        """Returns a free LinkedIn slug: `slug`, or `slug-2`, `slug-3`..."""
        claimed, number = slug, 1
        while claimed in self._slugs:
            number += 1
            claimed = f"{slug}-{number}"
        self._slugs.add(claimed)
        return claimed

    def is_taken(self, address: str) -> bool:
        """Returns whether an address was handed out."""
        return address in self._taken


def _systems(rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < PRESENCE_RATES[LEVCAPITAL]:
        systems = [LEVCAPITAL]
    elif roll < PRESENCE_RATES[LEVCAPITAL] + PRESENCE_RATES[SPRINTMODE]:
        systems = [SPRINTMODE]
    else:
        systems = [LEVCAPITAL, SPRINTMODE] if rng.random() < 0.5 else [SPRINTMODE, LEVCAPITAL]
    if rng.random() < DUPLICATE_RATE:
        systems.append(pick(rng, systems))
    return systems


def _evidence(rng: random.Random) -> str:
    roll = rng.random()
    for kind, share in EVIDENCE_RATES.items():
        if roll < share:
            return kind
        roll -= share
    return "mixed"


def _planned_people(rng: random.Random, n_people: int, companies: list[Company]) -> list[_Person]:
    """Returns people with a firm, their contacts' systems and evidence, but no names yet."""
    people = []
    for index in range(n_people):
        # The power skews the draw towards the first firms: a few large ones, many small ones.
        company = companies[int(len(companies) * rng.random() ** 1.5)]
        systems = _systems(rng)
        evidence = _evidence(rng) if len(systems) > 1 else None
        if evidence == "name_and_company" and systems[0] == SPRINTMODE and LEVCAPITAL in systems:
            # The contact without a usable email should be SprintMode's, which names the firm.
            systems.remove(LEVCAPITAL)
            systems.insert(0, LEVCAPITAL)
        people.append(_Person(f"person-{index + 1:05d}", None, None, company, systems, evidence))
    return people


def _companies(rng: random.Random, n_people: int) -> list[Company]:
    n_companies = min(max_companies(), max(MIN_COMPANIES, n_people // PEOPLE_PER_COMPANY))
    return generate_companies(rng, n_companies)


def _personal_local(rng: random.Random, first_slug: str, last_slug: str) -> str:
    if not first_slug or not last_slug:
        return _handle(rng)
    number = 10 + int(rng.random() * 90)
    roll = rng.random()
    if roll < 0.3:
        return f"{first_slug}.{last_slug}"
    if roll < 0.5:
        return f"{first_slug}{last_slug}"
    if roll < 0.7:
        return f"{first_slug}.{last_slug}{number}"
    if roll < 0.85:
        return f"{first_slug[0]}{last_slug}{number}"
    if roll < 0.95:
        return f"{first_slug}_{last_slug}"
    return f"{last_slug}.{first_slug}"


def _handle(rng: random.Random) -> str:
    return f"{pick(rng, _HANDLE_WORDS)}{pick(rng, _HANDLE_WORDS)}{int(rng.random() * 100)}"


def _profile_slug(rng: random.Random, first_slug: str, last_slug: str) -> str:
    if not first_slug or not last_slug:
        return f"{first_slug or last_slug or 'member'}-{rng.getrandbits(28):07x}"
    roll = rng.random()
    if roll < 0.45:
        return f"{first_slug}-{last_slug}"
    if roll < 0.6:
        return f"{first_slug}{last_slug}"
    if roll < 0.85:
        return f"{first_slug}-{last_slug}-{rng.getrandbits(28):07x}"
    if roll < 0.95:
        return f"{first_slug[0]}{last_slug}"
    return f"{first_slug}-{last_slug}-{1 + int(rng.random() * 99)}"


def _linkedin_url(rng: random.Random, slug: str, avoid: str | None = None) -> str:
    """Returns a URL of the profile `slug`, in another spelling than `avoid` when given."""
    url = pick(rng, _LINKEDIN_FORMS).format(slug)
    while url == avoid:
        url = pick(rng, _LINKEDIN_FORMS).format(slug)
    return url


def _changed(rng: random.Random, value: str | None, pool: tuple[str, ...], same: float) -> Any:
    """Returns `value` at `same` odds, else another value of `pool` or (as often) None."""
    roll = rng.random()
    if roll < same:
        return value
    return pick(rng, pool) if roll < same + (1 - same) / 2 else None


class _ContactBuilder:
    """Turns people into contact drafts: emails, profiles, phones, titles and timestamps."""

    def __init__(self, rng: random.Random, companies: list[Company]) -> None:
        self._rng = rng
        self._companies = companies
        self.registry = _Registry()

    def drafts(self, person: _Person) -> list[_Draft]:
        """Returns a person's contacts, in the order of `person.systems`."""
        rng, rand = self._rng, self._rng.random
        company = person.company
        first_slug, last_slug = ascii_slug(person.first or ""), ascii_slug(person.last or "")
        work_local = local_part(company.email_format, first_slug, last_slug)
        work = self.registry.address(work_local, company.domain)
        has_profile = rand() < LINKEDIN_RATE or person.evidence == "personal_email_and_linkedin"
        profile = (
            self.registry.slug(_profile_slug(rng, first_slug, last_slug)) if has_profile else None
        )
        phone = phone_number(rng, company.city) if rand() < PHONE_RATE else None
        title = pick(rng, TITLES) if rand() >= 0.08 else None
        department = pick(rng, DEPARTMENTS) if rand() >= 0.12 else None
        drafts = [
            _Draft(person, system, first, last, variation)
            for system, (first, last, variation) in zip(person.systems, person.names, strict=True)
        ]
        self._emails(person, drafts, work, first_slug, last_slug)
        first_url = None
        for index, draft in enumerate(drafts):
            if profile is not None:
                if person.evidence == "personal_email_and_linkedin":
                    draft.linkedin_url = _linkedin_url(rng, profile, avoid=first_url)
                elif not index or (
                    person.evidence != "name_and_company" and rand() < LINKEDIN_ON_CONTACT
                ):
                    draft.linkedin_url = _linkedin_url(rng, profile)
                first_url = first_url or draft.linkedin_url
            draft.title = title if not index else _changed(rng, title, TITLES, 0.75)
            draft.department = (
                department if not index else _changed(rng, department, DEPARTMENTS, 0.70)
            )
        self._phones(drafts, phone)
        self._timestamps(drafts)
        return drafts

    def _emails(
        self,
        person: _Person,
        drafts: list[_Draft],
        work: str,
        first_slug: str,
        last_slug: str,
    ) -> None:
        rng, rand = self._rng, self._rng.random
        evidence = person.evidence
        if evidence is None:
            roll = rand()
            if roll < 0.85:
                drafts[0].email = messy_email(rng, work)
            elif roll < 0.93:
                drafts[0].email = messy_email(rng, self._personal(first_slug, last_slug))
            return
        drafts[0].email = messy_email(rng, work)
        if evidence == "personal_email_and_linkedin":
            personal_index = int(rand() * 2)
            drafts[personal_index].email = messy_email(rng, self._personal(first_slug, last_slug))
            for draft in drafts[1:]:
                if draft is not drafts[personal_index]:
                    draft.email = restyled_email(rng, work)
            return
        for draft in drafts[1:]:
            relation = evidence
            if evidence == "mixed":
                relation = pick(rng, ("same_email", "email_alias", "personal", "missing"))
            if relation == "same_email":
                draft.email = restyled_email(rng, work)
            elif relation == "email_alias":
                draft.email = messy_email(rng, self._alias(person, work, first_slug, last_slug))
            elif relation == "personal":
                draft.email = messy_email(rng, self._personal(first_slug, last_slug))
            elif relation == "name_and_company" and rand() < 0.5:
                draft.email = self._unrelated(person, first_slug, last_slug)

    def _personal(self, first_slug: str, last_slug: str) -> str:
        local = _personal_local(self._rng, first_slug, last_slug)
        return self.registry.address(local, pick(self._rng, PERSONAL_DOMAINS))

    def _alias(self, person: _Person, work: str, first_slug: str, last_slug: str) -> str:
        """Returns another address of the person's at their firm, in another convention."""
        work_local = work.partition("@")[0]
        formats = list(EMAIL_FORMATS)
        self._rng.shuffle(formats)
        for email_format in formats:
            local = local_part(email_format, first_slug, last_slug)
            if local != work_local:
                return self.registry.address(local, person.company.domain)
        # One name only: every convention gives the same local part, so it gets a number.
        return self.registry.address(work_local, person.company.domain)

    def _unrelated(self, person: _Person, first_slug: str, last_slug: str) -> str:
        """Returns an address nothing ties to the other contact: a former firm's or a handle."""
        rng = self._rng
        if rng.random() < 0.5:
            former = pick(rng, self._companies)
            if former is not person.company:
                local = local_part(former.email_format, first_slug, last_slug)
                return self.registry.address(local, former.domain)
        return self.registry.address(_handle(rng), pick(rng, PERSONAL_DOMAINS))

    def _phones(self, drafts: list[_Draft], phone: str | None) -> None:
        rng, rand = self._rng, self._rng.random
        city = drafts[0].person.company.city
        first_phone = None
        for draft in drafts:
            if draft.system != SPRINTMODE or phone is None:
                continue
            if first_phone is None:
                draft.phone = first_phone = formatted_phone(rng, city, phone)
                continue
            # A person's further SprintMode contact usually has the same number.
            roll = rand()
            if roll < 0.55:
                draft.phone = first_phone
            elif roll < 0.8:
                draft.phone = formatted_phone(rng, city, phone)
            elif roll < 0.9:
                draft.phone = formatted_phone(rng, city, phone_number(rng, city))

    def _timestamps(self, drafts: list[_Draft]) -> None:
        rand = self._rng.random
        latest: dict[str, int] = {}
        for draft in drafts:
            created, updated = created_and_updated(self._rng)
            if draft.system in latest:
                # A duplicate entry is made after the one it duplicates.
                earlier = latest[draft.system]
                created = earlier + int(rand() * (DATA_END - earlier))
                updated = created if rand() < 0.25 else created + int(rand() * (DATA_END - created))
            latest[draft.system] = created
            draft.created_at, draft.updated_at = created, updated


def _assign_role_mailboxes(
    rng: random.Random, people_drafts: list[list[_Draft]], registry: _Registry
) -> None:
    """Replaces the email of about ROLE_MAILBOX_RATE of all contacts with a firm's mailbox.

    Only contacts of people with one contact, or with "mixed" evidence, get one, so that the
    other evidence kinds hold for every person labelled with them.
    """
    total = sum(len(drafts) for drafts in people_drafts)
    by_company: dict[str, list[list[_Draft]]] = defaultdict(list)
    for drafts in people_drafts:
        if len(drafts) == 1 or drafts[0].person.evidence == "mixed":
            by_company[drafts[0].person.company.company_id].append(drafts)
    candidates = [group for group in by_company.values() if len(group) >= 2]
    rng.shuffle(candidates)
    wanted, assigned = round(ROLE_MAILBOX_RATE * total), 0
    for group in candidates:
        if assigned >= wanted:
            break
        domain = group[0][0].person.company.domain
        mailbox = f"{pick(rng, ROLE_MAILBOXES)}@{domain}"
        if registry.is_taken(mailbox):
            continue
        for drafts in rng.sample(group, min(len(group), 2 + int(rng.random() * 4))):
            pick(rng, drafts).email = messy_email(rng, mailbox)
            assigned += 1


def _levcapital_contact(rng: random.Random, draft: _Draft, contact_id: int) -> dict[str, Any]:
    rand = rng.random
    company = draft.person.company
    has_office = rand() < 0.85
    created, updated = format_iso_z(draft.created_at), format_iso_z(draft.updated_at)
    if rand() < 0.02:
        updated = None
        if rand() < 0.5:
            created = None
    roll = rand()
    return {
        "id": contact_id,
        "contact_type": "lender_contact" if roll < 0.68 else "sponsor" if roll < 0.98 else None,
        "first_name": draft.first,
        "last_name": draft.last,
        "email": draft.email,
        "title": draft.title,
        "department": draft.department,
        "address": company.address if has_office else None,
        "city": company.city.name if has_office else None,
        "state": company.city.state if has_office else None,
        "zip": company.postcode if has_office else None,
        "linkedin_url": draft.linkedin_url,
        "is_primary": rand() < 0.2,
        "owner_account_id": levcapital.OWNER_ACCOUNT_ID if rand() >= 0.01 else None,
        "is_connected": True,
        "created_at": created,
        "updated_at": updated,
    }


def _full_name(rng: random.Random, first: str | None, last: str | None) -> str | None:
    joined = " ".join(part for part in (first, last) if part) or None
    roll = rng.random()
    if roll < 0.85:
        return joined
    if roll < 0.93:
        return None
    if roll < 0.96:
        return first or joined
    return f" {first or ''}  {last or ''} "


def _sprintmode_contact(
    rng: random.Random, draft: _Draft, contact_id: str, with_company: bool
) -> dict[str, Any]:
    rand = rng.random
    company = draft.person.company
    engagement_score = int(rand() * 101) if rand() >= 0.25 else None
    return {
        "id": contact_id,
        "email": draft.email,
        "first_name": draft.first,
        "last_name": draft.last,
        "full_name": _full_name(rng, draft.first, draft.last),
        "company_id": company.company_id if with_company else None,
        "company_name": company.name if with_company else None,
        "title": draft.title,
        "role": pick(rng, sprintmode.ROLES) if rand() >= 0.3 else None,
        "department": draft.department,
        "phone": draft.phone,
        "contact_type": pick(rng, sprintmode.CONTACT_TYPES),
        "source": pick(rng, sprintmode.SOURCES),
        "pipeline_stage": pick(rng, sprintmode.PIPELINE_STAGES) if rand() >= 0.15 else None,
        "funnel_stage": pick(rng, sprintmode.FUNNEL_STAGES) if rand() >= 0.2 else None,
        "engagement_score": engagement_score,
        "last_engagement_at": (
            _render_sql(draft.created_at + int(rand() * (DATA_END - draft.created_at)))
            if engagement_score is not None
            else None
        ),
        "enrichment_status": None,
        "enrichment_data": None,
        "linkedin_url": draft.linkedin_url,
        "photo_url": (
            f"https://cdn.sprintmode.ai/avatars/{contact_id}.jpg" if rand() < 0.4 else None
        ),
        "close_lead_id": None,
        "close_contact_id": None,
        "tags": None,
        "notes": None,
        "portal_access": 0,
        "portal_role": None,
        "created_at": _render_sql(draft.created_at),
        "updated_at": _render_sql(draft.updated_at),
    }


@collector_paused()
def _population(
    rng: random.Random, people: list[_Person], companies: list[Company]
) -> LabelledPopulation:
    """Returns the contacts of named people, with ids, in each system's served shape."""
    builder = _ContactBuilder(rng, companies)
    people_drafts = [builder.drafts(person) for person in people]
    _assign_role_mailboxes(rng, people_drafts, builder.registry)
    drafts = [draft for person_drafts in people_drafts for draft in person_drafts]
    person_ids: dict[str, str] = {}
    name_variations: dict[str, str] = {}

    def label(key: str, draft: _Draft) -> None:
        person_ids[key] = draft.person.person_id
        if draft.variation is not None:
            name_variations[key] = draft.variation

    # Ids ascend with creation, as the API's do; a few are skipped, as after deletes.
    lev_drafts = sorted(
        (draft for draft in drafts if draft.system == LEVCAPITAL), key=lambda d: d.created_at
    )
    lev_contacts, contact_id = [], 0
    for draft in lev_drafts:
        contact_id += 1 if rng.random() >= 0.03 else 2 + int(rng.random() * 3)
        lev_contacts.append(_levcapital_contact(rng, draft, contact_id))
        label(f"{LEVCAPITAL}:{contact_id}", draft)

    sm_drafts = sorted(
        (draft for draft in drafts if draft.system == SPRINTMODE), key=lambda d: d.created_at
    )
    sm_contacts, taken = [], set()
    for draft in sm_drafts:
        sm_id = f"ct_{rng.getrandbits(32):08x}"
        while sm_id in taken:
            sm_id = f"ct_{rng.getrandbits(32):08x}"
        taken.add(sm_id)
        # A few lone contacts lost their company link, as after a half-done import.
        with_company = draft.person.evidence is not None or rng.random() >= 0.03
        sm_contacts.append(_sprintmode_contact(rng, draft, sm_id, with_company))
        label(f"{SPRINTMODE}:{sm_id}", draft)

    link_evidence = {
        person.person_id: person.evidence for person in people if person.evidence is not None
    }
    return LabelledPopulation(lev_contacts, sm_contacts, person_ids, link_evidence, name_variations)


def _give_namesakes(rng: random.Random, people: list[_Person], companies: list[Company]) -> None:
    """Gives pairs of people (NAMESAKE_RATE of them in all) one name, at different firms."""
    n_pairs = round(len(people) * NAMESAKE_RATE / 2)
    chosen = rng.sample(people, 2 * n_pairs)
    for source, namesake in zip(chosen[::2], chosen[1::2], strict=True):
        namesake.first, namesake.last = source.first, source.last
        while namesake.company is source.company:
            namesake.company = pick(rng, companies)


def generate_population(seed: int, n_people: int) -> LabelledPopulation:
    """Returns a labelled population of generated people; the same seed gives the same one.

    Each person has a first contact in their name and further ones (see PRESENCE_RATES and
    DUPLICATE_RATE) typed with the variation of names.NAME_VARIATION_RATES and linked by the
    evidence of EVIDENCE_RATES; some have namesakes and some contacts share a role mailbox.

    Args:
        seed: Same seed, same population.
        n_people: How many people; they have about 1.33 contacts each.

    Raises:
        ValueError: If `n_people` is negative.
    """
    if n_people < 0:
        raise ValueError(f"n_people must not be negative, not {n_people}")
    rng = random.Random(f"labelled-population:{seed}")
    companies = _companies(rng, n_people)
    people = _planned_people(rng, n_people, companies)
    for person in people:
        person.first, person.last = person_name(rng)
    _give_namesakes(rng, people, companies)
    for person in people:
        first, last = person.first or "", person.last or ""
        person.names = [(first, last, None)]
        person.names += [vary_name(rng, first, last) for _ in person.systems[1:]]
    return _population(rng, people, companies)


def _read_febrl(name: str) -> dict[int, FebrlNames]:
    """Returns a vendored FEBRL file's (given name, surname) by record number."""
    packed = resources.files(__package__).joinpath("febrl", name).read_bytes()
    names = {}
    with gzip.open(io.BytesIO(packed), "rt", encoding="utf-8", newline="") as text:
        for row in csv.DictReader(text):
            match = _FEBRL_RECORD.fullmatch(row["rec_id"])
            if match is None:
                raise ValueError(f"{name}: unexpected rec_id {row['rec_id']!r}")
            names[int(match.group(1))] = (row["given_name"] or None, row["surname"] or None)
    return names


@functools.cache
def febrl_records(part: FebrlPart = "tuning") -> tuple[tuple[FebrlNames, FebrlNames], ...]:
    """Returns one part of the vendored FEBRL dataset 4 records, by record number.

    See data/febrl/README.md for the source and the subset.

    Args:
        part: "tuning" (records 0 to 1999) or "held_out" (2000 to 3999); see FEBRL_PARTS.

    Returns:
        (original's names, its duplicate's names) per record, each (given name, surname) with
        None for a missing name.
    """
    originals = _read_febrl("dataset4a.csv.gz")
    duplicates = _read_febrl("dataset4b.csv.gz")
    return tuple((originals[number], duplicates[number]) for number in FEBRL_PARTS[part])


def febrl_population(
    seed: int, n_people: int | None = None, *, part: FebrlPart = "tuning"
) -> LabelledPopulation:
    """Returns a labelled population named after the FEBRL dataset 4 benchmark.

    Emails, firms and the other evidence are drawn as by `generate_population`, but the names
    are FEBRL's, unchanged (lower case, FEBRL's own typos and missing names), and no namesakes
    are made. Each person is one FEBRL record: in both systems, LevCapital has the original's
    names and SprintMode the duplicate's; in LevCapital only, the original's; in SprintMode
    only, the duplicate's. A second contact in the same system has the other record's names.

    Args:
        seed: Same seed, same population, and the same records drawn.
        n_people: How many people (records); by default every record of the part.
        part: Which records: "tuning" or "held_out" (see FEBRL_PARTS).

    Raises:
        ValueError: If `n_people` is negative or more than the vendored records.
    """
    records = list(febrl_records(part))
    n_people = len(records) if n_people is None else n_people
    if not 0 <= n_people <= len(records):
        raise ValueError(f"n_people must be from 0 to {len(records)}, not {n_people}")
    rng = random.Random(f"labelled-febrl:{seed}")
    rng.shuffle(records)
    companies = _companies(rng, n_people)
    people = _planned_people(rng, n_people, companies)
    for person, (original, duplicate) in zip(people, records, strict=False):
        person.first, person.last = original
        seen: set[str] = set()
        for system in person.systems:
            first_in_system = system not in seen
            seen.add(system)
            uses_original = (system == LEVCAPITAL) == first_in_system
            person.names.append((*(original if uses_original else duplicate), None))
    return _population(rng, people, companies)

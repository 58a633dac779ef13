"""Generated SprintMode contacts and companies, about 15% of them people also in LevCapital."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from itertools import islice
from typing import Any

from demo.simulators.data import levcapital
from demo.simulators.data.people import (
    DATA_END,
    DATA_START,
    PERSONAL_DOMAINS,
    PINNED_MIN_CONTACTS,
    ascii_slug,
    at,
    collector_paused,
    created_and_updated,
    email_address,
    linkedin_url,
    messy_email,
    names,
    pick,
    restyled_email,
    weighted_pool,
)

SHARED_FRACTION = 0.15
_PROFILE_COUNT = 2048

CONTACT_TYPES = weighted_pool(
    {"lead": 0.35, "client": 0.20, "candidate": 0.15, "investor": 0.10, "end_user": 0.20}
)
SOURCES = weighted_pool(
    {"manual": 0.30, "import": 0.25, "website": 0.20, "referral": 0.10, "linkedin": 0.10,
     "api": 0.03, "event": 0.02}
)  # fmt: skip
TITLES = (
    "CEO", "CTO", "Head of Operations", "Product Manager", "Software Engineer", "Designer",
    "Founder", "Recruiter", "Sales Director", "Marketing Lead", "Investor Relations",
    "Office Manager", "Data Analyst", "COO", "VP Sales",
)  # fmt: skip
ROLES = ("decision_maker", "champion", "influencer", "end_user", "billing", "technical")
DEPARTMENTS = (
    "Operations", "Engineering", "Sales", "Marketing", "Finance", "People", "Product",
    "Executive", "Support",
)  # fmt: skip
PIPELINE_STAGES = ("new", "contacted", "qualified", "proposal", "negotiation", "won", "lost")
FUNNEL_STAGES = ("awareness", "interest", "consideration", "intent", "evaluation", "purchase")
ENRICHMENT_STATUSES = ("enriched", "enriched", "enriched", "pending", "failed", "skipped")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+")
INDUSTRIES = (
    "Software", "Financial Services", "Real Estate", "Healthcare", "Retail", "Education",
    "Manufacturing", "Media", "Logistics",
)  # fmt: skip
TAGS = (
    "vip", "newsletter", "webinar-2025", "beta", "churn-risk", "partner", "Enterprise",
    "q3-campaign", "event:saastr",
)  # fmt: skip
NOTES = (
    "Met at SaaStr; follow up in Q3.",
    "Prefers email.\nNo calls before 10am ET.",
    'Said "maybe" to the pilot.',
    "Intro via Jane Smith.",
    "Asked for pricing in EUR — send the €-sheet.",
    "Out of office until further notice 🏖️",
    "Duplicate? See the other record.",
)
PHONE_FORMS = (
    "+1 {area}-555-{line}", "({area}) 555-{line}", "+1{area}555{line}", "{area}.555.{line}",
    "+44 20 7946 {line}", "+49 30 9018{line}",
)  # fmt: skip
# Imports create many contacts in the same second: ties on created_at, which orders the list.
IMPORT_INSTANTS = tuple(
    at(text)
    for text in (
        "2023-02-01 10:00:00",
        "2023-09-12 14:05:00",
        "2024-04-22 09:00:00",
        "2025-01-06 08:30:00",
        "2025-08-18 12:00:00",
        "2026-04-07 07:45:00",
    )
)
_COMPANY_WORDS = (
    ("Acme", "Bright", "Blue", "North", "Silver", "Red", "Quantum", "Nimbus", "Cobalt", "Evergreen",
     "Lumen", "Vertex", "Harbor", "Orbit", "Pine", "Atlas", "Nova", "Zephyr", "Sol", "Granite"),
    ("Line", "Path", "Works", "Forge", "Stack", "Field", "Bridge", "Loop", "Wave", "Point",
     "Labs", "Cloud", "Leaf", "Gate", "Mint"),
    ("Corp", "Inc.", "LLC", "GmbH", "Ltd", "", "", "Group", "Co."),
)  # fmt: skip
_COMPANY_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

PINNED_COMPANIES = {"co_e5f6g7": "Acme Corp", "co_m3r1d1": "Meridian Capital"}

PINNED: tuple[dict[str, Any], ...] = (
    # The docs' example contact, filled out.
    {
        "id": "ct_a1b2c3d4",
        "email": "jane@acme.com",
        "first_name": "Jane",
        "last_name": "Smith",
        "full_name": "Jane Smith",
        "company_id": "co_e5f6g7",
        "company_name": "Acme Corp",
        "title": "Head of Operations",
        "role": "decision_maker",
        "department": "Operations",
        "phone": "+1 415-555-0142",
        "contact_type": "client",
        "source": "manual",
        "pipeline_stage": "won",
        "funnel_stage": "purchase",
        "engagement_score": 87,
        "last_engagement_at": at("2026-01-09 17:30:00"),
        "enrichment_status": "enriched",
        "enrichment_data": {"company_size": "51-200", "industry": "Software"},
        "linkedin_url": "linkedin.com/in/JaneSmith/",
        "photo_url": "https://cdn.sprintmode.ai/avatars/ct_a1b2c3d4.jpg",
        "close_lead_id": None,
        "close_contact_id": None,
        "tags": " vip , newsletter,, ",
        "notes": "Renewal owner; prefers email.",
        "portal_access": 1,
        "portal_role": "client_admin",
        "created_at": at("2025-03-01 09:15:00"),
        "updated_at": at("2026-01-10 08:00:00"),
    },
    # LevCapital's contact 78 as this system has her.
    {
        "id": "ct_5c4e2a10",
        "email": " SChen@MeridianCapital.com",
        "first_name": "Sarah",
        "last_name": "Chen",
        "full_name": None,
        "company_id": "co_m3r1d1",
        "company_name": "Meridian Capital",
        "title": "SVP Originations",
        "role": "decision_maker",
        "department": None,
        "phone": "(212) 555-0187",
        "contact_type": "investor",
        "source": "linkedin",
        "pipeline_stage": "qualified",
        "funnel_stage": "consideration",
        "engagement_score": 42,
        "last_engagement_at": at("2026-02-27 15:00:00"),
        "enrichment_status": "pending",
        "enrichment_data": None,
        "linkedin_url": "https://www.linkedin.com/in/sarah-chen-cre/",
        "photo_url": None,
        "close_lead_id": "lead_5c4e2a10aa11bb22cc33dd",
        "close_contact_id": "cont_5c4e2a10ee44ff55aa66bb",
        "tags": None,
        "notes": None,
        "portal_access": 0,
        "portal_role": None,
        "created_at": at("2025-10-02 14:20:00"),
        "updated_at": at("2026-03-01 12:00:00"),
    },
    # Next to nothing known: no email, no usable name, a company that no longer exists.
    {
        "id": "ct_00000001",
        "email": None,
        "first_name": "  ",
        "last_name": None,
        "full_name": None,
        "company_id": "co_0000aa",
        "company_name": None,
        "title": None,
        "role": None,
        "department": None,
        "phone": None,
        "contact_type": "end_user",
        "source": "import",
        "pipeline_stage": None,
        "funnel_stage": None,
        "engagement_score": None,
        "last_engagement_at": None,
        "enrichment_status": None,
        "enrichment_data": None,
        "linkedin_url": None,
        "photo_url": None,
        "close_lead_id": None,
        "close_contact_id": None,
        "tags": "",
        "notes": None,
        "portal_access": 0,
        "portal_role": None,
        "created_at": DATA_START,
        "updated_at": DATA_START,
    },
)


def generate_companies(seed: int, n_contacts: int) -> dict[str, str]:
    """Returns SprintMode's companies, id -> name, the pinned ones included.

    Args:
        seed: Same seed, same companies.
        n_contacts: Sizes the list: about one company per 25 contacts.
    """
    rng = random.Random(f"sprintmode-companies:{seed}")
    companies = dict(PINNED_COMPANIES)
    wanted = len(PINNED_COMPANIES) + 10 + n_contacts // 25
    while len(companies) < wanted:
        company_id = "co_" + "".join(pick(rng, _COMPANY_ID_ALPHABET) for _ in range(6))
        first, second, suffix = (pick(rng, words) for words in _COMPANY_WORDS)
        companies.setdefault(company_id, f"{first}{second} {suffix}".strip())
    return companies


def _messy_tags(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.30:
        return None
    if roll < 0.40:
        return ""
    first, second = pick(rng, TAGS), pick(rng, TAGS)
    if roll < 0.70:
        return f"{first},{second}"
    if roll < 0.90:
        return f" {first} , {second},, "
    return first


@functools.lru_cache(maxsize=16)
def _profiles(seed: int) -> tuple[dict[str, Any], ...]:
    """Returns combinations of the fields that do not identify a person, to share among contacts.

    Drawing these once per seed (and caching them) keeps generating 160k contacts cheap;
    identity, company and timestamps stay per contact. Records copy a profile's values, so
    they share its `enrichment_data` object: never mutate that in place.
    """
    rng = random.Random(f"sprintmode-profiles:{seed}")
    rand = rng.random
    profiles = []
    for _ in range(_PROFILE_COUNT):
        enrichment_status = pick(rng, ENRICHMENT_STATUSES) if rand() >= 0.2 else None
        portal_access = 1 if rand() < 0.12 else 0
        phone = pick(rng, PHONE_FORMS).format(
            area=200 + int(rand() * 800), line=f"{int(rand() * 10000):04d}"
        )
        profiles.append(
            {
                "title": pick(rng, TITLES) if rand() >= 0.15 else None,
                "role": pick(rng, ROLES) if rand() >= 0.3 else None,
                "department": pick(rng, DEPARTMENTS) if rand() >= 0.25 else None,
                "phone": phone if rand() >= 0.2 else None,
                "pipeline_stage": pick(rng, PIPELINE_STAGES) if rand() >= 0.15 else None,
                "funnel_stage": pick(rng, FUNNEL_STAGES) if rand() >= 0.2 else None,
                "engagement_score": int(rand() * 101) if rand() >= 0.25 else None,
                "enrichment_status": enrichment_status,
                "enrichment_data": (
                    {"company_size": pick(rng, COMPANY_SIZES), "industry": pick(rng, INDUSTRIES)}
                    if enrichment_status == "enriched"
                    else None
                ),
                "tags": _messy_tags(rng),
                "notes": pick(rng, NOTES) if rand() < 0.3 else None,
                "portal_access": portal_access,
                # A stale role on a contact without access happens in real data too.
                "portal_role": (
                    ("client_admin" if rand() < 0.4 else "client_viewer")
                    if portal_access or rand() < 0.02
                    else None
                ),
            }
        )
    return tuple(profiles)


def _shareable_people(
    seed: int, levcapital_n_contacts: int
) -> Iterator[tuple[dict[str, Any], str | None]]:
    # Id 78 is pinned here as "ct_5c4e2a10"; people without names or email are hard to match.
    for record, company in islice(levcapital.iter_contacts(seed), levcapital_n_contacts):
        if record["id"] != 78 and record["first_name"] and record["last_name"] and record["email"]:
            yield record, company


@collector_paused()
def generate_contacts(
    seed: int, n_contacts: int, levcapital_n_contacts: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Returns `n_contacts` SprintMode contacts (in no particular order) and the companies.

    About 15% are people also in LevCapital: they are the shareable contacts of the LevCapital
    stream with the same seed, taken in id order among its first `levcapital_n_contacts`, so
    they exist in a LevCapital simulator of that size. Their names and LinkedIn URLs match;
    their email is the same address written differently.

    Args:
        seed: Same seed, same data and the same overlap with LevCapital.
        n_contacts: How many contacts to generate; from 100 on, the pinned ones are included.
        levcapital_n_contacts: Size of the LevCapital account to overlap with; defaults to
            `n_contacts`.

    Returns:
        (records in storage shape: served fields in served order, epoch-second timestamps;
        company id -> company name).
    """
    rng = random.Random(f"sprintmode:{seed}")
    rand = rng.random
    profiles = _profiles(seed)
    companies = generate_companies(seed, n_contacts)
    company_ids = tuple(companies)
    company_by_name = {name: company_id for company_id, name in companies.items()}
    company_domains = {
        company_id: ascii_slug(name.split()[0]) + ".com" for company_id, name in companies.items()
    }
    pinned = PINNED if n_contacts >= PINNED_MIN_CONTACTS else ()
    shared_people = _shareable_people(seed, levcapital_n_contacts or n_contacts)
    records: list[dict[str, Any]] = []
    taken = {record["id"] for record in pinned}
    recent_emails: list[str] = []

    for _ in range(n_contacts - len(pinned)):
        contact_id = f"ct_{rng.getrandbits(32):08x}"
        while contact_id in taken:
            contact_id = f"ct_{rng.getrandbits(32):08x}"
        taken.add(contact_id)
        person = next(shared_people, None) if rand() < SHARED_FRACTION else None
        if person is not None:
            lev_record, lev_company = person
            first, last = lev_record["first_name"], lev_record["last_name"]
            email = restyled_email(rng, lev_record["email"])
            company_id = None
            if lev_company is not None:
                company_id = company_by_name.get(lev_company)
                if company_id is None:
                    company_id = "co_" + ascii_slug(lev_company)[:6].ljust(6, "0")
                    companies[company_id] = lev_company
                    company_by_name[lev_company] = company_id
            linkedin = lev_record["linkedin_url"]
            contact_type = "investor" if rand() < 0.6 else "lead"
        else:
            first, last, first_slug, last_slug = names(rng)
            company_id = pick(rng, company_ids) if rand() >= 0.08 else None
            if recent_emails and rand() < 0.01:
                email = pick(rng, recent_emails)
            else:
                domain = (
                    pick(rng, PERSONAL_DOMAINS)
                    if company_id is None or rand() < 0.15
                    else company_domains[company_id]
                )
                email = messy_email(rng, email_address(rng, first_slug, last_slug, domain))
                recent_emails.append(email)
                del recent_emails[:-50]
            if rand() < 0.06:
                email = None
            linkedin = linkedin_url(rng, first_slug, last_slug) if rand() >= 0.35 else None
            contact_type = pick(rng, CONTACT_TYPES)
        source = pick(rng, SOURCES)
        created, updated = created_and_updated(rng)
        if source == "import":
            created = pick(rng, IMPORT_INSTANTS)
            updated = max(updated, created)
        roll = rand()
        if roll < 0.85:
            full_name = f"{first} {last}"
        elif roll < 0.93:
            full_name = None
        elif roll < 0.96:
            full_name = first
        else:
            full_name = f" {first}  {last} "
        profile = profiles[int(rand() * _PROFILE_COUNT)]
        has_close_ids = rand() < 0.3
        records.append(
            {
                "id": contact_id,
                "email": email,
                "first_name": first,
                # Shared people keep both names so they can be matched; others sometimes lack
                # last_name even where full_name has it, as after a half-done import.
                "last_name": last if person is not None or rand() >= 0.05 else None,
                "full_name": full_name,
                "company_id": company_id,
                "company_name": companies[company_id] if company_id is not None else None,
                "title": profile["title"],
                "role": profile["role"],
                "department": profile["department"],
                "phone": profile["phone"],
                "contact_type": contact_type,
                "source": source,
                "pipeline_stage": profile["pipeline_stage"],
                "funnel_stage": profile["funnel_stage"],
                "engagement_score": profile["engagement_score"],
                "last_engagement_at": (
                    created + int(rand() * (DATA_END - created))
                    if profile["engagement_score"] is not None
                    else None
                ),
                "enrichment_status": profile["enrichment_status"],
                "enrichment_data": profile["enrichment_data"],
                "linkedin_url": linkedin,
                "photo_url": (
                    f"https://cdn.sprintmode.ai/avatars/{contact_id}.jpg" if rand() < 0.4 else None
                ),
                "close_lead_id": f"lead_{rng.getrandbits(88):022x}" if has_close_ids else None,
                "close_contact_id": f"cont_{rng.getrandbits(88):022x}" if has_close_ids else None,
                "tags": profile["tags"],
                "notes": profile["notes"],
                "portal_access": profile["portal_access"],
                "portal_role": profile["portal_role"],
                "created_at": created,
                "updated_at": updated,
            }
        )
    for record in pinned:
        enrichment_data = record["enrichment_data"]
        records.append({**record, "enrichment_data": enrichment_data and dict(enrichment_data)})
    return records, companies

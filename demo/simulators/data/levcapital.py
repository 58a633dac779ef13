"""Generated LevCapital contacts: a prefix-stable stream, with the docs' examples pinned."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from itertools import islice
from typing import Any

from demo.simulators.data.people import (
    PERSONAL_DOMAINS,
    at,
    collector_paused,
    created_and_updated,
    email_address,
    linkedin_url,
    messy_email,
    names,
    pick,
)

OWNER_ACCOUNT_ID = 56
# Ids 1..80 have no gaps, so the pinned ids 78-80 exist in any account of 80 contacts or more.
_GAPLESS_UNTIL = 80
_PROFILE_COUNT = 1024

COMPANIES = (
    ("Meridian Capital", "meridiancapital.com"),
    ("Harborview Lending", "harborviewlending.com"),
    ("Granite Peak Capital", "granitepeakcap.com"),
    ("Fjord Capital", "fjord-capital.no"),
    ("Northbridge Realty Partners", "northbridgerp.com"),
    ("Blue Heron Debt Fund", "blueherondebt.com"),
    ("Summit Bridge Finance", "summitbridgefinance.com"),
    ("Cedar & Stone Investors", "cedarstone.com"),
    ("Atlas Mezzanine", "atlasmezz.com"),
    ("Keystone Community Bank", "keystonebank.com"),
    ("Pacific Crest Lenders", "pacificcrest.com"),
    ("Lakeshore Life Insurance", "lakeshorelife.com"),
    ("Ironwood Equity", "ironwoodequity.com"),
    ("Banco del Sol", "bancodelsol.com.mx"),
    ("Rheinland Immobilien", "rheinland-immo.de"),
    ("Maple Leaf CMBS", "mapleleafcmbs.ca"),
    ("Sørlandet Eiendom", "sorlandet-eiendom.no"),
    ("Eastgate Secured", "eastgatesecured.com"),
)
TITLES = (
    "Managing Director", "Senior Vice President", "Vice President", "Director", "Associate",
    "Analyst", "Principal", "Partner", "Originator", "Head of Debt Capital Markets",
    "Chief Investment Officer", "Loan Officer", "Underwriter", "Asset Manager", "VP, Originations",
)  # fmt: skip
DEPARTMENTS = (
    "Originations", "Debt Capital Markets", "Capital Markets", "Underwriting", "Asset Management",
    "Investments", "Acquisitions", "Portfolio Management", "Servicing", "Executive",
)  # fmt: skip
CITIES = (
    ("New York", "NY", "100"), ("Chicago", "IL", "606"), ("Los Angeles", "CA", "900"),
    ("San Francisco", "CA", "941"), ("Dallas", "TX", "752"), ("Houston", "TX", "770"),
    ("Miami", "FL", "331"), ("Atlanta", "GA", "303"), ("Boston", "MA", "021"),
    ("Denver", "CO", "802"), ("Seattle", "WA", "981"), ("Charlotte", "NC", "282"),
    ("Phoenix", "AZ", "850"), ("Nashville", "TN", "372"), ("Austin", "TX", "787"),
    ("Minneapolis", "MN", "554"), ("Washington", "DC", "200"), ("Philadelphia", "PA", "191"),
)  # fmt: skip
STREETS = (
    "Park Avenue", "Madison Avenue", "Main Street", "Market Street", "Peachtree Street NE",
    "Wacker Drive", "Congress Avenue", "Broadway", "Fifth Avenue", "Lexington Ave.",
    "Avenue of the Americas", "Brickell Ave", "California St",
)  # fmt: skip

PINNED: dict[int, dict[str, Any]] = {
    # The docs' example contact, exactly.
    78: {
        "id": 78,
        "contact_type": "lender_contact",
        "first_name": "Sarah",
        "last_name": "Chen",
        "email": "schen@meridiancapital.com",
        "title": "Senior Vice President",
        "department": "Originations",
        "address": "1 Battery Park Plaza",
        "city": "New York",
        "state": "NY",
        "zip": "10004",
        "linkedin_url": "https://linkedin.com/in/sarah-chen-cre",
        "is_primary": True,
        "owner_account_id": 56,
        "is_connected": True,
        "created_at": at("2025-09-01 11:00:00"),
        "updated_at": at("2026-02-20 16:45:00"),
    },
    # Never stamped, non-ASCII names, an email that needs trimming and lower-casing.
    79: {
        "id": 79,
        "contact_type": "lender_contact",
        "first_name": "Zoë",
        "last_name": "Ødegaard",
        "email": "  Zoe.Odegaard@Fjord-Capital.NO ",
        "title": "Director",
        "department": "Capital Markets",
        "address": None,
        "city": None,
        "state": None,
        "zip": None,
        "linkedin_url": "http://www.linkedin.com/in/zoe-odegaard/",
        "is_primary": False,
        "owner_account_id": 56,
        "is_connected": True,
        "created_at": None,
        "updated_at": None,
    },
    # Not connected, so never listed.
    80: {
        "id": 80,
        "contact_type": "sponsor",
        "first_name": "Marcus",
        "last_name": "O'Brien",
        "email": "mobrien@ironwoodequity.com",
        "title": "Principal",
        "department": "Acquisitions",
        "address": "200 Clarendon Street",
        "city": "Boston",
        "state": "MA",
        "zip": "02116",
        "linkedin_url": None,
        "is_primary": False,
        "owner_account_id": 56,
        "is_connected": False,
        "created_at": at("2024-05-14 09:30:00"),
        "updated_at": at("2025-12-02 17:05:00"),
    },
}
_PINNED_COMPANIES = {78: "Meridian Capital", 79: "Fjord Capital", 80: "Ironwood Equity"}


@functools.lru_cache(maxsize=16)
def _profiles(seed: int) -> tuple[dict[str, Any], ...]:
    """Returns combinations of the fields that do not identify a person, to share among contacts.

    Drawing these once per seed (and caching them) keeps generating 160k contacts cheap; names,
    emails and timestamps stay per contact. Records copy a profile's values.
    """
    rng = random.Random(f"levcapital-profiles:{seed}")
    rand = rng.random
    profiles = []
    for _ in range(_PROFILE_COUNT):
        roll = rand()
        profile = {
            "contact_type": "lender_contact" if roll < 0.68 else "sponsor" if roll < 0.98 else None,
            "title": pick(rng, TITLES) if rand() >= 0.10 else None,
            "department": pick(rng, DEPARTMENTS) if rand() >= 0.12 else None,
            "address": None,
            "city": None,
            "state": None,
            "zip": None,
            "is_primary": rand() < 0.2,
            "owner_account_id": OWNER_ACCOUNT_ID if rand() >= 0.01 else None,
        }
        if rand() >= 0.10:
            city, state, zip_prefix = pick(rng, CITIES)
            suite = f", Suite {100 * (1 + int(rand() * 40))}" if rand() < 0.2 else ""
            plus_four = f"-{int(rand() * 10000):04d}" if rand() < 0.05 else ""
            profile["address"] = f"{1 + int(rand() * 1500)} {pick(rng, STREETS)}{suite}"
            profile["city"] = city
            profile["state"] = state if rand() >= 0.03 else None
            profile["zip"] = f"{zip_prefix}{int(rand() * 100):02d}{plus_four}"
        profiles.append(profile)
    return tuple(profiles)


def iter_contacts(seed: int) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Yields LevCapital contacts forever, ids ascending, with a few gaps after id 80.

    Prefix-stable: the k-th contact depends only on `seed` and k, never on how many are taken.
    Records are in storage shape: the served fields in the served order, timestamps as epoch
    seconds or None.

    Args:
        seed: Seed of the whole stream.

    Yields:
        (record, name of the contact's company or None for a personal email domain).
    """
    rng = random.Random(f"levcapital:{seed}")
    rand = rng.random
    profiles = _profiles(seed)
    recent_emails: list[str] = []
    contact_id = 0
    while True:
        contact_id += 1
        if contact_id > _GAPLESS_UNTIL and rand() < 0.03:
            contact_id += 1 + int(rand() * 3)
        first, last, first_slug, last_slug = names(rng)
        company, domain = pick(rng, COMPANIES)
        if rand() < 0.05:
            company, domain = None, pick(rng, PERSONAL_DOMAINS)
        if recent_emails and rand() < 0.01:
            # The same person entered twice, typed differently.
            email = messy_email(rng, pick(rng, recent_emails).strip().lower())
        else:
            email = messy_email(rng, email_address(rng, first_slug, last_slug, domain))
            recent_emails.append(email)
            del recent_emails[:-50]
        created, updated = created_and_updated(rng)
        if rand() < 0.02:
            updated = None
            if rand() < 0.5:
                created = None
        profile = profiles[int(rand() * _PROFILE_COUNT)]
        record = {
            "id": contact_id,
            "contact_type": profile["contact_type"],
            "first_name": first if rand() >= 0.03 else None,
            "last_name": last if rand() >= 0.04 else None,
            "email": email if rand() >= 0.07 else None,
            "title": profile["title"],
            "department": profile["department"],
            "address": profile["address"],
            "city": profile["city"],
            "state": profile["state"],
            "zip": profile["zip"],
            "linkedin_url": linkedin_url(rng, first_slug, last_slug) if rand() >= 0.15 else None,
            "is_primary": profile["is_primary"],
            "owner_account_id": profile["owner_account_id"],
            "is_connected": rand() >= 0.05,
            "created_at": created,
            "updated_at": updated,
        }
        if contact_id in PINNED:
            yield dict(PINNED[contact_id]), _PINNED_COMPANIES[contact_id]
        else:
            yield record, company


@collector_paused()
def generate_contacts(seed: int, n_contacts: int) -> list[dict[str, Any]]:
    """Returns an account's `n_contacts` contacts (connected or not), ids ascending.

    Args:
        seed: Same seed, same data.
        n_contacts: How many contacts the account holds, unconnected ones included.
    """
    return [record for record, _ in islice(iter_contacts(seed), n_contacts)]

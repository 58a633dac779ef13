"""Building blocks shared by both generators: names, emails, LinkedIn URLs and timestamps."""

from __future__ import annotations

import gc
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from demo.simulators.clock import GENERATED_DATA_END, to_epoch

DATA_START = to_epoch(datetime.fromisoformat("2023-01-01T00:00:00+00:00"))
DATA_END = to_epoch(GENERATED_DATA_END)  # exclusive
_SPAN = DATA_END - DATA_START

# Pinned records need at least this many contacts to exist.
PINNED_MIN_CONTACTS = 100


def at(text: str) -> int:
    """Returns epoch seconds of a UTC timestamp written like "2025-09-01 11:00:00"."""
    return to_epoch(datetime.fromisoformat(text))


# Bulk jobs stamp many rows with the same second: ties the pipelines' cursors must survive.
BULK_INSTANTS = tuple(
    at(text)
    for text in (
        "2023-06-30 23:00:00",
        "2024-01-15 02:00:00",
        "2024-09-01 00:00:00",
        "2025-03-31 18:30:00",
        "2025-11-20 03:15:00",
        "2026-02-20 16:45:00",
        "2026-06-01 00:00:00",
    )
)

FIRST_NAMES = (
    "James", "Maria", "José", "Łukasz", "Zoë", "Aoife", "Siobhán", "François", "Chloé", "Søren",
    "Björn", "Priya", "Mohammed", "Hương", "Hiroshi", "Yuki", "Ana María", "Jean-Luc", "Renée",
    "Dmitri", "Olga", "Fatima", "Kwame", "Emily", "Michael", "Sarah", "David", "Jennifer",
    "Robert", "Linda", "William", "Elizabeth", "Daniel", "Jessica", "Matthew", "Ashley",
    "Christopher", "Amanda", "Andrew", "Laura", "Kevin", "Rachel", "Brian", "Nicole", "Thomas",
    "Megan", "Carlos", "Lucía", "Mateo", "Sofía", "İlkay", "Ömer", "Chiara", "Giulia", "Noémie",
    "Jürgen", "Małgorzata", "Tomás", "Mary Kate", "D'Andre",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Müller", "O'Brien", "O'Neill", "Nguyễn", "Trần", "Kowalski", "Wiśniewski",
    "Schröder", "García Márquez", "van der Berg", "De La Cruz", "MacDonald", "Patel", "Shah",
    "Kim", "Park", "Tanaka", "Sato", "Rossi", "Bianchi", "Dubois", "Lefèvre", "Andersen",
    "Johansson", "Ødegaard", "Novák", "Dvořák", "Ivanov", "Cohen", "Levi", "Okafor", "Mensah",
    "Al-Sayed", "Chen", "Wang", "Zhang", "Smith-Jones", "Anderson", "Thompson", "White",
)  # fmt: skip
# Names in their own scripts: (given, family, given romanised, family romanised); the
# romanisation stands in for what people put in their email addresses.
_NATIVE_SCRIPT_NAMES = (
    ("伟", "李", "wei", "li"),
    ("芳", "王", "fang", "wang"),
    ("娜", "张", "na", "zhang"),
    ("静", "刘", "jing", "liu"),
    ("翔太", "佐藤", "shota", "sato"),
    ("민준", "김", "minjun", "kim"),
)

PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")

_LINKEDIN_FORMS = (
    "https://linkedin.com/in/{}",
    "https://www.linkedin.com/in/{}/",
    "http://www.linkedin.com/in/{}",
    "linkedin.com/in/{}",
    "www.linkedin.com/in/{}/",
    "https://www.linkedin.com/in/{}?utm_source=share&utm_medium=member_desktop",
    "https://uk.linkedin.com/in/{}",
    "HTTPS://WWW.LINKEDIN.COM/in/{}/",
)

# NFKD leaves these letters whole, so they are folded by hand.
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae"}
    | {"\u0131": "i"}  # dotless i, escaped because it looks like an i
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_slug(name: str) -> str:
    """Returns `name` folded to lower-case ASCII letters and digits, e.g. "Łukasz" -> "lukasz"."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LETTER_FOLDS))
    return _NOT_SLUG.sub("", decomposed.encode("ascii", "ignore").decode().lower())


_FIRST_NAMES_AND_SLUGS = tuple((name, ascii_slug(name)) for name in FIRST_NAMES)
_LAST_NAMES_AND_SLUGS = tuple((name, ascii_slug(name)) for name in LAST_NAMES)


def pick(rng: random.Random, pool: Sequence[Any]) -> Any:
    """Returns a uniformly chosen element; cheaper than `rng.choice`, which matters at 160k."""
    return pool[int(rng.random() * len(pool))]


def weighted_pool(odds: dict[Any, float]) -> tuple[Any, ...]:
    """Returns a pool in which `pick` finds each value with about its given probability.

    Args:
        odds: Value -> probability, summing to 1.
    """
    return tuple(value for value, share in odds.items() for _ in range(round(share * 200)))


def names(rng: random.Random) -> tuple[str, str, str, str]:
    """Returns (first name, last name, first-name slug, last-name slug) with worldwide variety."""
    if rng.random() < 0.02:
        return pick(rng, _NATIVE_SCRIPT_NAMES)
    first, first_slug = pick(rng, _FIRST_NAMES_AND_SLUGS)
    last, last_slug = pick(rng, _LAST_NAMES_AND_SLUGS)
    return first, last, first_slug, last_slug


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector while records are bulk-allocated.

    Generating 160k records sets off collections that traverse the growing heap and free
    nothing, about a fifth of the generation time; records are acyclic, so nothing leaks.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def email_address(rng: random.Random, first_slug: str, last_slug: str, domain: str) -> str:
    """Returns a plausible work address built from name slugs, in one of the usual patterns."""
    roll = rng.random()
    if roll < 0.45:
        local = f"{first_slug[:1]}{last_slug}"
    elif roll < 0.8:
        local = f"{first_slug}.{last_slug}"
    elif roll < 0.9:
        local = first_slug
    else:
        local = f"{first_slug}_{last_slug}{int(rng.random() * 100)}"
    return f"{local.strip('._') or 'info'}@{domain}"


def messy_email(rng: random.Random, email: str) -> str:
    """Returns `email` as people type it: now and then mixed-case or padded with spaces."""
    roll = rng.random()
    if roll < 0.06:
        return email.upper() if roll < 0.01 else email[:1].upper() + email[1:]
    if roll < 0.09:
        return f" {email}" if roll < 0.075 else f"{email} "
    return email


def restyled_email(rng: random.Random, email: str) -> str:
    """Returns the same address written differently (case, padding), as another system has it."""
    plain = email.strip().lower()
    roll = rng.random()
    if roll < 0.4:
        restyled = plain.capitalize()
    elif roll < 0.7:
        local, _, domain = plain.partition("@")
        restyled = f"{local}@{domain.upper()}"
    else:
        restyled = f" {plain}" if roll < 0.85 else f"{plain.title()}  "
    return restyled if restyled != email else f" {restyled} "


def linkedin_url(rng: random.Random, first_slug: str, last_slug: str) -> str:
    """Returns a LinkedIn profile URL in one of the many forms people paste."""
    slug = f"{first_slug}-{last_slug}".strip("-") or "member"
    if rng.random() < 0.3:
        slug += f"-{int(rng.random() * 0xFFFFFF):06x}"
    return pick(rng, _LINKEDIN_FORMS).format(slug)


def created_and_updated(rng: random.Random) -> tuple[int, int]:
    """Returns (created_at, updated_at) epoch seconds in the data range, created <= updated.

    A quarter were never updated; a few share a bulk job's updated_at second.
    """
    created = DATA_START + int(rng.random() * _SPAN)
    roll = rng.random()
    if roll < 0.25:
        return created, created
    if roll < 0.29:
        bulk = pick(rng, BULK_INSTANTS)
        return min(created, bulk), bulk
    return created, created + int(rng.random() * (DATA_END - created))

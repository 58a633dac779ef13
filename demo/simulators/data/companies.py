"""Firms for the labelled population: names, domains, email conventions, offices and phones."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.simulators.data.people import ascii_slug, pick, weighted_pool

_NAME_WORDS = (
    "Meridian", "Harborview", "Granite Peak", "Blue Heron", "Summit Bridge", "Cedar & Stone",
    "Atlas", "Keystone", "Pacific Crest", "Lakeshore", "Ironwood", "Northbridge", "Eastgate",
    "Maple Leaf", "Silverline", "Redwood", "Bluewater", "Crescent", "Beacon", "Pinnacle",
    "Riverbend", "Oakmont", "Stonebridge", "Highland", "Bayside", "Falcon", "Horizon",
    "Evergreen", "Sterling", "Cobalt", "Lumen", "Vertex", "Orbit", "Nimbus", "Quantum", "Zephyr",
    "Aurora", "Polaris", "Sequoia", "Willow", "Juniper", "Copperleaf", "Brightwater", "Westbrook",
    "Kingsbridge", "Ashford", "Fairview", "Hawthorne", "Greystone", "Driftwood", "Sandstone",
    "Tidewater", "Windward", "Ridgeline", "Larkspur", "Cypress", "Magnolia", "Seabright",
    "Foxglove", "Clearwater", "Silver Birch", "Northwind", "Starling", "Kestrel", "Osprey",
    "Tamarack", "Bramble", "Lodestar", "Ember", "Halcyon", "Marlow", "Ardent", "Cadence",
    "Solstice", "Fjord", "Sørlandet", "Rheinland", "Côte d'Or", "Nordlys", "Alta Vista",
)  # fmt: skip
_KIND_WORDS = (
    "Capital", "Partners", "Lending", "Realty", "Advisors", "Holdings", "Group", "Investments",
    "Equity", "Ventures", "Labs", "Software", "Logistics", "Health", "Properties",
    "Asset Management", "Finance", "Systems", "Analytics", "Consulting", "Bank", "Insurance",
    "Real Estate", "Development", "Mortgage", "Credit", "Trust", "Works", "Technologies", "Media",
)  # fmt: skip


@dataclass(frozen=True)
class City:
    """A city firms have offices in, and how its postcodes and phone numbers look.

    Attributes:
        name: As LevCapital's city field has it.
        state: Its state or province, where addresses name one.
        postcode: A postcode with "#" for each digit to draw.
        calling_code: The country calling code, like "44".
        trunk: The national trunk prefix ("0"), or "" where there is none.
        area: The area code, as many digits of the number as are fixed.
        subscriber_digits: How many digits follow the area code.
        groups: How the national number is grouped when written with spaces.
    """

    name: str
    state: str | None
    postcode: str
    calling_code: str
    trunk: str
    area: str
    subscriber_digits: int
    groups: tuple[int, ...]


@dataclass(frozen=True)
class _Country:
    tld: str
    legal_suffixes: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[City, ...]


def _us_city(name: str, state: str, postcode: str, area: str) -> City:
    # 555 numbers are reserved for fiction, so the area code and 555 are fixed.
    return City(name, state, postcode + "##", "1", "", area + "555", 4, (3, 3, 4))


COUNTRIES: dict[str, _Country] = {
    "US": _Country(
        ".com",
        ("Inc.", "LLC", "", "", "Corp."),
        ("Park Avenue", "Madison Avenue", "Main Street", "Market Street", "Wacker Drive",
         "Congress Avenue", "Broadway", "Fifth Avenue", "Peachtree Street NE", "Brickell Ave"),
        (
            _us_city("New York", "NY", "100", "212"), _us_city("Chicago", "IL", "606", "312"),
            _us_city("Los Angeles", "CA", "900", "213"),
            _us_city("San Francisco", "CA", "941", "415"), _us_city("Dallas", "TX", "752", "214"),
            _us_city("Houston", "TX", "770", "713"), _us_city("Miami", "FL", "331", "305"),
            _us_city("Atlanta", "GA", "303", "404"), _us_city("Boston", "MA", "021", "617"),
            _us_city("Denver", "CO", "802", "303"), _us_city("Seattle", "WA", "981", "206"),
            _us_city("Charlotte", "NC", "282", "704"), _us_city("Austin", "TX", "787", "512"),
        ),
    ),
    "CA": _Country(
        ".ca",
        ("Inc.", "Ltd.", ""),
        ("Bay Street", "King Street West", "Burrard Street"),
        (
            City("Toronto", "ON", "M5H #N#", "1", "", "416555", 4, (3, 3, 4)),
            City("Vancouver", "BC", "V6C #E#", "1", "", "604555", 4, (3, 3, 4)),
        ),
    ),
    "GB": _Country(
        ".co.uk",
        ("Ltd", "LLP", "plc"),
        ("Bishopsgate", "Cheapside", "King Street", "Moorgate"),
        (
            # Ofcom keeps 020 7946 0xxx and 0161 496 0xxx for drama.
            City("London", None, "EC2V #AY", "44", "0", "2079460", 3, (2, 4, 4)),
            City("Manchester", None, "M2 #BB", "44", "0", "1614960", 3, (3, 3, 4)),
        ),
    ),
    "DE": _Country(
        ".de",
        ("GmbH", "AG", "GmbH & Co. KG"),
        ("Friedrichstraße", "Taunusanlage", "Maximilianstraße"),
        (
            City("Berlin", None, "101##", "49", "0", "30", 8, (2, 8)),
            City("Frankfurt am Main", None, "603##", "49", "0", "69", 8, (2, 8)),
        ),
    ),
    "FR": _Country(
        ".fr",
        ("SA", "SAS", ""),
        ("rue de Rivoli", "avenue des Champs-Élysées", "boulevard Haussmann"),
        (City("Paris", None, "750##", "33", "0", "1", 8, (1, 2, 2, 2, 2)),),
    ),
    "NO": _Country(
        ".no",
        ("AS", "ASA"),
        ("Karl Johans gate", "Dronning Eufemias gate"),
        (City("Oslo", None, "01##", "47", "", "2", 7, (2, 2, 2, 2)),),
    ),
    "NL": _Country(
        ".nl",
        ("B.V.", "N.V."),
        ("Herengracht", "Zuidas", "Keizersgracht"),
        (City("Amsterdam", None, "101# AB", "31", "0", "20", 7, (2, 3, 4)),),
    ),
    "AU": _Country(
        ".com.au",
        ("Pty Ltd", "Limited"),
        ("George Street", "Collins Street", "Pitt Street"),
        (
            City("Sydney", "NSW", "20##", "61", "0", "2", 8, (1, 4, 4)),
            City("Melbourne", "VIC", "30##", "61", "0", "3", 8, (1, 4, 4)),
        ),
    ),
    "MX": _Country(
        ".com.mx",
        ("S.A. de C.V.", "S.C."),
        ("Paseo de la Reforma", "Avenida Insurgentes Sur"),
        (City("Ciudad de México", "CDMX", "06###", "52", "", "55", 8, (2, 4, 4)),),
    ),
}  # fmt: skip
_COUNTRY_POOL = weighted_pool(
    {"US": 0.62, "CA": 0.05, "GB": 0.10, "DE": 0.06, "FR": 0.04, "NO": 0.03, "NL": 0.03,
     "AU": 0.04, "MX": 0.03}
)  # fmt: skip

# Local parts of work addresses, each firm using one convention for everybody.
EMAIL_FORMATS = ("first.last", "flast", "first", "firstlast", "f.last", "first_last", "last.first")
_FORMAT_POOL = weighted_pool(
    {"first.last": 0.42, "flast": 0.30, "first": 0.06, "firstlast": 0.08, "f.last": 0.07,
     "first_last": 0.04, "last.first": 0.03}
)  # fmt: skip
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Company:
    """A firm that people in both CRMs work at.

    Attributes:
        company_id: SprintMode's id for it, like "co_k3v9qa".
        name: As SprintMode's company_name has it.
        domain: Its email domain.
        email_format: One of EMAIL_FORMATS, which the firm builds work addresses with.
        address: Street address of its office.
        city: The office's city, which also shapes its phone numbers.
        postcode: The office's postcode.
    """

    company_id: str
    name: str
    domain: str
    email_format: str
    address: str
    city: City
    postcode: str


def max_companies() -> int:
    """Returns how many distinct firms `generate_companies` can name."""
    return len(_NAME_WORDS) * len(_KIND_WORDS)


def generate_companies(rng: random.Random, n_companies: int) -> list[Company]:
    """Returns `n_companies` firms with distinct names, domains and SprintMode ids.

    Raises:
        ValueError: If more firms are asked for than `max_companies()`.
    """
    if n_companies > max_companies():
        raise ValueError(f"at most {max_companies()} companies, not {n_companies}")
    combinations = [(words, kind) for words in _NAME_WORDS for kind in _KIND_WORDS]
    rng.shuffle(combinations)
    companies: list[Company] = []
    domains: set[str] = set()
    ids: set[str] = set()
    for words, kind in combinations[:n_companies]:
        country = COUNTRIES[pick(rng, _COUNTRY_POOL)]
        suffix = pick(rng, country.legal_suffixes) if rng.random() < 0.5 else ""
        # Firms shorten their names for the domain, when the short one is still free.
        stem = ascii_slug(words + kind)
        for short in (ascii_slug(words), ascii_slug(words) + ascii_slug(kind)[:3]):
            if rng.random() < 0.5 and short + country.tld not in domains:
                stem = short
                break
        domain, number = stem + country.tld, 1
        while domain in domains:
            number += 1
            domain = f"{stem}{number}{country.tld}"
        domains.add(domain)
        company_id = "co_" + "".join(pick(rng, _ID_ALPHABET) for _ in range(6))
        while company_id in ids:
            company_id = "co_" + "".join(pick(rng, _ID_ALPHABET) for _ in range(6))
        ids.add(company_id)
        city = pick(rng, country.cities)
        companies.append(
            Company(
                company_id=company_id,
                name=f"{words} {kind} {suffix}".strip(),
                domain=domain,
                email_format=pick(rng, _FORMAT_POOL),
                address=f"{1 + int(rng.random() * 900)} {pick(rng, country.streets)}",
                city=city,
                postcode=_digits_for_hashes(rng, city.postcode),
            )
        )
    return companies


def local_part(email_format: str, first_slug: str, last_slug: str) -> str:
    """Returns the local part of an address built from name slugs in one of EMAIL_FORMATS.

    A missing slug falls back to the other one, and both missing to "contact.person".
    """
    if not first_slug or not last_slug:
        return first_slug or last_slug or "contact.person"
    return {
        "first.last": f"{first_slug}.{last_slug}",
        "flast": f"{first_slug[0]}{last_slug}",
        "first": first_slug,
        "firstlast": f"{first_slug}{last_slug}",
        "f.last": f"{first_slug[0]}.{last_slug}",
        "first_last": f"{first_slug}_{last_slug}",
        "last.first": f"{last_slug}.{first_slug}",
    }[email_format]


def _digits_for_hashes(rng: random.Random, template: str) -> str:
    return "".join(pick(rng, "0123456789") if char == "#" else char for char in template)


def phone_number(rng: random.Random, city: City) -> str:
    """Returns a new national number (digits only, without the trunk prefix) at `city`."""
    return city.area + "".join(pick(rng, "0123456789") for _ in range(city.subscriber_digits))


def formatted_phone(rng: random.Random, city: City, digits: str) -> str:
    """Returns a national number written in one of the ways people write it at `city`.

    North American numbers come as E.164, "(212) 555-0142", "212.555.0142", "212-555-0142",
    "+1 212-555-0142" or "1-212-555-0142", a tenth with an extension; others as E.164,
    "+44 20 7946 0958", "020 7946 0958" or "+44 (0)20 7946 0958".
    """
    groups, start = [], 0
    for size in city.groups:
        groups.append(digits[start : start + size])
        start += size
    roll = rng.random()
    if city.calling_code == "1":
        area, exchange, line = groups
        if roll < 0.25:
            text = f"+1{digits}"
        elif roll < 0.5:
            text = f"({area}) {exchange}-{line}"
        elif roll < 0.6:
            text = f"{area}.{exchange}.{line}"
        elif roll < 0.75:
            text = f"{area}-{exchange}-{line}"
        elif roll < 0.92:
            text = f"+1 {area}-{exchange}-{line}"
        else:
            text = f"1-{area}-{exchange}-{line}"
        if rng.random() < 0.1:
            extension = 100 + int(rng.random() * 900)
            text += f" x{extension}" if rng.random() < 0.6 else f" ext. {extension}"
        return text
    spaced = " ".join(groups)
    if roll < 0.3:
        return f"+{city.calling_code}{digits}"
    if roll < 0.65 or not city.trunk:
        return f"+{city.calling_code} {spaced}"
    if roll < 0.85:
        return f"{city.trunk}{spaced}"
    return f"+{city.calling_code} ({city.trunk}){spaced}"

"""The labelled population: determinism, truth, and the documented rates of variation."""

import re
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from demo.simulators import LabelledPopulation, febrl_population, generate_population
from demo.simulators.data.identities import (
    DUPLICATE_RATE,
    EVIDENCE_RATES,
    LINKEDIN_RATE,
    NAMESAKE_RATE,
    PRESENCE_RATES,
    ROLE_MAILBOX_RATE,
    ROLE_MAILBOXES,
    febrl_records,
)
from demo.simulators.data.names import NAME_VARIATION_RATES, NICKNAMES, unaccented
from demo.simulators.data.people import PERSONAL_DOMAINS

SEED = 1
N_PEOPLE = 2000
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SQL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_SLUG = re.compile(r"linkedin\.com/in/([^/?]+)", re.IGNORECASE)


@pytest.fixture(scope="module")
def population() -> LabelledPopulation:
    return generate_population(SEED, N_PEOPLE)


@pytest.fixture(scope="module")
def contacts(population: LabelledPopulation) -> dict[str, dict[str, Any]]:
    """Every contact by key, "levcapital:<id>" or "sprintmode:<id>"."""
    keyed = {f"levcapital:{contact['id']}": contact for contact in population.levcapital}
    keyed.update({f"sprintmode:{contact['id']}": contact for contact in population.sprintmode})
    return keyed


@pytest.fixture(scope="module")
def by_person(population: LabelledPopulation) -> dict[str, list[str]]:
    """Each person's contact keys."""
    keys: dict[str, list[str]] = defaultdict(list)
    for key, person_id in population.person_ids.items():
        keys[person_id].append(key)
    return keys


def system(key: str) -> str:
    return key.partition(":")[0]


def plain(email: str | None) -> str | None:
    return None if email is None else email.strip().lower()


def domain(email: str | None) -> str | None:
    return None if email is None else plain(email).partition("@")[2]


def profile(url: str | None) -> str | None:
    match = _SLUG.search(url or "")
    return match and match.group(1).lower()


def damerau_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    rows = [[i + j if not i or not j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


# Determinism and the shape of the truth


def test_the_same_seed_gives_the_same_population_and_another_seed_another() -> None:
    first, again, other = (generate_population(seed, 300) for seed in (5, 5, 6))

    assert first == again
    assert first.levcapital != other.levcapital
    assert first.person_ids != other.person_ids


def test_every_contact_has_a_person_and_nothing_else_does(
    population: LabelledPopulation, contacts: dict[str, dict[str, Any]]
) -> None:
    assert set(population.person_ids) == set(contacts)
    assert len(set(population.person_ids.values())) == N_PEOPLE
    assert len(contacts) == len(population.levcapital) + len(population.sprintmode)


def test_ids_look_like_each_apis_and_levcapital_lists_every_contact(
    population: LabelledPopulation,
) -> None:
    lev_ids = [contact["id"] for contact in population.levcapital]
    sm_ids = [contact["id"] for contact in population.sprintmode]

    assert all(type(contact_id) is int for contact_id in lev_ids)
    assert lev_ids == sorted(set(lev_ids))
    assert all(contact["is_connected"] is True for contact in population.levcapital)
    assert all(re.fullmatch(r"ct_[0-9a-f]{8}", contact_id) for contact_id in sm_ids)
    assert len(set(sm_ids)) == len(sm_ids)


def test_contact_person_ids_and_true_pairs_agree_with_person_ids(
    population: LabelledPopulation, by_person: dict[str, list[str]]
) -> None:
    lev = population.contact_person_ids("levcapital")
    cross = population.true_pairs(across_systems=True)
    pairs = population.true_pairs()
    both = [keys for keys in by_person.values() if len({system(key) for key in keys}) == 2]

    assert lev == {int(key[11:]): p for key, p in population.person_ids.items() if key[0] == "l"}
    assert cross < pairs
    assert all(population.person_ids[a] == population.person_ids[b] for a, b in pairs)
    assert len(cross) == sum(
        sum(system(key) == "levcapital" for key in keys)
        * sum(system(key) == "sprintmode" for key in keys)
        for keys in both
    )
    with pytest.raises(ValueError, match="system must be"):
        population.contact_person_ids("hubspot")


def test_cross_system_pairs_of_seed_1(population: LabelledPopulation) -> None:
    # Pinned so that a change to the generator is a visible decision, not an accident.
    assert len(population.true_pairs(across_systems=True)) == 620
    assert len(population.true_pairs()) == 674


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="n_people"):
        generate_population(SEED, -1)


# Documented rates, on 2,000 people


def test_presence_and_duplicate_rates(by_person: dict[str, list[str]]) -> None:
    presence = Counter(
        "both" if len(systems) == 2 else systems.pop()
        for systems in ({system(key) for key in keys} for keys in by_person.values())
    )
    duplicated = sum(len(keys) > len({system(key) for key in keys}) for keys in by_person.values())

    for where, rate in PRESENCE_RATES.items():
        assert presence[where] / N_PEOPLE == pytest.approx(rate, abs=0.04), where
    assert duplicated / N_PEOPLE == pytest.approx(DUPLICATE_RATE, abs=0.015)


def test_evidence_rates_and_only_people_with_several_contacts_have_evidence(
    population: LabelledPopulation, by_person: dict[str, list[str]]
) -> None:
    several = {person for person, keys in by_person.items() if len(keys) > 1}
    shares = Counter(population.link_evidence.values())

    assert set(population.link_evidence) == several
    for kind, rate in EVIDENCE_RATES.items():
        assert shares[kind] / len(several) == pytest.approx(rate, abs=0.05), kind


def _same_email(contacts: list[dict[str, Any]]) -> bool:
    return len({plain(contact["email"]) for contact in contacts}) == 1 and all(
        contact["email"] for contact in contacts
    )


def _email_alias(contacts: list[dict[str, Any]]) -> bool:
    emails = [plain(contact["email"]) for contact in contacts]
    return (
        all(emails)
        and len({domain(email) for email in emails}) == 1
        and len({email.partition("@")[0] for email in emails}) == len(emails)
        and domain(emails[0]) not in PERSONAL_DOMAINS
    )


def _personal_email_and_linkedin(contacts: list[dict[str, Any]]) -> bool:
    domains = {domain(contact["email"]) in PERSONAL_DOMAINS for contact in contacts}
    urls = [contact["linkedin_url"] for contact in contacts]
    return (
        domains == {True, False}
        and all(urls)
        and len({profile(url) for url in urls}) == 1
        and len(set(urls)) > 1
    )


def _name_and_company(contacts: list[dict[str, Any]]) -> bool:
    emails = [plain(contact["email"]) for contact in contacts if contact["email"]]
    with_profile = [contact for contact in contacts if contact["linkedin_url"]]
    unrelated = len(emails) < len(contacts) or len({domain(email) for email in emails}) > 1
    return len(set(emails)) == len(emails) and unrelated and len(with_profile) <= 1


@pytest.mark.parametrize(
    ("kind", "holds"),
    [
        pytest.param("same_email", _same_email, id="same-email"),
        pytest.param("email_alias", _email_alias, id="email-alias"),
        pytest.param(
            "personal_email_and_linkedin", _personal_email_and_linkedin, id="personal-linkedin"
        ),
        pytest.param("name_and_company", _name_and_company, id="name-and-company"),
    ],
)
def test_each_person_has_the_evidence_they_are_labelled_with(
    population: LabelledPopulation,
    contacts: dict[str, dict[str, Any]],
    by_person: dict[str, list[str]],
    kind: str,
    holds: Any,
) -> None:
    people = [person for person, evidence in population.link_evidence.items() if evidence == kind]

    failing = [person for person in people if not holds([contacts[k] for k in by_person[person]])]

    assert len(people) > 50
    assert failing == []


def test_name_and_company_leaves_sprintmode_with_the_company_name(
    population: LabelledPopulation,
    contacts: dict[str, dict[str, Any]],
    by_person: dict[str, list[str]],
) -> None:
    people = [p for p, kind in population.link_evidence.items() if kind == "name_and_company"]
    sprintmode = [contacts[key] for person in people for key in by_person[person] if key[0] == "s"]

    assert len(sprintmode) > 30
    assert all(contact["company_name"] for contact in sprintmode)


def test_name_variation_rates(
    population: LabelledPopulation, by_person: dict[str, list[str]]
) -> None:
    further_contacts = len(population.person_ids) - len(by_person)
    shares = Counter(population.name_variations.values())

    for kind, rate in NAME_VARIATION_RATES.items():
        assert shares[kind] / further_contacts == pytest.approx(rate, abs=0.03), kind


def _reference_names(
    population: LabelledPopulation,
    contacts: dict[str, dict[str, Any]],
    by_person: dict[str, list[str]],
) -> dict[str, tuple[str, str]]:
    """Each person's name, as every contact of theirs without a name variation has it."""
    names = {}
    for person, keys in by_person.items():
        plain_names = {
            (contacts[key]["first_name"], contacts[key]["last_name"])
            for key in keys
            if key not in population.name_variations
        }
        assert len(plain_names) == 1, person
        names[person] = plain_names.pop()
    return names


def _is_variation(kind: str, name: tuple[str, str], varied: tuple[Any, Any]) -> bool:
    """Returns whether `varied` is `name` typed with the NAME_VARIATION_RATES kind `kind`."""
    first, last = name
    if kind == "nickname":
        return varied[1] == last and varied[0] in NICKNAMES.get(first, ())
    if kind == "accents_dropped":
        return varied == (unaccented(first), unaccented(last)) != name
    if kind == "swapped":
        return varied == (last, first)
    if kind == "missing_part":
        return varied in ((None, last), (first, None))
    if kind == "typo":
        if varied[0] == first:
            return damerau_distance(varied[1], last) == 1
        return varied[1] == last and damerau_distance(varied[0], first) == 1
    assert kind == "case_whitespace"
    folded = tuple(" ".join(part.split()).lower() for part in varied)
    return varied != name and folded == (first.lower(), last.lower())


def test_each_name_variation_is_the_one_it_is_labelled(
    population: LabelledPopulation,
    contacts: dict[str, dict[str, Any]],
    by_person: dict[str, list[str]],
) -> None:
    names = _reference_names(population, contacts, by_person)

    wrong = []
    for key, kind in population.name_variations.items():
        name = names[population.person_ids[key]]
        varied = (contacts[key]["first_name"], contacts[key]["last_name"])
        if not _is_variation(kind, name, varied):
            wrong.append((kind, name, varied))

    assert len(population.name_variations) > 150
    assert wrong == []


def test_namesakes_are_different_people_mostly_at_other_firms(
    population: LabelledPopulation,
    contacts: dict[str, dict[str, Any]],
    by_person: dict[str, list[str]],
) -> None:
    names = _reference_names(population, contacts, by_person)
    people_by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for person, name in names.items():
        people_by_name[name].append(person)
    namesakes = [people for people in people_by_name.values() if len(people) > 1]
    firms = {
        population.person_ids[key]: contact["company_id"]
        for key, contact in contacts.items()
        if key[0] == "s" and contact["company_id"]
    }
    pairs_with_firms = [
        (firms[a], firms[b])
        for people in namesakes
        for a in people
        for b in people
        if a < b and a in firms and b in firms
    ]

    assert len(pairs_with_firms) > 10
    assert sum(a == b for a, b in pairs_with_firms) <= len(pairs_with_firms) // 10


def test_about_namesake_rate_of_people_have_a_namesake_in_a_small_population() -> None:
    # Among 300 people the pools make hardly any namesakes by chance, so the deliberate show.
    small = generate_population(SEED, 300)
    keyed = {f"levcapital:{contact['id']}": contact for contact in small.levcapital}
    keyed.update({f"sprintmode:{contact['id']}": contact for contact in small.sprintmode})
    people_by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, contact in keyed.items():
        if key not in small.name_variations:
            name = (contact["first_name"], contact["last_name"])
            people_by_name[name].add(small.person_ids[key])

    with_namesake = sum(len(people) for people in people_by_name.values() if len(people) > 1)

    assert NAMESAKE_RATE <= with_namesake / 300 <= 1.5 * NAMESAKE_RATE


def test_role_mailboxes_are_shared_by_different_people_in_one_system_and_across(
    population: LabelledPopulation, contacts: dict[str, dict[str, Any]]
) -> None:
    mailboxes: dict[str, list[str]] = defaultdict(list)
    for key, contact in contacts.items():
        email = plain(contact["email"])
        if email and email.partition("@")[0] in ROLE_MAILBOXES:
            mailboxes[email].append(key)
    users = sum(map(len, mailboxes.values()))
    people = {
        mailbox: {population.person_ids[key] for key in keys} for mailbox, keys in mailboxes.items()
    }

    assert users / len(contacts) == pytest.approx(ROLE_MAILBOX_RATE, abs=0.005)
    assert all(len(people[mailbox]) == len(keys) >= 2 for mailbox, keys in mailboxes.items())
    assert any(len({system(key) for key in keys}) == 2 for keys in mailboxes.values())
    assert any(
        max(Counter(system(key) for key in keys).values()) >= 2 for keys in mailboxes.values()
    )


def test_no_two_people_share_an_address_or_a_profile_unless_it_is_a_role_mailbox() -> None:
    # 5,000 people, where namesakes and shared name patterns abound.
    larger = generate_population(SEED, 5000)
    people_by_email: dict[str, set[str]] = defaultdict(set)
    people_by_profile: dict[str, set[str]] = defaultdict(set)
    for where in ("levcapital", "sprintmode"):
        for contact in getattr(larger, where):
            person = larger.person_ids[f"{where}:{contact['id']}"]
            if contact["email"]:
                people_by_email[plain(contact["email"])].add(person)
            if contact["linkedin_url"]:
                people_by_profile[profile(contact["linkedin_url"])].add(person)

    shared = {email for email, people in people_by_email.items() if len(people) > 1}
    assert shared and all(email.partition("@")[0] in ROLE_MAILBOXES for email in shared)
    assert all(len(people) == 1 for people in people_by_profile.values())


def test_linkedin_profiles_of_about_60_percent_in_many_spellings(
    contacts: dict[str, dict[str, Any]], by_person: dict[str, list[str]]
) -> None:
    with_profile = sum(
        any(contacts[key]["linkedin_url"] for key in keys) for keys in by_person.values()
    )
    urls = [contact["linkedin_url"] for contact in contacts.values() if contact["linkedin_url"]]
    spellings = {_SLUG.sub("linkedin.com/in/<slug>", url) for url in urls}

    assert with_profile / N_PEOPLE == pytest.approx(LINKEDIN_RATE, abs=0.05)
    assert len(spellings) >= 10
    assert all(profile(url) for url in urls)


# Phones, titles, timestamps, firms


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(r"\+1\d{10}", id="e164"),
        pytest.param(r"\(\d{3}\) \d{3}-\d{4}", id="parenthesised"),
        pytest.param(r"\d{3}\.\d{3}\.\d{4}", id="dotted"),
        pytest.param(r".* (x|ext\. )\d{3}", id="extension"),
        pytest.param(r"\+44 20 7946 \d{4}", id="london"),
        pytest.param(r"\+(?!1)\d{2} .*", id="international"),
    ],
)
def test_sprintmode_phones_come_in_many_formats(population: LabelledPopulation, shape: str) -> None:
    phones = [contact["phone"] for contact in population.sprintmode if contact["phone"]]

    assert sum(bool(re.fullmatch(shape, phone)) for phone in phones) >= 5


def test_a_persons_sprintmode_contacts_mostly_share_the_phone_number(
    contacts: dict[str, dict[str, Any]], by_person: dict[str, list[str]]
) -> None:
    def digits(phone: str | None) -> str | None:
        return phone and re.sub(r"\D", "", phone.split(" x")[0].split(" ext")[0])[-7:]

    twice = [keys for keys in by_person.values() if sum(key[0] == "s" for key in keys) == 2]
    phones = [[contacts[key]["phone"] for key in keys if key[0] == "s"] for keys in twice]
    both = [pair for pair in phones if all(pair)]

    assert len(twice) >= 15
    assert len(both) >= 0.6 * len(twice)
    assert sum(digits(a) == digits(b) for a, b in both) >= 0.7 * len(both)


def test_a_persons_contacts_mostly_share_title_and_department(
    contacts: dict[str, dict[str, Any]], by_person: dict[str, list[str]]
) -> None:
    pairs = [[contacts[key] for key in keys[:2]] for keys in by_person.values() if len(keys) > 1]
    same_title = sum(a["title"] == b["title"] for a, b in pairs)
    same_department = sum(a["department"] == b["department"] for a, b in pairs)

    assert 0.6 * len(pairs) <= same_title < len(pairs)
    assert 0.55 * len(pairs) <= same_department < len(pairs)


def test_timestamps_are_in_each_apis_format_and_created_before_updated(
    population: LabelledPopulation,
) -> None:
    lev = [(contact["created_at"], contact["updated_at"]) for contact in population.levcapital]
    sm = [(contact["created_at"], contact["updated_at"]) for contact in population.sprintmode]
    lev_dated = [(c, u) for c, u in lev if c and u]

    assert all(ISO_Z.fullmatch(stamp) for pair in lev_dated for stamp in pair)
    assert all(c <= u for c, u in lev_dated)
    assert 0 < sum(u is None for _, u in lev) < 0.05 * len(lev)
    assert all(SQL_TIME.fullmatch(c) and SQL_TIME.fullmatch(u) and c <= u for c, u in sm)
    assert min(datetime.fromisoformat(c) for c, _ in sm) >= datetime(2023, 1, 1)


def test_people_work_at_hundreds_of_firms(population: LabelledPopulation) -> None:
    firms = Counter(contact["company_name"] for contact in population.sprintmode)
    domains = {domain(contact["email"]) for contact in population.levcapital}

    assert len(firms) >= 250
    assert max(firms.values()) < 0.05 * len(population.sprintmode)
    assert len(domains) >= 250


# FEBRL


@pytest.fixture(scope="module")
def febrl() -> LabelledPopulation:
    return febrl_population(SEED)


def test_febrl_population_has_every_vendored_record_once_and_its_cross_pairs(
    febrl: LabelledPopulation,
) -> None:
    assert len(febrl_records()) == 2000
    assert len(set(febrl.person_ids.values())) == 2000
    assert len(febrl.true_pairs(across_systems=True)) == 671
    assert febrl.name_variations == {}


def test_febrl_held_out_part_has_the_other_records_and_names_its_own_people() -> None:
    tuning, held_out = febrl_records("tuning"), febrl_records("held_out")
    population = febrl_population(SEED, part="held_out")
    names = {(contact["first_name"], contact["last_name"]) for contact in population.levcapital} | {
        (contact["first_name"], contact["last_name"]) for contact in population.sprintmode
    }

    assert len(held_out) == 2000
    # Names that recur (smith, john) make a few records alike; the rest differ.
    assert len(set(tuning) & set(held_out)) < 20
    assert len(set(population.person_ids.values())) == 2000
    assert names <= {names for record in held_out for names in record}


def test_febrl_people_in_both_have_the_original_in_levcapital_and_the_duplicate_in_sprintmode(
    febrl: LabelledPopulation,
) -> None:
    records = set(febrl_records())
    names: dict[str, dict[str, list[tuple[str | None, str | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for where in ("levcapital", "sprintmode"):
        for contact in getattr(febrl, where):
            person = febrl.person_ids[f"{where}:{contact['id']}"]
            names[person][where].append((contact["first_name"], contact["last_name"]))
    in_both = [
        n
        for n in names.values()
        if len(n) == 2 and len(n["levcapital"]) == 1 == len(n["sprintmode"])
    ]
    originals = {original for original, _ in records}
    duplicates = {duplicate for _, duplicate in records}

    assert len(in_both) > 500
    assert all((n["levcapital"][0], n["sprintmode"][0]) in records for n in in_both)
    assert all(
        n["levcapital"][0] in originals for n in names.values() if len(n) == 1 and "levcapital" in n
    )
    assert all(
        n["sprintmode"][0] in duplicates
        for n in names.values()
        if len(n) == 1 and "sprintmode" in n
    )
    # FEBRL's own errors, none added: some duplicates differ, some are exactly the original.
    assert 0 < sum(n["levcapital"][0] != n["sprintmode"][0] for n in in_both) < len(in_both)


def test_febrl_population_can_be_smaller_but_not_larger_than_the_records() -> None:
    assert len(set(febrl_population(SEED, 100).person_ids.values())) == 100
    with pytest.raises(ValueError, match="from 0 to 2000"):
        febrl_population(SEED, 2001)

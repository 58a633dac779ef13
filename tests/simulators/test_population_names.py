"""The labelled population's building blocks: name variation, firms, addresses and phones."""

import random
from collections import Counter

import pytest

from demo.simulators.data.companies import (
    COUNTRIES,
    formatted_phone,
    generate_companies,
    local_part,
    max_companies,
)
from demo.simulators.data.names import (
    ACCENTED_SHARE,
    FIRST_NAMES,
    LAST_NAMES,
    NAME_VARIATION_RATES,
    NICKNAMED_SHARE,
    NICKNAMES,
    person_name,
    typo,
    unaccented,
    vary_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("José", "Jose", id="acute"),
        pytest.param("Łukasz", "Lukasz", id="stroke"),
        pytest.param("Ødegaard", "Odegaard", id="slashed-o"),
        pytest.param("Nguyễn", "Nguyen", id="stacked-marks"),
        pytest.param("K\u0131l\u0131\u00e7", "Kilic", id="dotless-i"),
        pytest.param("García Márquez", "Garcia Marquez", id="two-words"),
        pytest.param("O'Brien", "O'Brien", id="ascii-unchanged"),
    ],
)
def test_unaccented(name: str, expected: str) -> None:
    assert unaccented(name) == expected


def test_typo_changes_one_letter_after_the_first_and_leaves_short_names_alone() -> None:
    rng = random.Random(3)

    typed = [typo(rng, "Katherine") for _ in range(200)]

    assert all(name != "Katherine" and name[0] == "K" for name in typed)
    assert {len(name) for name in typed} == {8, 9}
    assert typo(rng, "Li") == "Li"


def test_vary_name_can_draw_every_kind() -> None:
    rng = random.Random(4)

    kinds = {vary_name(rng, "Robert", "Müller")[2] for _ in range(2000)}

    assert kinds == {None, *NAME_VARIATION_RATES}


def test_names_that_can_have_a_nickname_or_accents_get_them_more_often() -> None:
    rng = random.Random(5)
    draws = 4000

    nicknamed = Counter(vary_name(rng, "Robert", "Smith")[2] for _ in range(draws))
    accented = Counter(vary_name(rng, "Wei", "Nguyễn")[2] for _ in range(draws))
    neither = Counter(vary_name(rng, "Wei", "Chen")[2] for _ in range(draws))
    short = Counter(vary_name(rng, "Li", "Na")[2] for _ in range(draws))

    # So that about NAME_VARIATION_RATES of all further contacts get each kind.
    nickname_odds = NAME_VARIATION_RATES["nickname"] / NICKNAMED_SHARE
    accent_odds = NAME_VARIATION_RATES["accents_dropped"] / ACCENTED_SHARE
    assert nicknamed["nickname"] / draws == pytest.approx(nickname_odds, abs=0.03)
    assert accented["accents_dropped"] / draws == pytest.approx(accent_odds, abs=0.03)
    assert neither["typo"] / draws == pytest.approx(NAME_VARIATION_RATES["typo"], abs=0.02)
    assert "nickname" not in neither and "accents_dropped" not in neither
    assert "typo" not in short


def test_name_pools_are_large_and_every_nickname_belongs_to_a_pooled_name() -> None:
    rng = random.Random(5)

    drawn = {person_name(rng) for _ in range(5000)}

    assert len(FIRST_NAMES) >= 400 and len(LAST_NAMES) >= 400
    assert len(NICKNAMES) >= 40
    assert set(NICKNAMES) <= set(FIRST_NAMES)
    assert len(drawn) > 4500


@pytest.mark.parametrize(
    ("email_format", "first", "last", "expected"),
    [
        pytest.param("first.last", "john", "smith", "john.smith", id="first.last"),
        pytest.param("flast", "john", "smith", "jsmith", id="flast"),
        pytest.param("last.first", "john", "smith", "smith.john", id="last.first"),
        pytest.param("flast", "", "smith", "smith", id="no-first-name"),
        pytest.param("f.last", "", "", "contact.person", id="no-name"),
    ],
)
def test_local_part(email_format: str, first: str, last: str, expected: str) -> None:
    assert local_part(email_format, first, last) == expected


def test_companies_have_distinct_names_domains_and_ids() -> None:
    companies = generate_companies(random.Random(6), 1500)

    assert len({company.name for company in companies}) == 1500
    assert len({company.domain for company in companies}) == 1500
    assert len({company.company_id for company in companies}) == 1500
    assert {company.city.calling_code for company in companies} >= {"1", "44", "49", "33"}
    with pytest.raises(ValueError, match="at most"):
        generate_companies(random.Random(6), max_companies() + 1)


def test_formatted_phone_writes_one_number_many_ways() -> None:
    rng = random.Random(7)
    new_york = COUNTRIES["US"].cities[0]
    london = COUNTRIES["GB"].cities[0]

    us = {formatted_phone(rng, new_york, "2125550142") for _ in range(300)}
    uk = {formatted_phone(rng, london, "2079460958") for _ in range(100)}

    assert {"+12125550142", "(212) 555-0142", "212.555.0142", "+1 212-555-0142"} <= us
    assert any(phone.startswith("(212) 555-0142 x") for phone in us)
    assert uk == {
        "+442079460958", "+44 20 7946 0958", "020 7946 0958", "+44 (0)20 7946 0958"
    }  # fmt: skip

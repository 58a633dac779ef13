"""Phone numbers in E.164."""

import pyarrow as pa
import pytest

from pipelines.identity.phones import to_e164, to_e164_array


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(212) 555-0142", "+12125550142"),
        ("212.555.0142", "+12125550142"),
        ("+1 212-555-0142 x204", "+12125550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("555-0142", None),  # no area code: any of the region's cities
        ("call me", None),
        ("", None),
        (None, None),
    ],
)
def test_to_e164(typed, e164):
    assert to_e164(typed, "US") == e164


def test_the_default_region_applies_only_without_a_country_code():
    assert to_e164("020 7946 0958", "GB") == "+442079460958"
    assert to_e164("+1 212 555 0142", "GB") == "+12125550142"


def test_to_e164_array_keeps_order_and_nulls():
    phones = pa.array(["(212) 555-0142", None, "(212) 555-0142", "nope"])

    assert to_e164_array(phones, "US").to_pylist() == ["+12125550142", None, "+12125550142", None]

"""`reject_key`: what identifies a rejected item from night to night."""

import hashlib

import pytest

from pipelines.sources.contacts.contract import RejectedContact
from pipelines.sources.contacts.rejects import reject_key


def payload_key(json_text: str) -> str:
    return "payload:" + hashlib.blake2b(json_text.encode(), digest_size=12).hexdigest()


@pytest.mark.parametrize(
    ("contact_id", "expected"),
    [
        pytest.param(84, "84", id="integer-id"),
        pytest.param("c-84", "c-84", id="string-id"),
        pytest.param(0, "0", id="id-zero"),
    ],
)
def test_a_reject_with_an_id_is_keyed_by_its_id_as_text(contact_id: object, expected: str) -> None:
    item = {"id": contact_id, "first_name": 42}

    assert reject_key(item, RejectedContact(contact_id, "first_name is a number")) == expected


def test_a_reject_with_an_id_keeps_its_key_when_its_content_changes() -> None:
    one = reject_key({"id": 84, "first_name": 1}, RejectedContact(84, "a"))
    other = reject_key({"id": 84, "first_name": 2}, RejectedContact(84, "b"))

    assert one == other == "84"


@pytest.mark.parametrize(
    ("item", "json_text"),
    [
        pytest.param({"first_name": "Zoë"}, '{"first_name": "Zoë"}', id="object-without-id"),
        pytest.param({"id": "42"}, '{"id": "42"}', id="id-of-the-wrong-type"),
        pytest.param([1, 2], "[1, 2]", id="list"),
        pytest.param("oops", '"oops"', id="string"),
    ],
)
def test_a_reject_without_an_id_is_keyed_by_a_digest_of_its_payload(
    item: object, json_text: str
) -> None:
    assert reject_key(item, RejectedContact(None, "has no id")) == payload_key(json_text)


def test_two_payloads_without_an_id_have_different_keys() -> None:
    rejected = RejectedContact(None, "has no id")

    assert reject_key({"name": "a"}, rejected) != reject_key({"name": "b"}, rejected)


def test_a_reject_without_an_id_keeps_its_key_when_its_fields_come_in_another_order() -> None:
    rejected = RejectedContact(None, "has no id")

    assert reject_key({"email": "a@x.com", "title": "CFO"}, rejected) == reject_key(
        {"title": "CFO", "email": "a@x.com"}, rejected
    )

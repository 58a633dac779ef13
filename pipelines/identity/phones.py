"""Phone numbers in E.164 (`+12125550142`), with the `phonenumbers` package."""

from __future__ import annotations

import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult


def to_e164(phone: str | None, default_region: str) -> str | None:
    """Returns `phone` in E.164, or None when it is not a complete number.

    Args:
        phone: As typed: `(212) 555-0142`, `+44 20 7946 0958`, `212.555.0142 x204`.
        default_region: ISO 3166 region for numbers written without a country code, e.g. "US".
    """
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, default_region)
    except NumberParseException:
        return None
    # IS_POSSIBLE_LOCAL_ONLY (`555-0142`, no area code) could be anyone in the region.
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def to_e164_array(phones: pa.Array | pa.ChunkedArray, default_region: str) -> pa.Array:
    """Returns the E.164 form of each phone, parsing each distinct text once.

    Parsing costs about 15 µs a number, and contacts of one company share a switchboard.
    """
    texts = phones.to_pylist()
    normalized = {text: to_e164(text, default_region) for text in set(texts)}
    return pa.array([normalized[text] for text in texts], type=pa.string())

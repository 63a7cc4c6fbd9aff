"""Phone numbers (stored E.164), e-mail and postcode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.contact import validate_email, validate_phone, validate_postcode
from intake.errors import FieldError


def key_of(func: object, raw: str) -> str:
    assert callable(func)
    with pytest.raises(FieldError) as info:
        func(raw)
    return info.value.key


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("91234567", "+4791234567"),  # mobile, starts with 9
        ("41234567", "+4741234567"),  # mobile, starts with 4
        ("912 34 567", "+4791234567"),
        ("91 23 45 67", "+4791234567"),
        ("912-34-567", "+4791234567"),
        ("912.34.567", "+4791234567"),
        ("+47 912 34 567", "+4791234567"),
        ("+4791234567", "+4791234567"),
        ("0047 912 34 567", "+4791234567"),
        ("(+47) 912 34 567", "+4791234567"),
        ("22 22 22 22", "+4722222222"),  # Oslo landline
        ("  91234567\n", "+4791234567"),
        ("912\u00a034\u00a0567", "+4791234567"),
        ("９１２３４５６７", "+4791234567"),  # full-width
        ("".join(chr(0x0660 + int(d)) for d in "91234567"), "+4791234567"),  # Arabic-Indic
        ("+46 70 123 45 67", "+46701234567"),  # Sweden
        ("0046 70 123 45 67", "+46701234567"),
        ("+45 32 12 34 56", "+4532123456"),  # Denmark
        ("+44 20 7946 0958", "+442079460958"),  # United Kingdom
    ],
)
def test_phones_accepted_and_stored_as_e164(typed: str, e164: str) -> None:
    assert validate_phone(typed) == e164


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "phone_format"),
        ("ring meg", "phone_format"),
        ("912 34 56a", "phone_format"),
        ("++47 912 34 567", "phone_format"),
        ("912+34567", "phone_format"),
        ("+", "phone_format"),
        ("9123456", "phone_length"),  # 7 digits
        ("912345678", "phone_length"),  # 9 digits, no +
        ("47 91234567", "phone_length"),  # country code without + or 00
        ("113", "phone_length"),
        ("12345678", "phone_invalid"),  # no Norwegian number starts with 1
        ("+47 1234 5678", "phone_invalid"),
        ("+47 912 34 56", "phone_invalid"),
        ("+999 1234 5678", "phone_invalid"),  # no such country code
        ("+46 1", "phone_invalid"),
    ],
)
def test_phones_rejected(typed: str, key: str) -> None:
    assert key_of(validate_phone, typed) == key


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("kari@example.no", "kari@example.no"),
        ("  Kari.Nordmann+ke@Example.NO ", "Kari.Nordmann+ke@example.no"),
        ("ola@bø.no", "ola@bø.no"),
        ("ﬁ@example.no", "fi@example.no"),  # NFKC folds the ligature
    ],
)
def test_emails_accepted(typed: str, stored: str) -> None:
    assert validate_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "kari",
        "kari@",
        "@example.no",
        "kari@@example.no",
        "kari@example",
        "kari nordmann@example.no",
        "kari@exa mple.no",
        "kari@example..no",
        "a" * 250 + "@example.no",
    ],
)
def test_emails_rejected(typed: str) -> None:
    assert key_of(validate_email, typed) == "email_invalid"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("0150", "0150"), (" 9730 ", "9730"), ("9 730", "9730"), ("５００３", "5003")],
)
def test_postcodes_accepted(typed: str, code: str) -> None:
    assert validate_postcode(typed) == code


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("150", "postcode_format"),  # Oslo codes need their leading zero
        ("97300", "postcode_format"),
        ("0000", "postcode_format"),
        ("N-0150", "digits_only"),
        ("97a0", "digits_only"),
        ("", "digits_only"),
    ],
)
def test_postcodes_rejected(typed: str, key: str) -> None:
    assert key_of(validate_postcode, typed) == key


def _parsed_phone(text: str) -> str:
    """What `validate_phone` made of separator-free digits by `phonenumbers.parse` alone."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "NO")
    except phonenumbers.NumberParseException:
        return "phone_invalid"
    if not phonenumbers.is_valid_number(number):
        return "phone_invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _validated(raw: str) -> str:
    try:
        return validate_phone(raw)
    except FieldError as exc:
        return exc.key


@settings(max_examples=3000, deadline=None)
@given(st.text("0123456789", min_size=8, max_size=8), st.sampled_from(["", "+47", "0047"]))
def test_a_norwegian_number_reads_as_phonenumbers_parses_it(digits: str, prefix: str) -> None:
    """Eight digits, bare or after +47 (the stored form): the shortcut past `parse` gives what
    `parse` gives (a leading 0 takes `parse` itself)."""
    assert _validated(prefix + digits) == _parsed_phone(("+47" if prefix else "") + digits)


@settings(max_examples=500, deadline=None)
@given(st.text("0123456789", min_size=1, max_size=12))
def test_other_numbers_read_as_before(digits: str) -> None:
    """+47 with more or fewer than 8 digits, other country codes: `parse` as before."""
    for text in ("+" + digits, "+47" + digits):
        if len(text) != 11 or not text.startswith("+47"):
            assert _validated(text) == _parsed_phone(text), text

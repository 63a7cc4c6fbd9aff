"""Contact details: phone (stored E.164), e-mail and postcode."""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email as _check_email

from intake.errors import FieldError
from intake.identifiers import ascii_digits, only_digits

_PHONE_SEPARATORS = " .-()/\u00a0"

# phonenumbers compiles its metadata patterns through `re`, whose cache (512 patterns) the rest
# of a process keeps evicting them from, so each number was compiling them again (about 60% of
# a validation). Keep them: their number is bounded by the metadata.
phonenumbers.enable_pattern_cache()


def validate_phone(raw: str) -> str:
    """Norwegian 8-digit numbers with or without +47/0047, or international `+cc`; E.164 out."""
    text = ascii_digits(unicodedata.normalize("NFKC", raw)).strip()
    for sep in _PHONE_SEPARATORS:
        text = text.replace(sep, "")
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = text.removeprefix("+")
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise FieldError("phone_format")
    if not text.startswith("+") and len(text) != 8:
        raise FieldError("phone_length")
    national = digits[2:] if text.startswith("+47") else digits if text[0] != "+" else ""
    if len(national) == 8 and national[0] != "0":
        # A Norwegian number, 8 digits (as typed, or as stored: +47 and 8 digits): what
        # `parse` makes of it, without its two-thirds of the cost (a number is checked when
        # answered and again by the model). A leading 0 (`parse` keeps it apart) and every
        # other number go through `parse`; tests/unit/test_contact.py holds the two equal.
        number = phonenumbers.PhoneNumber(country_code=47, national_number=int(national))
    else:
        try:
            number = phonenumbers.parse(text, "NO")
        except phonenumbers.NumberParseException:  # digits, but too short or unknown country
            raise FieldError("phone_invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError("phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_email(raw: str) -> str:
    """Syntax only: a referral must not wait on a DNS lookup."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 254:
        raise FieldError("email_invalid")
    try:
        return _check_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldError("email_invalid") from None


def validate_postcode(raw: str) -> str:
    """Four digits; 0000 is no post office."""
    code = only_digits(raw, separators=" ")
    if len(code) != 4 or code == "0000":
        raise FieldError("postcode_format")
    return code

"""Norwegian identifiers: fødselsnummer, D-nummer, synthetic numbers, organisation numbers.

python-stdnum validates organisation numbers, but its fødselsnummer check knows neither the 2032
check-digit rule nor synthetic (H-, NAV- and Tenor) numbers, so that one is written out here.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import orgnr

from intake.errors import FieldError

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
# From 2032 the first check digit may leave a remainder of 0-3 (Skatteetaten's new scheme);
# the classic rule (remainder 0) is the first member of the set. A number does not say when it
# was issued (a D-number issued in 2033 may carry a 1980 birth date), so both rules always apply.
_K1_REMAINDERS = frozenset({0, 1, 2, 3})

# What people copy from letterheads: "NO 974 760 673 MVA".
_ORG_DECORATION = re.compile(r"^\s*NO\s*|\s*MVA\s*$", re.IGNORECASE)

Scheme = Literal["standard", "help", "tenor"]


@dataclass(frozen=True, slots=True)
class NationalId:
    """A checked fødselsnummer or D-nummer.

    `scheme` says where the number comes from: `standard` (Folkeregisteret), `help` (month + 40:
    H-numbers of the health services and NAV's test numbers) or `tenor` (month + 80: Skatteetaten's
    synthetic test numbers). `synthetic` is true for both of the latter: production refuses them.
    """

    value: str
    kind: Literal["fnr", "dnr"]
    birth_date: dt.date
    synthetic: bool
    scheme: Scheme = "standard"

    def __repr__(self) -> str:  # never print the whole number
        return f"NationalId({mask_national_id(self.value)!r}, kind={self.kind!r})"


def ascii_digits(text: str) -> str:
    """Fold every Unicode decimal digit (full-width, Arabic-Indic, Devanagari, ...) to ASCII;
    other characters are left alone."""
    if text.isascii():  # the usual case, and ASCII's only decimal digits are 0-9 already
        return text
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text
    )


def only_digits(raw: str, *, separators: str = " .-") -> str:
    """Fold Unicode digits to ASCII, drop separators, and refuse anything else."""
    if raw.isdigit() and raw.isascii():  # plain digits already (a stored answer): as they are
        return raw
    text = ascii_digits(unicodedata.normalize("NFKC", raw)).strip()
    for sep in separators:
        text = text.replace(sep, "")
    if not text or not (text.isascii() and text.isdigit()):
        raise FieldError("digits_only")
    return text


def mask_national_id(value: str) -> str:
    """Keep the date part only, which is what a caseworker needs to tell numbers apart."""
    return value[:6] + "*" * max(len(value) - 6, 0)


def _century(individual: int, yy: int) -> int | None:
    if individual <= 499:
        return 1900
    if individual <= 749 and yy >= 54:
        return 1800
    if individual >= 500 and yy <= 39:
        return 2000
    if individual >= 900 and yy >= 40:
        return 1900
    return None


# Each check: the weights of the digits it covers, the check digit's own weight (1) last, and
# what the ASCII bytes add to the weighted sum (a digit's byte less 48 is its value), worked out
# once; a check holds when the weighted sum of the values leaves its remainder mod 11.
_K1_CHECK = (*_K1_WEIGHTS, 1)
_K2_CHECK = (*_K2_WEIGHTS, 1)
_K1_BYTES = 48 * sum(_K1_CHECK)
_K2_BYTES = 48 * sum(_K2_CHECK)


def _read_national_id(raw: str) -> tuple[str, Literal["fnr", "dnr"], dt.date, Scheme]:
    """The checks of `parse_national_id`: (the 11 digits, kind, birth date, scheme)."""
    number = raw if raw.isdigit() and raw.isascii() else only_digits(raw)  # (as stored: as is)
    if len(number) != 11:
        raise FieldError("national_id_length")
    digits = number.encode("ascii")
    if (sum(map(operator.mul, digits, _K2_CHECK)) - _K2_BYTES) % 11 != 0:
        raise FieldError("national_id_checksum")
    if (sum(map(operator.mul, digits, _K1_CHECK)) - _K1_BYTES) % 11 not in _K1_REMAINDERS:
        raise FieldError("national_id_checksum")

    # (Two or three ASCII digits as a number: each byte less 48, times ten per place.)
    day, month = digits[0] * 10 + digits[1] - 528, digits[2] * 10 + digits[3] - 528
    yy, individual = digits[4] * 10 + digits[5] - 528, int(number[6:9])
    kind: Literal["fnr", "dnr"] = "fnr"
    if day > 40:
        kind, day = "dnr", day - 40
    scheme: Scheme = "standard"
    if month > 80:
        scheme, month = "tenor", month - 80
    elif month > 40:
        scheme, month = "help", month - 40
    century = _century(individual, yy)
    if century is None:
        raise FieldError("national_id_date")
    try:
        birth_date = dt.date(century + yy, month, day)
    except ValueError:
        raise FieldError("national_id_date") from None
    return number, kind, birth_date, scheme


def parse_national_id(raw: str) -> NationalId:
    """Check an 11-digit fødselsnummer or D-nummer: both check digits, century, a real date.

    K2 has every weight non-zero and below 11, so any single mistyped digit fails it, whichever
    K1 rule the number was issued under.
    """
    number, kind, birth_date, scheme = _read_national_id(raw)
    return NationalId(number, kind, birth_date, scheme != "standard", scheme)


def national_id_birth_date(raw: str) -> dt.date:
    """The birth date of a number `parse_national_id` accepts (its FieldError otherwise),
    without building the rest: what the dialogue's planner reads on every turn."""
    return _read_national_id(raw)[2]


def refuse_synthetic(nid: NationalId, *, allow_synthetic: bool) -> None:
    """Production takes only Folkeregisteret's numbers; a setting lets tests and demos in."""
    if allow_synthetic or nid.scheme == "standard":
        return
    raise FieldError("national_id_help_number" if nid.scheme == "help" else "national_id_synthetic")


def validate_national_id(raw: str, *, allow_synthetic: bool = False) -> str:
    """The field validator for `person.national_id`: returns the 11 digits."""
    nid = parse_national_id(raw)
    refuse_synthetic(nid, allow_synthetic=allow_synthetic)
    return nid.value


def validate_org_number(raw: str) -> str:
    """The field validator for `submitter.organisation.org_number` (9 digits, mod 11)."""
    number = only_digits(_ORG_DECORATION.sub("", raw))
    if len(number) != 9:
        raise FieldError("org_number_length")
    try:
        return str(orgnr.validate(number))
    except StdnumError:
        raise FieldError("org_number_checksum") from None


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Whole years from `birth_date` to `on`; someone born on 29 February ages on 1 March.

    Negative when `on` is before the birth date; callers decide what that means.
    """
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years

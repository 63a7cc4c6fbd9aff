"""Fødselsnummer, D-nummer, synthetic numbers, organisation numbers and age."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from intake.errors import FieldError
from intake.identifiers import (
    age_on,
    ascii_digits,
    mask_national_id,
    only_digits,
    parse_national_id,
    validate_national_id,
    validate_org_number,
)
from tests.synthetic import synthetic_id
from tests.unit.nid import build, first, individual_ranges, k1_remainder


def key_of(call: object) -> str:
    """The message key a validator raises."""
    assert callable(call)
    with pytest.raises(FieldError) as info:
        call()
    return info.value.key


# --- REFERRAL.md's published examples ------------------------------------------------------

REFERRAL_EXAMPLES = [
    # number, birth date, kind, synthetic
    ("02013299997", dt.date(2032, 1, 2), "fnr", False),
    ("30108299920", dt.date(1982, 10, 30), "fnr", False),
    ("30108299939", dt.date(1982, 10, 30), "fnr", False),
    ("10915596784", dt.date(1955, 11, 10), "fnr", True),
]


@pytest.mark.parametrize(("number", "born", "kind", "synthetic"), REFERRAL_EXAMPLES)
def test_referral_examples_parse(number: str, born: dt.date, kind: str, synthetic: bool) -> None:
    nid = parse_national_id(number)
    assert (nid.value, nid.birth_date, nid.kind, nid.synthetic) == (number, born, kind, synthetic)


def test_2032_example_is_valid_only_under_the_new_k1_rule() -> None:
    assert k1_remainder("30108299920") == 0  # classic rule
    assert k1_remainder("30108299939") in {1, 2, 3}  # only the 2032 rule
    assert parse_national_id("30108299939").scheme == "standard"


def test_tenor_example_is_refused_by_default_and_allowed_with_the_setting() -> None:
    assert key_of(lambda: validate_national_id("10915596784")) == "national_id_synthetic"
    assert validate_national_id("10915596784", allow_synthetic=True) == "10915596784"
    assert parse_national_id("10915596784").scheme == "tenor"


# --- typing variations -----------------------------------------------------------------------

FULL_WIDTH = "０２０１３２９９９９７"
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in "02013299997")
DEVANAGARI = "".join(chr(0x0966 + int(d)) for d in "02013299997")


@pytest.mark.parametrize(
    "typed",
    [
        "02013299997",
        " 02013299997 ",
        "020132 99997",
        "020132-99997",
        "02.01.32 999 97",
        "020132\u00a099997",  # no-break space from a copy-paste
        "\t02013299997\n",
        FULL_WIDTH,
        ARABIC_INDIC,
        DEVANAGARI,
    ],
)
def test_separators_whitespace_and_unicode_digits_are_accepted(typed: str) -> None:
    assert validate_national_id(typed) == "02013299997"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "digits_only"),
        ("   ", "digits_only"),
        ("0201329999", "national_id_length"),  # 10 digits
        ("020132999970", "national_id_length"),  # 12 digits
        ("2013299997", "national_id_length"),  # leading zero lost (a spreadsheet did it)
        ("0201329999O", "digits_only"),  # letter O for zero
        ("02013299997a", "digits_only"),
        ("020132/99997", "digits_only"),
        ("+02013299997", "digits_only"),
        ("02013299998", "national_id_checksum"),
        ("02013299987", "national_id_checksum"),
    ],
)
def test_malformed_numbers_are_rejected_with_a_precise_key(typed: str, key: str) -> None:
    assert key_of(lambda: parse_national_id(typed)) == key


# --- dates, centuries, D- and H-numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "individual"),
    [
        (dt.date(2000, 2, 29), 500),  # 2000 is a leap year
        (dt.date(2024, 2, 29), 700),
        (dt.date(1996, 2, 29), 100),
        (dt.date(1964, 2, 29), 950),  # 900-999 with YY >= 40: the 1900s
        (dt.date(1888, 2, 29), 600),  # 500-749 with YY >= 54: the 1800s
        (dt.date(1854, 1, 1), 500),
        (dt.date(2039, 12, 31), 999),
    ],
)
@pytest.mark.parametrize("dnr", [False, True])
def test_real_dates_in_each_century_are_accepted(born: dt.date, individual: int, dnr: bool) -> None:
    number = next(
        n for i in range(individual, individual + 50) if (n := build(born, i, dnr=dnr)) is not None
    )
    nid = parse_national_id(number)
    assert nid.birth_date == born
    assert nid.kind == ("dnr" if dnr else "fnr")
    assert not nid.synthetic


@pytest.mark.parametrize(
    ("day", "month", "yy", "individual"),
    [
        (29, 2, 23, 500),  # 2023 is not a leap year
        (29, 2, 0, 100),  # 1900 is not a leap year (individual < 500)
        (29, 2, 97, 300),
        (31, 4, 90, 100),  # April has 30 days
        (0, 1, 90, 100),
        (32, 1, 90, 100),
        (1, 13, 90, 100),
        (1, 0, 90, 100),
        (1, 1, 45, 800),  # 750-899 with YY >= 40 belongs to no century
        (1, 1, 50, 600),  # 500-749 with YY 40-53 neither
    ],
)
@pytest.mark.parametrize("dnr", [False, True])
def test_impossible_dates_are_rejected(
    day: int, month: int, yy: int, individual: int, dnr: bool
) -> None:
    from tests.unit.nid import K1_WEIGHTS, K2_WEIGHTS

    stem = f"{day + (40 if dnr else 0):02d}{month:02d}{yy:02d}"
    for ind in range(individual, individual + 60):
        nine = f"{stem}{ind:03d}"
        k1 = -sum(int(d) * w for d, w in zip(nine, K1_WEIGHTS, strict=True)) % 11
        if k1 == 10:
            continue
        k2 = -sum(int(d) * w for d, w in zip(nine + str(k1), K2_WEIGHTS, strict=True)) % 11
        if k2 != 10:
            number = f"{nine}{k1}{k2}"
            break
    assert key_of(lambda: parse_national_id(number)) == "national_id_date"


def test_h_numbers_have_month_plus_40_and_are_refused_by_default() -> None:
    number = first(dt.date(1990, 5, 17), scheme="help")
    assert number[2:4] == "45"
    nid = parse_national_id(number)
    assert (nid.birth_date, nid.scheme, nid.synthetic) == (dt.date(1990, 5, 17), "help", True)
    assert key_of(lambda: validate_national_id(number)) == "national_id_help_number"
    assert validate_national_id(number, allow_synthetic=True) == number


def test_tenor_d_numbers_combine_day_plus_40_and_month_plus_80() -> None:
    number = synthetic_id(dt.date(2012, 2, 29), d_number=True)
    assert number[:4] == "6982"
    nid = parse_national_id(number)
    assert (nid.kind, nid.scheme, nid.birth_date) == ("dnr", "tenor", dt.date(2012, 2, 29))
    assert key_of(lambda: validate_national_id(number)) == "national_id_synthetic"


@pytest.mark.parametrize("rest", [1, 2, 3])
def test_numbers_under_the_2032_rule_are_accepted(rest: int) -> None:
    born = dt.date(2033, 6, 1)
    number = next(
        n
        for i in range(500, 1000)
        if (n := build(born, i, scheme="tenor", k1_rest=rest)) is not None
    )
    assert k1_remainder(number) == rest
    assert parse_national_id(number).birth_date == born


@pytest.mark.parametrize("rest", [4, 5, 6, 7, 8, 9, 10])
def test_k1_remainders_outside_both_rules_are_rejected(rest: int) -> None:
    born = dt.date(2001, 1, 1)
    number = next(
        n
        for i in range(500, 1000)
        if (n := build(born, i, scheme="tenor", k1_rest=rest)) is not None
    )
    assert key_of(lambda: parse_national_id(number)) == "national_id_checksum"


def test_repr_and_mask_never_show_the_personal_number() -> None:
    nid = parse_national_id("10915596784")
    assert "96784" not in repr(nid)
    assert "96784" not in str(nid)
    assert mask_national_id("10915596784") == "109155*****"


# --- property tests ----------------------------------------------------------------------------


@st.composite
def national_ids(draw: st.DrawFn) -> tuple[str, dt.date, bool, str]:
    born = draw(st.dates(min_value=dt.date(1854, 1, 1), max_value=dt.date(2039, 12, 31)))
    individual = draw(st.sampled_from(individual_ranges(born.year)).flatmap(st.sampled_from))
    dnr = draw(st.booleans())
    scheme = draw(st.sampled_from(["standard", "help", "tenor"]))
    rest = draw(st.sampled_from([0, 0, 1, 2, 3]))
    number = build(born, individual, dnr=dnr, scheme=scheme, k1_rest=rest)  # type: ignore[arg-type]
    assume(number is not None)
    assert number is not None
    return number, born, dnr, scheme


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(national_ids())
def test_generated_valid_numbers_always_validate_with_their_birth_date(
    case: tuple[str, dt.date, bool, str],
) -> None:
    number, born, dnr, scheme = case
    nid = parse_national_id(number)
    assert nid.birth_date == born
    assert nid.kind == ("dnr" if dnr else "fnr")
    assert nid.scheme == scheme
    assert nid.synthetic == (scheme != "standard")
    assert validate_national_id(number, allow_synthetic=True) == number
    if scheme == "standard":
        assert validate_national_id(number) == number
    else:
        with pytest.raises(FieldError):
            validate_national_id(number)


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(national_ids(), st.integers(0, 10), st.integers(1, 9))
def test_any_single_digit_change_is_rejected(
    case: tuple[str, dt.date, bool, str], position: int, shift: int
) -> None:
    # K2 weighs every digit (itself with 1) by a number in 1..7 and 11 is prime, so changing one
    # digit by 1..9 always changes the sum mod 11: the K2 check fails whichever K1 rule applies.
    number = case[0]
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert key_of(lambda: parse_national_id(changed)) == "national_id_checksum"


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return dt.date(day.year + years, 3, 1)


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(st.dates(dt.date(1854, 1, 1), dt.date(2039, 12, 31)), st.integers(0, 130))
def test_age_turns_over_exactly_on_the_birthday(born: dt.date, years: int) -> None:
    birthday = add_years(born, years)
    assume(birthday <= dt.date(9000, 1, 1))
    assert age_on(born, birthday) == years
    if years > 0:
        assert age_on(born, birthday - dt.timedelta(days=1)) == years - 1


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
        (dt.date(2008, 2, 29), dt.date(2028, 2, 29), 20),
        (dt.date(2010, 11, 22), dt.date(2026, 11, 22), 16),
        (dt.date(2010, 11, 23), dt.date(2026, 11, 22), 15),
        (dt.date(2026, 11, 22), dt.date(2026, 11, 22), 0),
        (dt.date(2027, 1, 1), dt.date(2026, 11, 22), -1),
    ],
)
def test_age_table(born: dt.date, on: dt.date, age: int) -> None:
    assert age_on(born, on) == age


# --- digits and organisation numbers ----------------------------------------------------------


def test_ascii_digits_folds_every_decimal_digit_and_nothing_else() -> None:
    assert ascii_digits("٣٤५६ab") == "3456ab"
    assert only_digits(" 12 34 ") == "1234"


@pytest.mark.parametrize(
    "typed",
    ["974760673", "974 760 673", "NO 974 760 673 MVA", "no974760673mva", "９７４７６０６７３"],
)
def test_org_numbers_accepted(typed: str) -> None:
    assert validate_org_number(typed) == "974760673"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("974760674", "org_number_checksum"),
        ("974760672", "org_number_checksum"),
        ("97476067", "org_number_length"),
        ("9747606733", "org_number_length"),
        ("97476067A", "digits_only"),
        ("", "digits_only"),
    ],
)
def test_org_numbers_rejected(typed: str, key: str) -> None:
    assert key_of(lambda: validate_org_number(typed)) == key

"""Dates as people type them, due dates and birth dates."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.dates import add_months, parse_date, validate_birth_date, validate_due_date
from intake.errors import FieldError

TODAY = dt.date(2026, 11, 22)


def key_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(FieldError) as info:
        call()
    return info.value.key


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("24.12.2026", dt.date(2026, 12, 24)),
        ("24/12/2026", dt.date(2026, 12, 24)),
        ("24-12-2026", dt.date(2026, 12, 24)),
        ("24 12 2026", dt.date(2026, 12, 24)),
        ("1.2.2026", dt.date(2026, 2, 1)),
        ("2026-12-24", dt.date(2026, 12, 24)),
        (" 29.02.2024 ", dt.date(2024, 2, 29)),
        ("２４.１２.２０２６", dt.date(2026, 12, 24)),
    ],
)
def test_parse_date_accepts_what_people_type(typed: str, day: dt.date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "date_format"),
        ("i morgen", "date_format"),
        ("24.12.26", "date_format"),  # two-digit years are ambiguous
        ("2026/12/24", "date_format"),
        ("24.12.2026 kl 12", "date_format"),
        ("29.02.2023", "date_invalid"),
        ("31.04.2026", "date_invalid"),
        ("00.01.2026", "date_invalid"),
        ("2026-13-01", "date_invalid"),
    ],
)
def test_parse_date_rejects(typed: str, key: str) -> None:
    assert key_of(lambda: parse_date(typed)) == key


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 3, 15), 10, dt.date(2027, 1, 15)),
        (dt.date(2024, 2, 29), -12, dt.date(2023, 2, 28)),
        (dt.date(2026, 12, 1), 1, dt.date(2027, 1, 1)),
    ],
)
def test_add_months(start: dt.date, months: int, end: dt.date) -> None:
    assert add_months(start, months) == end


@pytest.mark.parametrize("due", [dt.date(2026, 11, 23), dt.date(2027, 3, 1), dt.date(2027, 9, 22)])
def test_due_dates_within_ten_months_are_accepted(due: dt.date) -> None:
    assert validate_due_date(due, today=TODAY) == due


@pytest.mark.parametrize(
    ("due", "key"),
    [
        (dt.date(2026, 11, 22), "due_date_past"),  # today is not in the future
        (dt.date(2026, 1, 1), "due_date_past"),
        (dt.date(2027, 9, 23), "due_date_too_far"),
        (dt.date(2028, 1, 1), "due_date_too_far"),
    ],
)
def test_due_dates_rejected(due: dt.date, key: str) -> None:
    assert key_of(lambda: validate_due_date(due, today=TODAY)) == key


def test_birth_dates() -> None:
    assert validate_birth_date(TODAY, today=TODAY) == TODAY
    assert validate_birth_date(dt.date(1896, 11, 22), today=TODAY) == dt.date(1896, 11, 22)
    assert key_of(lambda: validate_birth_date(dt.date(2026, 11, 23), today=TODAY)) == (
        "birth_date_future"
    )
    assert key_of(lambda: validate_birth_date(dt.date(1896, 11, 21), today=TODAY)) == (
        "birth_date_too_old"
    )

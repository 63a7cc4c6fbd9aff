"""Dates as people type them, and the date rules for birth and due dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from intake.errors import FieldError
from intake.identifiers import ascii_digits

# Ages, birth and due dates are Norwegian calendar days; times are shown in Norway's time.
OSLO = ZoneInfo("Europe/Oslo")
_DMY = re.compile(r"(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
MAX_AGE_YEARS = 130
DUE_DATE_MONTHS = 10


def parse_date(raw: str) -> dt.date:
    """'24.12.2026', '24/12/2026', '24-12-2026', '24 12 2026' or '2026-12-24'."""
    text = ascii_digits(unicodedata.normalize("NFKC", raw)).strip()
    if m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    else:
        raise FieldError("date_format")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError("date_invalid") from None


def coerce_date(value: object) -> object:
    """For the model: a string is read as people write dates; anything else goes to pydantic."""
    return parse_date(value) if isinstance(value, str) else value


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validate_due_date(value: dt.date, *, today: dt.date) -> dt.date:
    """An expected child's due date: after today and at most ten months ahead."""
    if value <= today:
        raise FieldError("due_date_past")
    if value > add_months(today, DUE_DATE_MONTHS):
        raise FieldError("due_date_too_far")
    return value


def validate_birth_date(value: dt.date, *, today: dt.date) -> dt.date:
    """Not after today, and not more than 130 years back."""
    if value > today:
        raise FieldError("birth_date_future")
    if value < add_months(today, -12 * MAX_AGE_YEARS):
        raise FieldError("birth_date_too_old")
    return value

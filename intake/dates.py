"""Dates as people type them, and the due date rule for an expected child."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from intake.errors import FieldError

_DMY = re.compile(r"^(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(raw: str) -> dt.date:
    """'24.12.2026', '24/12/2026', '24-12-2026' or '2026-12-24'."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    else:
        raise FieldError("date_format")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError("date_invalid") from None


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate_day)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def validate_due_date(value: dt.date, *, today: dt.date) -> dt.date:
    """An expected child's due date: after today and at most ten months ahead."""
    if value <= today:
        raise FieldError("due_date_past")
    if value > add_months(today, 10):
        raise FieldError("due_date_too_far")
    return value


def validate_birth_date(value: dt.date, *, today: dt.date) -> dt.date:
    if value > today:
        raise FieldError("birth_date_future")
    if value.year < today.year - 130:
        raise FieldError("birth_date_too_old")
    return value

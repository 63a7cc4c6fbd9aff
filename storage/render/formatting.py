"""How dates, times and phone numbers look to KE staff: Norwegian conventions, Oslo time."""

from __future__ import annotations

import datetime as dt

import phonenumbers

from intake.dates import OSLO as OSLO


def fmt_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def fmt_datetime(value: dt.datetime) -> str:
    """Stored times are UTC; staff read local time. A naive time is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def fmt_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def fmt_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB"

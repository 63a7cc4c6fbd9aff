"""Synthetic national ids for tests: Skatteetaten's Tenor scheme (month + 80), never a real
person's number. Check digits follow the classic rule, so every number also passes older
checkers."""

from __future__ import annotations

import datetime as dt

_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check(digits: str, weights: tuple[int, ...]) -> int | None:
    k = (11 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11) % 11
    return None if k == 10 else k


def _individual_range(year: int) -> range:
    if 1900 <= year <= 1999:
        return range(0, 500)
    if 2000 <= year <= 2039:
        return range(500, 1000)
    if 1854 <= year <= 1899:
        return range(500, 750)
    raise ValueError("no individual numbers for that year")


def synthetic_id(born: dt.date, *, d_number: bool = False, start: int = 0) -> str:
    """The first Tenor number for `born` (individual numbers tried from `start` on)."""
    day = born.day + (40 if d_number else 0)
    stem = f"{day:02d}{born.month + 80:02d}{born.year % 100:02d}"
    for individual in _individual_range(born.year)[start:]:
        nine = f"{stem}{individual:03d}"
        k1 = _check(nine, _K1)
        if k1 is None:
            continue
        k2 = _check(nine + str(k1), _K2)
        if k2 is not None:
            return f"{nine}{k1}{k2}"
    raise ValueError("no synthetic number found")


def born_years_ago(today: dt.date, years: int, days_after_birthday: int = 30) -> dt.date:
    """A birth date that makes the person exactly `years` old on `today`."""
    if (today.month, today.day) == (2, 29):  # the same day may not exist that year
        birthday = dt.date(today.year - years, 2, 28)
    else:
        birthday = today.replace(year=today.year - years)
    return birthday - dt.timedelta(days=days_after_birthday)

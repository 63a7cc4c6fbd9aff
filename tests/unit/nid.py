"""Build national ids from their parts, for tests only.

Numbers are built at test time and never written to the repository: apart from REFERRAL.md's
published examples, the only literal ids in the tests are synthetic (tests/synthetic.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

Scheme = Literal["standard", "help", "tenor"]
MONTH_OFFSET: dict[Scheme, int] = {"standard": 0, "help": 40, "tenor": 80}


def individual_ranges(year: int) -> list[range]:
    """The individual numbers (digits 7-9) that place a birth in `year` (REFERRAL.md)."""
    if 1854 <= year <= 1899:
        return [range(500, 750)]
    if 1900 <= year <= 1939:
        return [range(0, 500)]
    if 1940 <= year <= 1999:
        return [range(0, 500), range(900, 1000)]
    if 2000 <= year <= 2039:
        return [range(500, 1000)]
    raise ValueError("no individual numbers for that year")


def k1_remainder(number: str) -> int:
    return (
        sum(int(d) * w for d, w in zip(number[:9], K1_WEIGHTS, strict=True)) + int(number[9])
    ) % 11


def build(
    born: dt.date,
    individual: int,
    *,
    dnr: bool = False,
    scheme: Scheme = "standard",
    k1_rest: int = 0,
) -> str | None:
    """The number with K1 leaving remainder `k1_rest` (0 classic, 1-3 the 2032 rule), or None
    when a check digit would have to be 10."""
    day = born.day + (40 if dnr else 0)
    month = born.month + MONTH_OFFSET[scheme]
    nine = f"{day:02d}{month:02d}{born.year % 100:02d}{individual:03d}"
    s1 = sum(int(d) * w for d, w in zip(nine, K1_WEIGHTS, strict=True))
    k1 = (k1_rest - s1) % 11
    if k1 == 10:
        return None
    ten = nine + str(k1)
    k2 = -sum(int(d) * w for d, w in zip(ten, K2_WEIGHTS, strict=True)) % 11
    if k2 == 10:
        return None
    return ten + str(k2)


def first(born: dt.date, **kwargs: object) -> str:
    """The first buildable number for `born` (tries individual numbers in order)."""
    for rng in individual_ranges(born.year):
        for individual in rng:
            number = build(born, individual, **kwargs)  # type: ignore[arg-type]
            if number is not None:
                return number
    raise ValueError("no number found")

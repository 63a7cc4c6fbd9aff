"""The KE's overview as figures (seed 002: how many referrals, how many plans and coordinators,
who coordinates which case, how long cases wait), one table each; charts and tables on the
overview page draw from these same tables, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.staff.stats import appointed_at
from storage.inbox import InboxRecord, StatusEvent
from storage.inbox.audit import utc
from storage.render.formatting import OSLO

# Open cases by age, in days since reception: (label key, lowest day, highest day or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("age_0_7", 0, 7),
    ("age_8_14", 8, 14),
    ("age_15_30", 15, 30),
    ("age_31_60", 31, 60),
    ("age_61", 61, None),
)
REQUESTS = ("individual_plan", "coordinator", "child_coordinator")


@dataclass(frozen=True)
class Figures:
    total: int
    by_month: list[tuple[str, int]]
    by_request: list[tuple[str, int]] | None  # None: needs an unlocked key
    by_channel: list[tuple[str, int]]
    waits_days: list[float]
    median_days: float | None
    p90_days: float | None
    open_by_age: list[tuple[str, int]]
    coordinators: list[tuple[str, int, int]]  # name, open cases, all cases


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); the median is the usual middle value."""
    if not values:
        return None
    ordered = sorted(values)
    if p == 50:
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def figures(
    records: Sequence[InboxRecord],
    events: Mapping[str, Sequence[StatusEvent]],
    now: dt.datetime,
    requests: Mapping[str, Sequence[str]] | None,
) -> Figures:
    months = Counter(utc(r.received_at).astimezone(OSLO).strftime("%Y-%m") for r in records)
    by_month = [(m, months[m]) for m in months_between(min(months), max(months))] if months else []
    by_request = None
    if requests is not None:
        counted = Counter(q for refs in requests.values() for q in refs)
        by_request = [(q, counted[q]) for q in REQUESTS]
    channels = Counter(r.channel for r in records)
    waits: list[float] = []
    ages: Counter[str] = Counter()
    load: dict[str, list[int]] = {}
    for r in records:
        received = utc(r.received_at)
        appointed = appointed_at(events.get(r.reference, ()))
        if appointed is not None:
            waits.append((appointed - received) / dt.timedelta(days=1))
        if r.status != "closed":
            days = (utc(now) - received) // dt.timedelta(days=1)
            for key, low, high in AGE_BANDS:
                if days >= low and (high is None or days <= high):
                    ages[key] += 1
        if r.coordinator:
            counts = load.setdefault(r.coordinator, [0, 0])
            counts[0] += r.status != "closed"
            counts[1] += 1
    return Figures(
        total=len(records),
        by_month=by_month,
        by_request=by_request,
        by_channel=sorted(channels.items()),
        waits_days=waits,
        median_days=percentile(waits, 50),
        p90_days=percentile(waits, 90),
        open_by_age=[(key, ages[key]) for key, _, _ in AGE_BANDS],
        coordinators=sorted(
            ((n, c[0], c[1]) for n, c in load.items()), key=lambda x: (-x[1], x[0])
        ),
    )

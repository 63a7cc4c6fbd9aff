"""The one clock of the intake side: aware UTC instants, read as Norwegian calendar days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from intake.dates import OSLO

__all__ = ["OSLO", "Clock", "oslo_date", "utcnow"]
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def oslo_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Norway at `moment` (an aware instant): what ages are counted in."""
    if moment.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    return moment.astimezone(OSLO).date()

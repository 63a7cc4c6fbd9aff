"""Midnight in Oslo, for the midnight test of every channel: ages are counted in Norwegian
calendar days, whatever the UTC date says.

The instants are in winter (UTC+1), so at 00:00:01 in Oslo the UTC date is still yesterday's.
A young person born on BIRTHDAY, sixteen years earlier, is 15 at the first and 16 at the
second: with the consent age 16 they consent themselves only from the second on.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.runtime.clock import OSLO
from tests.synthetic import synthetic_id

BIRTHDAY = dt.date(2026, 3, 16)
BORN = BIRTHDAY.replace(year=BIRTHDAY.year - 16)
NATIONAL_ID = synthetic_id(BORN)
BEFORE = dt.datetime(2026, 3, 15, 23, 59, 59, tzinfo=OSLO)  # still 15
AFTER = dt.datetime(2026, 3, 16, 0, 0, 1, tzinfo=OSLO)  # 16 today
assert AFTER.astimezone(dt.UTC).date() == BIRTHDAY - dt.timedelta(days=1)  # UTC: yesterday

# What the young person answers, filing for themselves: typed texts and chosen choice ids by
# field id (a repeated group's as `guardians[].name`). Who consents is what their age on the
# Oslo day allows.
TEXTS = {
    "kommune": "Bergen",
    "person.given_name": "Ida",
    "person.family_name": "Testesen",
    "person.national_id": NATIONAL_ID,
    "person.address.street": "Nygårdsgaten 3",
    "person.address.postcode": "5015",
    "person.address.city": "Bergen",
    "guardians[].name": "Sara Testesen",
    "need.description": "Jeg trenger at skolen, BUP og fastlegen samarbeider om oppfølgingen min.",
}
CHOICES = {
    "submitter.role": "self",
    "requests": "coordinator",
    "guardians[].more": "no",
    "consent.child_heard": "yes",
    "consent.coordinator": "yes",
    "consent.acknowledged": "yes",
    "consent.all": "yes",
    "summary": "send",
}


def consent_by(moment: dt.datetime) -> str:
    """Who gives consent for this person at `moment`: the young person once 16 in Oslo."""
    return "person" if moment.astimezone(OSLO).date() >= BIRTHDAY else "parents"


def answer(step: str, moment: dt.datetime) -> tuple[str, str] | None:
    """("text", typed) or ("choice", choice id) for `step`; None: skip the question."""
    step = re.sub(r"\[\d+\]", "[]", step)
    if step == "consent.given_by":
        return "choice", consent_by(moment)
    if step in CHOICES:
        return "choice", CHOICES[step]
    if step in TEXTS:
        return "text", TEXTS[step]
    return None

"""The staff commands' own rules, without a database: status transitions and waiting times."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from bot.staff.stats import fmt_duration, median, overview
from bot.staff.texts import STAFF_TEXTS
from bot.staff.workflow import TRANSITIONS, check_transition
from storage.inbox import STATUSES, InboxRecord, StatusEvent


def refusal(current: str, new: str, outcome: str | None = None, *, coordinator: bool = False,
            current_outcome: str | None = None) -> str | None:  # fmt: skip
    found = check_transition(
        current, current_outcome, new, outcome, has_coordinator=coordinator, reference="KE-X"
    )
    return found.key if found else None


def test_the_usual_path_is_allowed() -> None:
    assert refusal("received", "in_review") is None
    assert refusal("in_review", "coordinator_appointed", coordinator=True) is None
    assert refusal("coordinator_appointed", "closed", "plan_started", coordinator=True) is None


@pytest.mark.parametrize(
    ("current", "new", "outcome", "key"),
    [
        ("received", "closed", None, "outcome_needed"),
        ("received", "closed", "maybe", "outcome_needed"),
        ("received", "in_review", "declined", "outcome_only_closing"),
        ("received", "archived", None, "unknown_status"),
        ("in_review", "in_review", None, "same_status"),
        ("in_review", "received", None, "bad_transition"),
        ("received", "coordinator_appointed", None, "needs_coordinator"),
    ],
)
def test_refusals(current: str, new: str, outcome: str | None, key: str) -> None:
    assert refusal(current, new, outcome) == key


def test_a_closed_case_is_final() -> None:
    for new in STATUSES:
        outcome = "declined" if new == "closed" else None
        got = refusal("closed", new, outcome, current_outcome="forwarded", coordinator=True)
        assert got == "closed_final"
    assert TRANSITIONS["closed"] == frozenset()


def test_every_refusal_has_a_text_for_staff() -> None:
    outcomes = [None, "declined"]
    keys = {
        found.key
        for current in STATUSES
        for new in [*STATUSES, "nonsense"]
        for outcome in outcomes
        for coordinator in (False, True)
        if (found := check_transition(current, None, new, outcome, has_coordinator=coordinator,
                                      reference="KE-X")) is not None
    }  # fmt: skip
    assert len(keys) >= 6
    assert all(STAFF_TEXTS.has(key) for key in keys)


def _record(reference: str, received: dt.datetime, status: str) -> InboxRecord:
    return InboxRecord(uuid.uuid4(), reference, "0301", received, status, None, "web", ("k",),
                       4096, None, True)  # fmt: skip


def test_waiting_time_counts_the_first_appointment_only() -> None:
    t0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    day = dt.timedelta(days=1)
    records = [_record("KE-A", t0, "coordinator_appointed"), _record("KE-B", t0, "received")]
    events = {
        "KE-A": [
            StatusEvent("received", None, t0, "intake", None),
            StatusEvent("coordinator_appointed", None, t0 + 4 * day, "Kari", None),
            StatusEvent("in_review", None, t0 + 5 * day, "Kari", None),
            StatusEvent("coordinator_appointed", None, t0 + 9 * day, "Kari", None),
        ]
    }
    ov = overview(records, events, now=t0 + 7 * day)
    assert ov.waits == [4 * day]
    assert ov.still_waiting == [7 * day]


def test_median_and_durations() -> None:
    day = dt.timedelta(days=1)
    assert median([3 * day, 10 * day, 5 * day]) == 5 * day
    assert median([2 * day, 4 * day]) == 3 * day
    assert fmt_duration(dt.timedelta(hours=5), "nb") == "5 timer"
    assert fmt_duration(10 * day, "nn") == "10 dagar"
    assert fmt_duration(3 * day, "en") == "3 days"

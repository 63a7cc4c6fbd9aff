"""The progress estimate before anything but the role is answered is worked out once per role
and consent age: it must be the same whatever the day (the typical age is exact on any day)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dialogues import render
from dialogues.flow import ROLES
from dialogues.plan import Plan
from intake.rules import Policy
from tests.conversations.drive import context

DAYS = [dt.date(2026, 3, 16), dt.date(2028, 2, 29), dt.date(2025, 12, 31), dt.date(2030, 1, 1)]


@pytest.mark.parametrize("consent_age", [16, 15, 18])
@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_first_projection_is_the_same_on_every_day(role: str, consent_age: int) -> None:
    projected = set()
    for day in DAYS:
        ctx = dataclasses.replace(
            context(today=day),
            policy=Policy(today=day, allow_synthetic=True, consent_age=consent_age),
        )
        for given in ({}, {"submitter.role": role}):
            plan = Plan(dict(given), ctx)
            projected.add(render._projected(given, plan, role))
            projected.add(render._projected_before_any(plan, role))
    assert len(projected) == 1

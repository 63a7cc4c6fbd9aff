"""The domain's age facts are defined once (intake/facts.py) and read the same way by the rules,
the planner and the flow: for every age around the lines and two consent ages, the question
whether the child has been heard is asked exactly when the rules require its answer, and the
planner's facts are the domain's."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogues.plan import derived, plan
from dialogues.state import State
from dialogues.types import Context
from intake.facts import ADULT_AGE, CHILD_HEARD_FROM, AgeFacts
from intake.rules import Policy, validate_referral
from tests.synthetic import born_years_ago, synthetic_id
from tests.unit.referral_data import DELETE, change, referral

TODAY = dt.date(2026, 3, 16)


def _ctx(consent_age: int) -> Context:
    policy = Policy(today=TODAY, allow_synthetic=True, consent_age=consent_age)
    return Context(
        today=TODAY,
        now=dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC),
        policy=policy,
        channel="terminal",
    )


@pytest.mark.parametrize("consent_age", [15, 16])
@pytest.mark.parametrize(
    "age", [0, CHILD_HEARD_FROM - 1, CHILD_HEARD_FROM, 14, 15, 16, 17, ADULT_AGE, 40]
)
def test_rules_planner_and_flow_agree_on_age(age: int, consent_age: int) -> None:
    facts = AgeFacts(False, age, consent_age)
    answers = {
        "submitter.role": "parent",
        "person.unborn": False,
        "person.national_id": synthetic_id(born_years_ago(TODAY, age)),
    }
    ctx = _ctx(consent_age)
    env = derived(answers, ctx)
    assert (env["age"], env["minor"], env["child"], env["adult"], env["to_be_heard"]) == (
        age,
        facts.minor,
        facts.child,
        facts.adult,
        facts.to_be_heard,
    )
    state = State(language="nb", draft_id="t")
    state.answers = dict(answers)
    asked = "consent.child_heard" in {slot.key for slot in plan(state, ctx)}
    assert asked == facts.to_be_heard
    unheard = change(
        referral("parent", age, today=TODAY, consent_age=consent_age), "consent.child_heard", DELETE
    )
    _, violations = validate_referral(unheard, ctx.policy)
    assert ("child_heard_required" in {v.key for v in violations}) == facts.to_be_heard


def test_the_lines() -> None:
    assert AgeFacts(True, None).child and AgeFacts(True, None).minor
    assert not AgeFacts(True, None).to_be_heard and not AgeFacts(True, None).adult
    assert not AgeFacts(False, None).known and not AgeFacts(False, None).child
    assert AgeFacts(False, 17, 16).minor and not AgeFacts(False, 17, 16).child
    assert AgeFacts(False, 18, 16).adult and not AgeFacts(False, 17, 16).adult

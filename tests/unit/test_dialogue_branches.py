"""Branches the five people do not walk: an unborn child, no national id, a provider whose
person is not informed, a 16-year-old who consents herself."""

from __future__ import annotations

import datetime as dt

from intake.rules import validate_referral
from tests.conversations import load
from tests.conversations.drive import TODAY, start, to_filing
from tests.synthetic import born_years_ago, synthetic_id


def _valid(run, effect) -> None:  # type: ignore[no-untyped-def]
    _, violations = validate_referral(effect.referral.model_dump(mode="json"), run.ctx.policy)
    assert violations == []


def test_an_expected_child() -> None:
    script = load("mother_child", TODAY)
    due = TODAY + dt.timedelta(days=90)
    script.answers.update({"person.unborn": "ja", "person.due_date": due.strftime("%d.%m.%Y")})
    run = start(script)
    effect = to_filing(run, script)
    _valid(run, effect)
    person = effect.referral.person
    assert person.unborn and person.due_date == due
    assert person.national_id is None and person.address is None
    assert "consent.child_heard" not in run.asked
    assert "person.national_id" not in run.asked


def test_no_national_id_asks_the_birth_date() -> None:
    script = load("nn_adult_self", TODAY)
    script.answers.update({"person.national_id": "veit ikkje", "person.birth_date": "17.05.1980"})
    run = start(script)
    effect = to_filing(run, script)
    _valid(run, effect)
    assert effect.referral.person.birth_date == dt.date(1980, 5, 17)
    assert effect.referral.person.national_id is None


def test_provider_whose_person_is_not_informed_gives_the_reason() -> None:
    script = load("provider_elderly", TODAY)
    script.answers.update(
        {
            "submitter.person_informed": "nei",
            "submitter.not_informed_reason": "Han er innlagt og har ikke kunnet snakke med oss.",
            # Consent from someone who has not been told is no consent: only a guardian remains.
            "consent.given_by": "verge eller fullmektig",
            "consent.lacks_capacity_reason": "Han er bevisstløs etter et fall.",
            "attachments": "ettersendes",
        }
    )
    run = start(script)
    effect = to_filing(run, script)
    _valid(run, effect)
    assert effect.referral.submitter.person_informed is False
    assert effect.referral.submitter.not_informed_reason
    offered = [c.id for c in next(r for r in _asked(run, "consent.given_by")).choices]
    assert offered == ["guardian"]


def _asked(run, step):  # type: ignore[no-untyped-def]
    return [r for r in run.history if r.step == step]


def test_a_sixteen_year_old_consents_herself() -> None:
    script = load("mother_child", TODAY)
    script.answers.update(
        {
            "person.national_id": synthetic_id(born_years_ago(TODAY, 16)),
            "consent.given_by": "1",
        }
    )
    run = start(script)
    effect = to_filing(run, script)
    _valid(run, effect)
    assert effect.referral.consent.given_by.value == "person"
    assert "consent.child_heard" not in run.asked


def test_a_rule_at_send_routes_to_the_question_inside_a_group() -> None:
    """Parents consent, but the only parent given has no parental responsibility."""
    script = load("mother_child", TODAY)
    script.answers.update(
        {
            "submitter.authority": "nei",  # not a parent with parental responsibility herself
            "guardians[0].name": "Sara Berg, 41234567",
            "guardians[0].parental_responsibility": "nei",
            "guardians[0].informed": "ja",
            "guardians[0].more": "nei",
        }
    )
    run = start(script)
    for _ in range(120):
        if run.last.step == "summary":
            break
        answer = script.answers.get(run.last.step)
        run.say(answer if isinstance(answer, str) else "nei")
    run.say("send")
    assert run.filing is None
    assert run.last.step == "guardians[0].parental_responsibility"
    assert run.last.error
    run.say("ja")
    assert run.last.step == "summary"
    run.say("send")
    assert run.filing is not None


def test_an_answer_from_a_left_branch_no_longer_steers() -> None:
    """A provider said the person was not informed; the role then became 'relative'. The
    leftover 'not informed' must not take 'the person themselves' off the consent choices."""
    from dialogues.flow import load as load_flow
    from dialogues.plan import allowed_choices, facts

    script = load("provider_elderly", TODAY)
    run = start(script)
    run.state.answers["submitter.person_informed"] = False
    step = load_flow().step("consent.given_by")
    assert step is not None
    as_provider = [c.id for c in allowed_choices(step, facts(run.state.answers, run.ctx))]
    run.state.answers["submitter.role"] = "relative"
    as_relative = [c.id for c in allowed_choices(step, facts(run.state.answers, run.ctx))]
    assert "person" not in as_provider
    assert "person" in as_relative

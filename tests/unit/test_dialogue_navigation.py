"""Bad answers, back, edit from the summary, language switch, cancel and restart."""

from __future__ import annotations

import pytest

from dialogues import engine
from dialogues.flow import steps, texts
from dialogues.types import DiscardDraft, LanguageChanged, UserInput
from tests.conversations import PEOPLE, load
from tests.conversations.drive import TODAY, Run, answer_once, context, start, to_filing, until

# One wrong answer per kind of validation; each must be refused with a message.
BAD = {
    "kommune": "Atlantis",
    "national_id": "12345678901",
    "birth_date": "31.02.1990",
    "due_date": "01.01.2001",
    "phone": "12",
    "email": "not-an-address",
    "postcode": "12a",
    "org_number": "123456789",
    "name": "1234",
    "need_description": "Trenger hjelp",
    "short_text": "",
    "long_text": "   ",
    "choice": "99",
    "multi": "77",
    "yes_no": "kanskje",
    "file": "her er ingen fil",
}


def bad_input(step_id: str) -> str | None:
    step = next(s for s in steps() if s.id == step_id.split("[")[0] or s.id == _generic(step_id))
    if step.validator:
        return BAD[step.validator]
    return BAD.get(step.kind)


def _generic(key: str) -> str:
    import re

    return re.sub(r"\[\d+\]", "[]", key)


@pytest.mark.parametrize("name", PEOPLE)
def test_every_validated_step_refuses_a_bad_answer_and_keeps_the_others(name: str) -> None:
    script = load(name, TODAY)
    run = start(script)
    refused = 0
    for _ in range(200):
        if run.filing is not None:
            break
        step = run.last.step
        bad = bad_input(step) if step != "summary" else None
        if bad is not None and not (bad.strip() == "" and run.last.optional):
            before = dict(run.state.answers)
            run.say(bad)
            assert run.last.step == step, step
            assert run.last.error, step
            assert run.state.answers == before
            refused += 1
        answer_once(run, script)
    assert run.filing is not None
    assert refused >= 12


def test_three_failures_offer_the_phone_advice() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "kommune")
    for _ in range(3):
        run.say("Atlantis")
    assert run.last.error
    assert texts("nn")["fail.advice"] in run.last.text
    run.say("Bergen")
    assert run.state.answers["kommune"] == "4601"
    assert run.last.step == "person.given_name"


def test_ambiguous_kommune_offers_the_candidates() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "kommune")
    run.say("Herøy")
    assert [c.id for c in run.last.choices] == ["1515", "1818"]
    run.say("2")
    assert run.state.answers["kommune"] == "1818"


def test_required_question_cannot_be_skipped_but_optional_can() -> None:
    run = start(load("nn_adult_self", TODAY))
    run.say("hopp over")
    assert run.last.step == "submitter.role" and run.last.error
    script = load("nn_adult_self", TODAY)
    until(run, script, "person.phone")
    run.command("skip")
    assert run.state.answers["person.phone"] is None


def test_back_across_a_branch() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "guardians[0].more")
    # Back all the way to the role, and change it to "self": the guardian questions vanish.
    for _ in range(30):
        if run.last.step == "submitter.role":
            break
        run.say("tilbake")
    assert run.last.step == "submitter.role"
    # Undone answers are kept as hints; an empty answer takes them back.
    assert run.state.prior["person.given_name"] == "Emil"
    run.say("1")  # self
    assert run.last.step == "kommune"
    run.say("")  # the kommune given before is kept
    assert run.last.step == "person.given_name"
    assert "Emil" in run.last.text
    run.say("")
    assert run.state.answers["person.given_name"] == "Emil"
    keys = [s.key for s in engine_plan(run)]
    assert not any(k.startswith("guardians") for k in keys)
    assert "submitter.relationship" not in keys


def engine_plan(run: Run):  # type: ignore[no-untyped-def]
    from dialogues.plan import plan

    return plan(run.state, run.ctx)


def test_back_restores_the_previous_answer_as_a_hint_and_empty_keeps_it() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "person.national_id")
    run.command("back")
    assert run.last.step == "person.given_name"
    assert "Ingrid" in run.last.text
    run.say("")
    assert run.state.answers["person.given_name"] == "Ingrid"
    assert run.last.step == "person.family_name"


def test_back_on_the_first_question_says_so() -> None:
    run = start(load("nn_adult_self", TODAY))
    run.say("/back")
    assert run.last.step == "submitter.role"
    assert any(texts("nn")["back.first"] in r.text for r in run.replies)


def test_edit_from_the_summary_that_changes_the_age_branch() -> None:
    """An 80-year-old becomes a 9-year-old: guardians, the child's voice and who consents are
    asked, the stale consent answer is asked again, then the summary comes back."""
    script = load("provider_elderly", TODAY)
    run = until(start(script), script, "summary")
    child = load("mother_child", TODAY)
    entries = run.last.text.splitlines()
    number = next(line.split(".")[0] for line in entries if "Fødselsnummer" in line)
    run.say(f"endre {number}")
    assert run.last.step == "person.national_id"
    run.say(child.answers["person.national_id"])
    asked = []
    for _ in range(30):
        if run.last.step == "summary":
            break
        asked.append(run.last.step)
        value = PARENT_1.get(run.last.step) or child.answers.get(run.last.step)
        value = value or script.answers.get(run.last.step)
        run.say(value if isinstance(value, str) else "nei")
    assert run.last.step == "summary"
    assert "guardians[0].name" in asked
    assert "consent.given_by" in asked
    assert "consent.child_heard" in asked
    run.say("send")
    assert run.filing is not None
    assert len(run.filing.referral.guardians) == 2


# Parent 1 for a person who turns out to be a child (no parent filed the referral).
PARENT_1 = {
    "guardians[0].name": "Sara Berg, 41234567",
    "guardians[0].parental_responsibility": "ja",
    "guardians[0].informed": "ja",
    "guardians[0].more": "ja",
}


def test_a_rule_violation_at_send_routes_to_the_field() -> None:
    script = load("english_dnumber", TODAY)
    run = until(start(script), script, "summary")
    # An answer the rules refuse (as an old stored draft might carry) is caught at send.
    run.state.answers["consent.acknowledged"] = False
    run.say("send")
    assert run.filing is None
    assert run.last.step == "consent.acknowledged"
    assert run.last.error


def test_language_switch_keeps_answers() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "submitter.name")
    answers = dict(run.state.answers)
    run.say("språk en")
    assert run.state.language == "en"
    assert LanguageChanged("en") in run.effects
    assert run.state.answers == answers
    assert run.last.step == "submitter.name"
    assert run.last.text.startswith(texts("en")["q.submitter.name"])
    run.say("/language")
    assert run.last.step == "language"
    run.say("nynorsk")
    assert run.state.language == "nn" and run.last.step == "submitter.name"


def test_language_asked_first_then_the_intro_and_first_question_in_it() -> None:
    """The command "language" as the very first input (Rasa cannot tell the person's language): the
    language question comes before anything else, and the pick begins in that language."""
    run = Run(engine.new_state(language="nb", draft_id="lang-first"), context())
    run.command("language")
    assert [r.step for r in run.replies] == ["language"]
    assert run.last.text == texts("nb")["language.ask"]
    assert [c.id for c in run.last.choices] == ["nb", "nn", "en"]
    run.say("hei")  # no language: asked again
    assert run.last.step == "language" and run.last.error
    run.say("3")
    assert run.state.language == "en"
    assert run.replies[0].text.startswith(texts("en")["intro"])
    assert texts("en")["language.changed"] not in [r.text for r in run.replies]
    assert run.last.step == engine.current_step(run.state) != ""


def test_cancel_asks_first_then_discards() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "requests")
    run.say("avbryt")
    assert run.last.step == "confirm"
    run.say("nei")
    assert run.last.step == "requests" and run.effects == []
    run.say("cancel")
    run.say("ja")
    assert DiscardDraft() in run.effects
    assert run.state.mode == "cancelled" and run.state.answers == {}
    run.say("start")
    assert run.last.step == "submitter.role"


def test_restart_clears_answers_after_confirmation() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "requests")
    run.say("start på nytt")
    run.say("ja")
    assert run.state.answers == {}
    assert run.last.step == "submitter.role"


def test_help_explains_and_repeats_the_question() -> None:
    script = load("english_dnumber", TODAY)
    run = until(start(script), script, "kommune")
    run.say("help")
    assert run.last.step == "kommune"
    assert any(texts("en")["help.kommune.self"] in r.text for r in run.replies)


def test_multi_select_by_buttons_and_done() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "need.life_areas")
    run.send(UserInput(choice="housing"))
    run.send(UserInput(choice="transport"))
    run.send(UserInput(choice="housing"))
    assert run.last.selected == ("transport",)
    run.command("done")
    assert run.state.answers["need.life_areas"] == ["transport"]


def test_summary_command_midway_shows_answers_and_continues() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "requests")
    run.say("oppsummering")
    assert run.last.step == "requests"
    assert any("Ingrid" in r.text for r in run.replies)


def test_declining_the_plan_offers_coordinator_only() -> None:
    script = load("english_dnumber", TODAY)
    run = start(script)
    effect = to_filing(run, script)
    assert [r.value for r in effect.referral.requests] == ["coordinator"]
    assert "consent.share_between_services" not in run.asked


def test_progress_is_recomputed_from_the_branch() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "kommune")
    first = run.last.progress
    run.say("Bergen")
    assert run.last.progress is not None and first is not None
    assert run.last.progress[0] == first[0] + 1


def test_start_message_tells_what_matters() -> None:
    run = start(load("nn_adult_self", TODAY))
    intro = run.replies[0].text
    assert "72" in intro and "e-post" in intro and "kryptert" in intro
    # A channel that keeps nothing does not promise to keep a draft.
    quiet = start(load("nn_adult_self", TODAY), context(draft_ttl_hours=0)).replies[0].text
    assert "72" not in quiet and texts("nn")["intro.not_kept"] in quiet
    answer_once(run, load("nn_adult_self", TODAY))


def test_a_name_that_is_also_a_command_word_is_taken_as_the_name() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "person.given_name")
    run.say("Endre")
    assert run.state.answers["person.given_name"] == "Endre"
    run.say("Start")
    assert run.state.answers["person.family_name"] == "Start"
    run.say("/endre 5")  # the slash form still edits (5: the first name)
    assert run.last.step == "person.given_name" and run.state.mode == "edit"
    run.say("Lang")
    assert run.state.answers["person.given_name"] == "Lang"


def test_an_empty_answer_skips_an_optional_question_only() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "person.phone")
    run.say("")
    assert run.state.answers["person.phone"] is None
    run = start(script)
    run.say("")
    assert run.last.step == "submitter.role" and run.last.error


def test_edit_by_field_id_from_a_script_and_back_to_the_summary() -> None:
    script = load("english_dnumber", TODAY)
    run = until(start(script), script, "summary")
    run.command("edit", "person.phone")
    assert run.last.step == "person.phone"
    assert "+48512345678" in run.last.text  # the current answer is shown
    run.say("+47 912 34 567")
    assert run.last.step == "summary"
    assert run.state.answers["person.phone"] == "+4791234567"
    run.command("edit", "no.such.field")
    assert run.state.mode == "choose_edit"
    run.say("summary")
    assert run.last.step == "summary"


def test_back_never_shows_the_same_question_twice_in_a_row() -> None:
    """After a branch change, answers from the old branch are undone silently on the way back."""
    script = load("mother_child", TODAY)
    run = until(start(script), script, "summary")
    run.say("endre 1")  # role: parent -> self, so the parent-only answers no longer apply
    run.say("1")
    seen = [run.last.step]
    for _ in range(60):
        run.say("tilbake")
        if run.last.step == seen[-1]:
            assert run.last.step == "submitter.role"  # only the first question repeats
            break
        seen.append(run.last.step)
    assert seen[-1] == "submitter.role"


def test_a_new_referral_after_filing_gets_its_own_draft_id() -> None:
    """The draft id is the filing's idempotency key: "start" after the receipt begins a new
    referral, which must not be answered as the first one."""
    from dialogues.turn import next_draft_id

    script = load("nn_adult_self", TODAY)
    run = start(script)
    first = to_filing(run, script).idempotency_key
    run.state, _ = engine.filed(run.state, "KE-TEST-0001", run.ctx)
    run.say("start")
    assert run.state.mode == "ask" and run.state.draft_id == next_draft_id(first) != first
    assert [next_draft_id(x) for x in ("abc", "abc.2", "a.b.9", "x.")] == [
        "abc.2",
        "abc.3",
        "a.b.10",
        "x..2",
    ]

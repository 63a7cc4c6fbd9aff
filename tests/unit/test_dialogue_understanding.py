"""The conversation understands people: declines, typed choices and typos, several facts in one
answer, the kommune's readiness, and how many questions each kind of person is asked."""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogues import engine, parse, render
from dialogues.flow import load, text, texts
from dialogues.plan import plan
from dialogues.state import State
from dialogues.types import UserInput
from dialogues.words import fold, is_decline, is_no
from intake.address import split_address
from intake.text import tidy_name
from tests.conversations import PEOPLE, Script
from tests.conversations import load as load_script
from tests.conversations.drive import TODAY, Run, context, start, to_filing, until
from tests.fixtures.referrals import string_values

# -- declines, per language ---------------------------------------------------------------

DECLINES = {
    "nb": ["nei", "Nei takk.", "ingen", "ingenting", "har ikke", "vet ikke", "-", "ikke noe",
           "har ikke fastlege", "nei, det har jeg ikke", "ingen spesielle", "ikke aktuelt"],
    "nn": ["nei", "har ikkje", "veit ikkje", "ingen", "ikkje noko", "ingenting spesielt",
           "nei takk", "har ikkje fastlege", "ikkje aktuelt"],
    "en": ["no", "None", "n/a", "no thanks", "no preference", "don't know", "nothing",
           "none at the moment", "not applicable", "I don't know", "no, thank you", "nope"],
}  # fmt: skip
# Real answers that start like a decline, or look like one at a glance.
ANSWERS = ["Kari Nordmann", "ingen smerter", "nei til sykehjem", "Ingrid", "Nora",
           "no pain at night", "bo hjemme", "Ingebjørg Nilsen", "Ikke flytte", "Noah"]  # fmt: skip


@pytest.mark.parametrize(("lang", "word"), [(k, w) for k, ws in DECLINES.items() for w in ws])
def test_a_plain_no_is_a_decline(lang: str, word: str) -> None:
    assert is_decline(word), (lang, word)


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_real_answer_is_not_a_decline(answer: str) -> None:
    assert not is_decline(answer)


def _words_json() -> dict[str, Any]:
    raw = resources.files("dialogues").joinpath("data/words.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _every_decline_word() -> list[str]:
    heads = _words_json()["decline"]["heads"]
    return sorted({w for words in heads.values() for w in words})


def test_every_head_in_the_data_is_a_decline_in_every_language() -> None:
    heads = _words_json()["decline"]["heads"]
    assert set(heads) == {"nb", "nn", "en"}
    for word in _every_decline_word():
        assert is_decline(word), word


# -- every decline at every optional question is a skip, never stored ----------------------


def _finished(name: str) -> dict[str, Any]:
    script = load_script(name, TODAY)
    run = until(start(script), script, "summary")
    return dict(run.state.answers)


def _optional_slots() -> list[tuple[dict[str, Any], str]]:
    """(answers, key) for every optional question some person's branch asks."""
    ctx = context()
    found: dict[str, tuple[dict[str, Any], str]] = {}
    bases = [_finished(name) for name in PEOPLE]
    # Branches none of the five takes: the groups opened, the plan declined, a child's parents.
    extra = dict(bases[0])
    extra |= {
        "wishes": ["preferred_coordinator", "relatives_to_involve", "support_person"],
        "preferred_coordinator.name": "Ola Koordinator",
        "support_person.name": "Kari Støtte",
        "relatives_to_involve[0].name": "Per Pårørende",
        "person.gp.name": "Lege Legesen",
        "person.contact_preference.channel": "phone",
        "existing_plan": "both",
        "consent.all": False,
    }
    for answers in [*bases, extra]:
        state = State(language="nb", draft_id="p", answers=answers)
        for slot in plan(state, ctx):
            if slot.step.optional and slot.step.id not in found:
                found[slot.step.id] = (answers, slot.key)
    return sorted(found.values(), key=lambda pair: pair[1])


OPTIONAL = _optional_slots()


def test_the_property_covers_every_optional_question() -> None:
    ctx = context()
    covered = set()
    for answers, key in OPTIONAL:
        state = State(language="nb", draft_id="p", answers=answers)
        covered |= {s.step.id for s in plan(state, ctx) if s.key == key}
    assert covered == {s.id for s in load().steps if s.optional}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPTIONAL), st.sampled_from(_every_decline_word()))
def test_every_decline_at_every_optional_question_is_a_skip(
    where: tuple[dict[str, Any], str], word: str
) -> None:
    answers, key = where
    state = State(language="nb", draft_id="p", answers=dict(answers), mode="edit", focus=key)
    state.answers.pop(key, None)
    new, _replies, _effects = engine.step(state, UserInput(text=word), context())
    stored = new.answers.get(key)
    step = next(s for s in plan(new, context()) if s.key == key).step
    if step.kind == "yes_no" and is_no(word):
        assert stored is False, (key, word)  # "nei" to "Trenger du tolk?" is the answer no
    elif step.kind == "choice" and stored is not None:
        # A choice that says no itself ("Nei, ingen av delene"): the word picks it.
        assert stored == parse.one_choice(UserInput(text=word), step, step.choices), (key, word)
    else:
        assert stored is None, (key, word, stored)
    changed = {k: v for k, v in new.answers.items() if answers.get(k) != v}
    assert not any(
        isinstance(v, str) and parse.fold(v) == parse.fold(word) for v in changed.values()
    )


def test_a_decline_at_a_required_question_says_why_and_what_to_do() -> None:
    script = load_script("nn_adult_self", TODAY)
    run = until(start(script), script, "need.description")
    run.say("veit ikkje")
    assert run.last.step == "need.description"
    assert run.last.error == texts("nn")["why.need.description"]
    run.say("nei")
    assert run.last.error == texts("nn")["why.need.description"]
    assert "need.description" not in run.state.answers


def test_a_decline_at_the_first_question_of_a_group_closes_it() -> None:
    script = load_script("nn_adult_self", TODAY)
    run = until(start(script), script, "person.gp.name")
    run.say("har ikkje")
    assert run.state.answers["person.gp.name"] is None
    assert run.last.step != "person.gp.clinic"
    run = until(run, script, "current_services[0].service")
    run.say("ingen")
    assert run.last.step == "existing_plan"  # no provider, contact or "another one?"


# -- choices as typed ----------------------------------------------------------------------

TYPED_ROLES = {
    "nb": [("meg selv", "self"), ("Mor", "parent"), ("far", "parent"), ("forelder", "parent"),
           ("fullmektig", "attorney"), ("helsesykepleier", "provider"), ("verge", "guardian"),
           ("pårørende", "relative"), ("datter", "relative"), ("6", "provider")],
    "nn": [("meg sjølv", "self"), ("pårørande", "relative"), ("helsesjukepleiar", "provider"),
           ("føresett", "parent"), ("tenesteytar", "provider")],
    "en": [("myself", "self"), ("me", "self"), ("mother", "parent"), ("attorney", "attorney"),
           ("a nurse", "provider"), ("relative", "relative"), ("guardian", "guardian")],
}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "choice"), [pair for pairs in TYPED_ROLES.values() for pair in pairs]
)
def test_a_role_typed_in_words_is_understood(typed: str, choice: str) -> None:
    step = load().step("submitter.role")
    assert step is not None
    assert parse.one_choice(UserInput(text=typed), step, step.choices) == choice


def test_synonyms_never_name_two_choices_of_one_step() -> None:
    raw = resources.files("dialogues").joinpath("data/synonyms.json").read_text("utf-8")
    for step_id, table in json.loads(raw).items():
        if not isinstance(table, dict):
            continue
        step = load().step(step_id)
        assert step is not None, step_id
        assert set(table) <= {c.id for c in step.choices}, step_id
        seen: dict[str, str] = {}
        for choice, words in table.items():
            for word in words:
                assert seen.setdefault(parse.fold(word), choice) == choice, (step_id, word)


@pytest.mark.parametrize(
    ("typed", "choice"), [("pårørnde", "relative"), ("fulmektig", "attorney"), ("myslef", "self")]
)
def test_a_near_miss_is_confirmed_before_it_is_used(typed: str, choice: str) -> None:
    run = start(load_script("nn_adult_self", TODAY), preset=False)
    run.say(typed)
    assert run.last.step == "submitter.role" and run.last.error
    assert "submitter.role" not in run.state.answers
    run.say("ja")
    assert run.state.answers["submitter.role"] == choice


@pytest.mark.parametrize(("lang", "yes"), [("nb", "ja"), ("nn", "ja"), ("en", "yes")])
def test_a_kommune_typo_gets_a_suggestion_to_confirm(lang: str, yes: str) -> None:
    script = load_script("nn_adult_self", TODAY)
    run = start(script)
    run.command("language", lang)
    run.say("1")
    run.say("Bergn")
    assert run.last.step == "kommune" and "Bergen" in (run.last.error or "")
    assert "kommune" not in run.state.answers  # never a silent guess
    assert [c.id for c in run.last.choices] == ["4601"]
    run.say(yes)
    assert run.state.answers["kommune"] == "4601"


def test_no_to_a_suggestion_asks_again() -> None:
    run = start(load_script("nn_adult_self", TODAY))
    run.say("1")
    run.say("Bergn")
    run.say("nei")
    assert run.last.step == "kommune" and run.last.error == texts("nn")["offer.retype"]
    assert "kommune" not in run.state.answers


# -- several facts in one answer -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "street", "postcode", "city"),
    [
        ("Kirkeveien 12B, 0368 Oslo", "Kirkeveien 12B", "0368", "Oslo"),
        ("Storgata 1, 6991 Høyanger", "Storgata 1", "6991", "Høyanger"),
        ("storgata 1 6991 høyanger", "storgata 1", "6991", "Høyanger"),
        ("Postboks 159, 6991 Høyanger", "Postboks 159", "6991", "Høyanger"),
        ("Gate 5, 5003", "Gate 5", "5003", None),
        ("Storgata 1234", "Storgata 1234", None, None),  # a house number may have four digits
        ("Storgata 1, 2. etasje", "Storgata 1, 2. etasje", None, None),
    ],
)
def test_an_address_on_one_line(
    line: str, street: str, postcode: str | None, city: str | None
) -> None:
    parts = split_address(line)
    assert (parts.street, parts.postcode, parts.city) == (street, postcode, city)


def test_the_address_line_fills_what_it_holds_and_asks_the_rest() -> None:
    script = load_script("english_dnumber", TODAY)
    run = until(start(script), script, "person.address.street")
    run.say("Kirkeveien 12B, 0368 Oslo")
    answers = run.state.answers
    assert answers["person.address.street"] == "Kirkeveien 12B"
    assert answers["person.address.postcode"] == "0368"
    assert answers["person.address.city"] == "Oslo"
    assert any("0368" in r.text for r in run.replies)  # said back: what was understood
    run.command("back")
    assert "person.address.postcode" not in run.state.answers  # undone with it
    run.say("Storgata 1")
    assert run.last.step == "person.address.postcode"
    run.say("5003")
    assert run.last.step == "person.address.city"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("kari nordmann", "Kari Nordmann"), ("anne de vries", "Anne de Vries"),
     ("per-olav o'brien", "Per-Olav O'Brien"), ("McLean", "McLean"), ("KARI", "KARI"),
     ("de Vries", "de Vries")],
)  # fmt: skip
def test_names_typed_in_lower_case_are_capitalised_and_others_kept(typed: str, kept: str) -> None:
    assert tidy_name(typed) == kept


def test_a_full_name_fills_both_names() -> None:
    script = load_script("nn_adult_self", TODAY)
    run = until(start(script), script, "person.given_name")
    run.say("ingrid marie haugland")
    assert run.state.answers["person.given_name"] == "Ingrid Marie"
    assert run.state.answers["person.family_name"] == "Haugland"
    assert run.last.step == "person.national_id"


def test_phone_and_email_on_one_line_and_a_plain_no_declines_both() -> None:
    script = load_script("english_dnumber", TODAY)
    run = until(start(script), script, "person.phone")
    run.say("maria@example.com, +48 512 345 678")
    assert run.state.answers["person.email"] == "maria@example.com"
    assert run.state.answers["person.phone"] == "+48512345678"
    run.command("back")
    run.say("no")
    assert run.state.answers["person.phone"] is None and run.state.answers["person.email"] is None
    assert run.last.step == "person.contact_preference.channel"


# -- personal from question one --------------------------------------------------------------


def test_the_role_comes_first_and_a_parent_is_parent_1() -> None:
    script = load_script("mother_child", TODAY)
    run = start(script)
    assert run.last.step == "submitter.role"
    effect = to_filing(run, script)
    assert "guardians[0].name" not in run.asked  # offered: "Er du en av foreldrene ...?"
    first = effect.referral.guardians[0]
    assert first.name == "Sara Berg" and first.parental_responsibility is True
    assert first.informed is True
    kommune = next(r for r in run.history if r.step == "kommune")
    assert kommune.text.startswith(text("nb", "q.kommune.parent"))


# -- the kommune must be able to receive -----------------------------------------------------


def test_a_kommune_that_cannot_receive_is_said_at_once() -> None:
    script = load_script("nn_adult_self", TODAY)
    ready = context(receiving=frozenset({"0301"}))
    run = until(start(script, ready), script, "kommune")
    run.say("Bergen")
    assert run.last.step == "kommune"
    assert run.last.error == texts("nn")["kommune.not_ready"].format(name="Bergen")
    assert "kommune" not in run.state.answers  # nothing is collected for it
    assert "prøv igjen" not in (run.last.error or "").casefold()
    run.say("Oslo")
    assert run.state.answers["kommune"] == "0301"
    assert run.last.step == "person.given_name"


# -- how many questions ----------------------------------------------------------------------

# Questions asked (a question asked again after a typo counts again), as a regression guard.
QUESTIONS = {
    "nn_adult_self": 25,
    "mother_child": 34,
    "provider_elderly": 33,
    "attorney_son": 27,
    "english_dnumber": 25,
}


def _run(name: str) -> tuple[Script, Run]:
    script = load_script(name, TODAY)
    run = start(script)
    to_filing(run, script)
    return script, run


@pytest.mark.parametrize("name", PEOPLE)
def test_question_counts_per_kind_of_person(name: str) -> None:
    _, run = _run(name)
    asked = [step for step in run.asked if step != "summary"]
    assert len(asked) == QUESTIONS[name], asked
    assert len(asked) <= (25 if name in ("nn_adult_self", "english_dnumber") else 35)


@pytest.mark.parametrize("name", PEOPLE)
def test_the_first_progress_estimate_never_grows_by_more_than_a_fifth(name: str) -> None:
    _, run = _run(name)
    shown = [r.progress for r in run.history if r.progress]
    first = shown[0][1]
    assert max(n for _, n in shown) <= first * 1.2, shown
    assert all(i <= n for i, n in shown)


@pytest.mark.parametrize("name", PEOPLE)
def test_no_decline_word_is_stored_in_a_referral(name: str) -> None:
    _script, run = _run(name)
    assert run.filing is not None
    data = run.filing.referral.model_dump(mode="json")
    for value in string_values(data):
        assert not is_decline(value), (name, value)


# -- the summary -----------------------------------------------------------------------------


def _numbered(summary_text: str) -> dict[str, str]:
    """'20. Adresse: Storgata 1' -> {'Adresse': '20'}."""
    found = {}
    for line in summary_text.splitlines():
        head, dot, rest = line.partition(". ")
        if dot and head.isdigit():
            found[rest.split(":")[0]] = head
    return found


def test_the_summary_is_grouped_and_leaves_out_what_was_not_answered() -> None:
    script = load_script("attorney_son", TODAY)
    run = until(start(script), script, "summary")
    shown = run.last.text
    for section in ("start", "person", "submitter", "need", "consent"):
        assert text("nb", f"section.{section}") in shown, section
    assert texts("nb")["summary.skipped"] + "\n" not in shown  # no "–" lines
    entries = render.summary_entries(plan(run.state, run.ctx))
    skipped = sum(
        1 for s in entries if s.key in run.state.answers and run.state.answers[s.key] is None
    )
    assert skipped and text("nb", "summary.skipped_count", count=skipped) in shown  # counted
    assert f". {text('nb', 'l.person.gp.name')}:" not in shown


def test_summary_numbers_stay_the_same_across_edits() -> None:
    script = load_script("english_dnumber", TODAY)
    run = until(start(script), script, "summary")
    before = _numbered(run.last.text)
    run.say("edit interpreter")  # a label word: "Needs an interpreter"
    assert run.last.step == "person.interpreter.needed"
    run.say("no")  # the language question drops out of the branch
    assert run.last.step == "summary"
    after = _numbered(run.last.text)
    assert text("en", "l.person.interpreter.language") not in after
    assert all(after[label] == number for label, number in before.items() if label in after)


@pytest.mark.parametrize(("lang", "words"), [("nb", "endre telefon"), ("en", "edit phone")])
def test_edit_by_a_label_word_works_like_a_number(lang: str, words: str) -> None:
    script = load_script("nn_adult_self", TODAY)
    run = start(script)
    run.command("language", lang)
    run = until(run, script, "summary")
    run.say(words)
    assert run.state.mode == "edit" and run.last.step == "person.phone"


def test_a_parent_with_parental_responsibility_not_informed_is_flagged_for_the_ke() -> None:
    from storage.render.document import build_document
    from storage.render.labels import Labels

    script = load_script("mother_child", TODAY)
    script.answers["guardians[1].informed"] = "nei"
    run = start(script)
    referral = to_filing(run, script).referral
    assert referral.guardians[1].informed is False
    document = build_document(referral, None, Labels("nb"))
    flag = Labels("nb").t("case.guardian_not_informed", name="Jonas Berg")
    assert flag in document.warnings
    informed = build_document(
        to_filing(
            start(load_script("mother_child", TODAY)), load_script("mother_child", TODAY)
        ).referral,
        None,
        Labels("nb"),
    )
    assert not any("Jonas" in w for w in informed.warnings)


def test_the_skip_hint_at_a_yes_no_question_does_not_offer_no_as_a_skip() -> None:
    script = load_script("nn_adult_self", TODAY)
    run = until(start(script), script, "person.interpreter.needed")
    assert texts("nn")["hint.optional.yes_no"] in run.last.text
    assert texts("nn")["hint.optional"] not in run.last.text
    run = until(run, script, "need.duration")
    assert texts("nn")["hint.optional"] in run.last.text


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12) | st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_fold_of_ascii_text_is_the_unicode_fold(raw: str) -> None:
    """`fold` takes a shortcut for ASCII text: the same as NFKC, casefold and spacing folded."""
    folded = " ".join(unicodedata.normalize("NFKC", raw).casefold().split())
    assert fold(raw) == folded.rstrip(".!").replace("’", "'")

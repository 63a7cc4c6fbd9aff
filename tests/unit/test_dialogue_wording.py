"""Wording that fits the person: "du" when someone writes about themselves, plain messages for
an empty answer or a multi-select answered with a word, and the summary's edit/send words."""

from __future__ import annotations

import re

import pytest

from dialogues import engine, flow, render
from dialogues.flow import ROLES, texts
from dialogues.plan import plan
from dialogues.types import UserInput
from intake.messages import LANGUAGES, message
from tests.conversations import load
from tests.conversations.drive import TODAY, Run, start, until

ROLE_SUFFIX = re.compile(r"\.(" + "|".join(sorted(ROLES)) + r")$")


# Texts that only look like a role wording: the role choice, and the provider's own notice
# (shown besides "intro", never instead of it).
NOT_WORDINGS = frozenset({"c.submitter.role.self", "intro.provider"})


def _variants(lang: str) -> set[str]:
    """Role wordings: `<text>.<role>` of a text that exists. `.self` always counts (no field or
    choice is called "self" but the role choice itself); other roles only where the base text
    exists, since field ids such as `current_services[].provider` end in a role name too."""
    table = texts(lang)  # type: ignore[arg-type]
    return {
        k
        for k in table
        if (m := ROLE_SUFFIX.search(k))
        and k not in NOT_WORDINGS
        and (m.group(1) == "self" or k[: m.start()] in table)
    }


def test_a_role_wording_exists_in_every_language_and_words_an_existing_text() -> None:
    variants = set().union(*(_variants(lang) for lang in LANGUAGES))
    assert {"q.person.given_name.self", "q.requests.parent"} <= variants
    for key in sorted(variants):
        base = ROLE_SUFFIX.sub("", key)
        for lang in LANGUAGES:
            table = texts(lang)  # type: ignore[arg-type]
            assert key in table, (lang, key, "missing in this language")
            assert base in table, (lang, key, "has no base text")
            placeholders = sorted(re.findall(r"\{(\w+)\}", table[key]))
            assert placeholders == sorted(re.findall(r"\{(\w+)\}", table[base])), (lang, key)


def test_variant_falls_back_to_the_base_key() -> None:
    assert flow.variant("nn", "q.person.given_name", "self") == "q.person.given_name.self"
    assert flow.variant("nn", "q.person.given_name", "provider") == "q.person.given_name"
    assert flow.variant("nn", "q.person.given_name", None) == "q.person.given_name"
    assert flow.variant("nn", "q.person.family_name", "self") == "q.person.family_name"


def _question(run: Run, step: str) -> str:
    replies = [r for r in run.history if r.step == step]
    assert replies, f"{step} was never asked"
    return replies[-1].text.splitlines()[0]


def _walk(name: str) -> Run:
    script = load(name, TODAY)
    return until(start(script), script, "summary")


def test_someone_writing_about_themselves_is_called_du() -> None:
    run = _walk("nn_adult_self")
    assert _question(run, "person.given_name") == "Kva heiter du? Skriv førenamn og etternamn."
    assert _question(run, "requests") == "Kva ønskjer du?"
    assert _question(run, "consent.all").startswith("Samtykke. Du samtykkjer ")
    # who consents is known: someone filing for themselves consents themselves
    assert not any(r.step == "consent.given_by" for r in run.history)
    # after the role question nothing calls the writer "personen" or a plural "de"
    role_at = next(i for i, r in enumerate(run.history) if r.step == "submitter.role")
    for reply in run.history[role_at + 1 :]:
        if reply.step and reply.step != "summary":
            first = reply.text.splitlines()[0]
            assert not re.search(r"\bpersonen\b", first), (reply.step, first)
            assert not re.search(r"\bde\b", first), (reply.step, first)


@pytest.mark.parametrize(
    ("lang", "given", "requests"),
    [
        ("nb", "Hva heter du? Skriv fornavn og etternavn.", "Hva ønsker du?"),
        (
            "en",
            "What is your name? Type your given name and family name.",
            "What are you asking for?",
        ),
    ],
)
def test_self_wording_in_bokmal_and_english(lang: str, given: str, requests: str) -> None:
    script = load("nn_adult_self", TODAY)
    run = start(script)
    run.command("language", lang)
    run = until(run, script, "requests")
    assert _question(run, "person.given_name") == given
    assert _question(run, "requests") == requests


def test_a_parent_is_asked_about_the_child_and_consents_as_parents() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "summary")
    lang = script.language
    assert _question(run, "person.given_name") == flow.text(lang, "q.person.given_name.parent")  # type: ignore[arg-type]
    assert _question(run, "requests") == flow.text(lang, "q.requests.parent")  # type: ignore[arg-type]
    asked = {r.step for r in run.history}
    for step in ("consent.coordinator", "consent.individual_plan"):
        if step in asked:
            assert _question(run, step) == flow.text(lang, f"q.{step}.parent")  # type: ignore[arg-type]


def test_a_provider_gets_the_neutral_wording() -> None:
    script = load("provider_elderly", TODAY)
    run = until(start(script), script, "summary")
    lang = script.language
    assert _question(run, "person.given_name") == flow.text(lang, "q.person.given_name")  # type: ignore[arg-type]
    assert _question(run, "requests") == flow.text(lang, "q.requests")  # type: ignore[arg-type]


def test_the_self_label_of_a_choice_is_understood_when_typed() -> None:
    script = load("provider_elderly", TODAY)
    run = until(start(script), script, "consent.given_by")
    run.say("personen sjølv")
    assert run.state.answers["consent.given_by"] == "person"


# -- an empty answer to a required question ----------------------------------------------


@pytest.mark.parametrize("step", ["submitter.role", "person.given_name", "requests"])
def test_an_empty_answer_to_a_required_question_says_an_answer_is_needed(step: str) -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, step)
    before = dict(run.state.answers)
    shown = run.last
    run.say("   ")
    assert run.last.step == step
    assert run.last.error == flow.text("nn", f"why.{step}")
    assert run.last.error != message("choice_invalid", "nn")
    assert run.last.choices == shown.choices  # the question and its choices stay
    assert run.state.answers == before
    run.send(UserInput())  # nothing at all, as an adapter might send
    assert run.last.step == step and run.last.error == flow.text("nn", f"why.{step}")


def test_done_with_nothing_picked_at_a_required_multi_says_an_answer_is_needed() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "requests")
    run.say("ferdig")
    assert run.last.step == "requests"
    assert run.last.error == flow.text("nn", "why.requests")


# -- a multi-select answered with a word ---------------------------------------------------


def test_yes_at_a_multi_select_says_how_to_answer() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "requests")
    run.say("ja")
    assert run.last.step == "requests"
    assert run.last.error == flow.text("nn", "multi.how")
    assert "«ferdig»" in run.last.error and "1,3" in run.last.error
    assert "requests" not in run.state.answers
    run.say("9")  # a number that is not listed: the format was right, the number not
    assert run.last.error == message("choice_invalid", "nn")


def test_all_selects_every_information_source_but_not_every_request() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "requests")
    run.say("alle")
    assert "requests" not in run.state.answers
    assert run.last.error == flow.text("nn", "multi.how")
    run = until(run, script, "consent.obtain_information_from")
    assert flow.text("nn", "hint.multi.all") in run.last.text
    offered = [c.id for c in run.last.choices]
    run.say("ja")
    assert run.last.error == flow.text("nn", "multi.how.all")
    run.say("Alle")
    assert run.state.answers["consent.obtain_information_from"] == offered
    assert run.last.step == "consent.all"


def test_all_in_english() -> None:
    script = load("english_dnumber", TODAY)
    run = until(start(script), script, "consent.obtain_information_from")
    offered = [c.id for c in run.last.choices]
    run.say("all")
    assert run.state.answers["consent.obtain_information_from"] == offered


# -- the summary: edit by number, send in every language -----------------------------------


def _fifth(run: Run) -> str:
    """The answer numbered 5: numbers are fixed by the flow (1 role, 2 kommune, 3 unborn,
    4 due date, 5 the first name), whichever of them this person was asked."""
    entries = render.summary_entries(plan(run.state, run.ctx))
    return next(s.key for s in entries if render.number(s) == 5)


@pytest.mark.parametrize("words", ["endre 5", "edit 5", "5", "Endre 5", "/endre 5", "korriger 5"])
def test_the_summary_edits_answer_five(words: str) -> None:
    run = _walk("nn_adult_self")
    assert run.last.step == "summary"
    fifth = _fifth(run)
    assert f"\n5. {flow.text('nn', f'l.{fifth}')}" in run.last.text
    run.say(words)
    assert run.state.mode == "edit" and run.last.step == fifth


def test_the_summary_asks_which_answer_then_takes_a_number() -> None:
    run = _walk("nn_adult_self")
    fifth = _fifth(run)
    run.say("endre")
    assert run.state.mode == "choose_edit"
    run.say("5")
    assert run.state.mode == "edit" and run.last.step == fifth


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("word", ["send", "Send", "send inn", "sende", "submit"])
def test_send_at_the_summary_in_every_language(lang: str, word: str) -> None:
    script = load("nn_adult_self", TODAY)
    run = start(script)
    run.command("language", lang)
    run = until(run, script, "summary")
    run.say(word)
    assert run.filing is not None
    assert run.state.mode == "filing"


def test_a_word_at_a_single_choice_says_how_to_answer() -> None:
    script = load("provider_elderly", TODAY)
    run = until(start(script), script, "consent.given_by")
    run.say("kanskje")
    assert run.last.step == "consent.given_by"
    assert run.last.error == flow.text("nb", "choice.how")
    run.say("7")
    assert run.last.error == message("choice_invalid", "nb")


def test_the_example_follows_the_role_too() -> None:
    script = load("nn_adult_self", TODAY)
    run = until(start(script), script, "resources")
    assert flow.text("nn", "ex.resources.self") in run.last.text


def test_a_parent_is_asked_about_the_child_throughout() -> None:
    script = load("mother_child", TODAY)
    run = until(start(script), script, "summary")
    for step in ("person.address.street", "need.diagnosis", "goals", "resources"):
        assert "barnet" in _question(run, step), step
    assert "Sønnen vår" in next(r.text for r in run.history if r.step == "need.description")


def test_an_empty_answer_while_editing_keeps_the_current_answer() -> None:
    run = _walk("nn_adult_self")
    fifth = _fifth(run)
    before = dict(run.state.answers)
    run.say("endre 5")
    assert run.last.step == "person.given_name"
    assert flow.text("nn", "hint.current", value="Ingrid") in run.last.text
    run.say("")
    assert run.last.step == "summary" and not run.last.error
    assert run.state.answers == before
    run.say("9")
    assert run.last.step == "requests"
    run.say("")  # the same for a question that has choices
    assert run.last.step == "summary" and run.state.answers["requests"] == before["requests"]
    assert fifth == "person.given_name"


def test_help_follows_the_role_when_the_role_is_known_first() -> None:
    script = load("nn_adult_self", TODAY)
    run = start(script)  # this script presets no role: the role is asked first
    run.say("hjelp")
    assert any(r.text == flow.text("nn", "help.submitter.role") for r in run.replies)
    preset = Run(
        engine.new_state(language="nn", draft_id="d", preset_role="self"), run.ctx
    ).command("start")
    assert preset.last.text.startswith(flow.text("nn", "q.kommune.self"))
    preset.say("hjelp")
    assert any(r.text == flow.text("nn", "help.kommune.self") for r in preset.replies)

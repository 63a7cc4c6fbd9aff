"""The action server's actions, run through rasa-sdk's own executor with Rasa 3.6 request bodies.

The HTTP layer is covered by tests/e2e/test_rasa_action_server.py; here the same bodies go to
`ActionExecutor.run`, which is what rasa-sdk's `/webhook` calls.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from bot.rasa import runtime
from bot.rasa.server import build_executor
from bot.rasa.slots import SKIPPED
from bot.rasa.validation import ValidateReferralForm
from bot.runtime.clock import oslo_date
from bot.settings import Settings
from dialogues.flow import text
from intake.errors import FieldError
from intake.identifiers import validate_national_id
from intake.messages import message
from tests import rasa_calls as rc
from tests.rasa_calls import run, slot_events, texts_of
from tests.synthetic import born_years_ago, synthetic_id

TODAY = oslo_date(dt.datetime.now(dt.UTC))
CHILD_ID = synthetic_id(born_years_ago(TODAY, 10))
ADULT_ID = synthetic_id(born_years_ago(TODAY, 40))
BAD_ID = "12345678901"

START = {"kommune": "0301", "submitter__role": "parent", "person__unborn": False}
NAMED = {**START, "person__given_name": "Tora", "person__family_name": "Testesen"}


@pytest.fixture(autouse=True)
def demo_runtime(tmp_path: Path) -> Iterator[None]:
    runtime.configure(demo=True, settings=Settings(data_dir=tmp_path, allow_synthetic_ids=True))
    yield
    runtime.configure(demo=False)


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    return build_executor()


async def validate(
    executor: ActionExecutor, slots: dict[str, Any], requested: str, answer: str, lang: str = "nb"
) -> dict[str, Any]:
    body = rc.validation_call("test-user", {**slots, "language": lang}, requested, answer)
    return await run(executor, body)


# -- accepted and normalised ---------------------------------------------------------------


async def test_kommune_name_becomes_its_number(executor: ActionExecutor) -> None:
    result = await validate(executor, {}, "kommune", "oslo")
    assert slot_events(result) == {
        "kommune": "0301",
        "kommune_offer": None,
        "requested_slot": "submitter__role",
    }
    assert result["responses"] == []


async def test_ambiguous_kommune_offers_the_candidates(executor: ActionExecutor) -> None:
    result = await validate(executor, {}, "kommune", "Herøy")
    events = slot_events(result)
    assert events["kommune"] is None
    assert sorted(events["kommune_offer"]) == ["1515", "1818"]
    (reply,) = result["responses"]
    assert {b["payload"] for b in reply["buttons"]} == {"1515", "1818"}
    # The next answer picks from the offer by its number, as in the other channels.
    again = await validate(executor, {"kommune_offer": events["kommune_offer"]}, "kommune", "2")
    assert slot_events(again)["kommune"] == events["kommune_offer"][1]


async def test_phone_is_stored_as_e164(executor: ActionExecutor) -> None:
    slots = {"kommune": "0301", "submitter__role": "relative"}
    result = await validate(executor, slots, "submitter__phone", "912 34 567")
    assert slot_events(result)["submitter__phone"] == "+4791234567"


async def test_choice_by_its_label_in_nynorsk(executor: ActionExecutor) -> None:
    result = await validate(
        executor, {"kommune": "0301"}, "submitter__role", "Forelder til eit barn", "nn"
    )
    assert slot_events(result)["submitter__role"] == "parent"
    assert slot_events(result)["requested_slot"] == "person__unborn"


async def test_skipping_an_optional_question_is_remembered(executor: ActionExecutor) -> None:
    slots = {**NAMED, "person__national_id": ADULT_ID, "requests": ["coordinator"]}
    slots |= {"submitter__name": "Ola Testesen", "submitter__phone": "+4791234567"}
    result = await validate(executor, slots, "submitter__email", "hopp over")
    assert slot_events(result)["submitter__email"] == SKIPPED


# -- rejected, with the dialogue's message in the conversation's language -----------------


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
async def test_bad_national_id_is_refused_with_the_message(
    executor: ActionExecutor, lang: str
) -> None:
    with pytest.raises(FieldError) as caught:
        validate_national_id(BAD_ID, allow_synthetic=True)
    result = await validate(executor, NAMED, "person__national_id", BAD_ID, lang)
    events = slot_events(result)
    assert events["person__national_id"] is None
    assert events["requested_slot"] == "person__national_id"  # asked again
    assert texts_of(result) == [message(caught.value.key, lang)]  # type: ignore[arg-type]


async def test_a_required_question_cannot_be_skipped(executor: ActionExecutor) -> None:
    result = await validate(executor, START, "person__given_name", "hopp over", "en")
    assert slot_events(result)["person__given_name"] is None
    assert texts_of(result) == [text("en", "why.person.given_name")]


# -- conditions: role, age from the national id, requests --------------------------------


async def test_child_coordinator_only_for_a_child(executor: ActionExecutor) -> None:
    child = await validate(executor, {**NAMED, "person__national_id": CHILD_ID}, "requests", "3")
    assert slot_events(child)["requests"] == ["child_coordinator"]
    adult = await validate(
        executor, {**NAMED, "person__national_id": ADULT_ID}, "requests", "3", "en"
    )
    assert slot_events(adult)["requests"] is None
    assert texts_of(adult) == [message("choice_invalid", "en")]


async def required(slots: dict[str, Any]) -> list[str]:
    body = rc.action_call("validate_referral_form", "test-user", slots, "x")
    tracker = Tracker.from_dict(body["tracker"])
    form = ValidateReferralForm()
    return list(await form.required_slots([], CollectingDispatcher(), tracker, rc.domain()))


async def test_required_slots_follow_role_and_age() -> None:
    base = {**NAMED, "requests": ["coordinator"]}
    child = await required({**base, "person__national_id": CHILD_ID})
    adult = await required({**base, "person__national_id": ADULT_ID})
    assert "guardians__0__name" in child and "guardians__0__name" not in adult
    assert "consent__child_heard" in child and "consent__child_heard" not in adult
    assert "submitter__relationship" in child  # a parent says how they are related
    selfish = await required({**NAMED, "submitter__role": "self", "person__national_id": ADULT_ID})
    assert "submitter__phone" not in selfish and "person__unborn" not in selfish
    provider = await required(
        {**NAMED, "submitter__role": "provider", "person__national_id": ADULT_ID}
    )
    assert "submitter__organisation__org_number" in provider


async def test_declining_a_plan_asks_for_a_coordinator_only(executor: ActionExecutor) -> None:
    slots = {**NAMED, "person__national_id": ADULT_ID, "requests": ["individual_plan"]}
    slots["consent__all"] = False  # the consent statement declined: asked one by one
    result = await validate(executor, slots, "consent__individual_plan", "nei")
    events = slot_events(result)
    assert events["consent__individual_plan"] is False
    assert events["requests"] == ["coordinator"]
    assert texts_of(result) == [text("nb", "decline_ip")]


# -- commands: rejected so that the rules run the command's action ------------------------


@pytest.mark.parametrize("word", ["hjelp", "tilbake", "oppsummering", "avbryt", "/ask_help"])
async def test_a_command_word_is_not_an_answer(executor: ActionExecutor, word: str) -> None:
    with pytest.raises(ActionExecutionRejection) as caught:
        await validate(executor, START, "person__given_name", word)
    assert caught.value.action_name == "validate_referral_form"


async def test_help_says_the_questions_help_and_clears_the_command(
    executor: ActionExecutor,
) -> None:
    slots = {"requested_slot": "kommune", "kommune": "hjelp"}
    result = await run(
        executor, rc.action_call("action_referral_help", "u", slots, "hjelp", "ask_help")
    )
    assert texts_of(result) == [text("nb", "help.kommune"), text("nb", "help.commands")]
    assert slot_events(result) == {"kommune": None}


async def test_back_clears_the_previous_answer(executor: ActionExecutor) -> None:
    slots = {**START, "person__given_name": "Tora", "requested_slot": "person__family_name"}
    slots["person__family_name"] = "tilbake"
    result = await run(
        executor, rc.action_call("action_referral_back", "u", slots, "tilbake", "go_back")
    )
    assert slot_events(result) == {"person__family_name": None, "person__given_name": None}


async def test_back_at_the_first_question(executor: ActionExecutor) -> None:
    slots = {"requested_slot": "kommune", "kommune": "tilbake"}
    result = await run(
        executor, rc.action_call("action_referral_back", "u", slots, "tilbake", "go_back")
    )
    assert texts_of(result) == [text("nb", "back.first")]


async def test_summary_lists_the_answers_so_far(executor: ActionExecutor) -> None:
    slots = {
        **NAMED,
        "requested_slot": "person__national_id",
        "person__national_id": "oppsummering",
    }
    body = rc.action_call("action_referral_summary", "u", slots, "oppsummering", "show_summary")
    said = "\n".join(texts_of(await run(executor, body)))
    assert text("nb", "summary.head_partial") in said and "Tora" in said and "0301" in said
    assert text("nb", "summary.incomplete") in said


async def test_language_switch_from_the_entity(executor: ActionExecutor) -> None:
    body = rc.action_call("action_referral_language", "u", {"requested_slot": "kommune"}, "English")
    body["tracker"]["latest_message"]["entities"] = [{"entity": "language", "value": "en"}]
    result = await run(executor, body)
    assert slot_events(result)["language"] == "en"
    assert texts_of(result) == [text("en", "language.changed")]


async def test_dynamic_question_offers_only_allowed_choices(executor: ActionExecutor) -> None:
    adult = {**NAMED, "person__national_id": ADULT_ID}
    result = await run(executor, rc.action_call("action_ask_requests", "u", adult, "x"))
    (reply,) = result["responses"]
    assert [b["payload"] for b in reply["buttons"]] == ["individual_plan", "coordinator"]


# -- nothing personal in the logs -------------------------------------------------------------


async def test_no_slot_values_in_logs(
    executor: ActionExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = ["Tora", "Testesen", CHILD_ID, BAD_ID, "91234567", "Storgata"]
    slots = {**NAMED, "person__national_id": CHILD_ID, "requested_slot": "requests"}
    await validate(executor, NAMED, "person__national_id", BAD_ID)
    await validate(executor, {**NAMED, "person__national_id": CHILD_ID}, "requests", "3")
    await validate(
        executor, {"kommune": "0301", "submitter__role": "relative"}, "submitter__phone", "91234567"
    )
    await run(executor, rc.action_call("action_referral_summary", "u", slots, "oppsummering"))
    with pytest.raises(ActionExecutionRejection):
        await validate(executor, START, "person__address__street", "hjelp")
    assert "slot person__national_id" in caplog.text  # the logs do name slots
    for secret in secrets:
        assert secret not in caplog.text


# -- submit: a rule broken across answers sends the person back to the question ------------


async def test_submit_sends_back_to_the_answer_a_rule_concerns(executor: ActionExecutor) -> None:
    from tests.e2e.test_rasa_action_server import ANSWERS

    slots: dict[str, Any] = {"language": "en", "requested_slot": "kommune"}
    for _ in range(80):  # rc.converse, awaited in this event loop
        requested = slots["requested_slot"]
        if requested is None:
            break
        body = rc.validation_call("u", slots, requested, ANSWERS.get(requested, "skip"))
        rc.apply(slots, (await run(executor, body))["events"])
    # Slots the form would never produce (a ten-year-old consenting alone), as a tampered or
    # outdated tracker might hold: the rules at filing still catch it.
    slots["consent__given_by"] = "person"
    submitted = await run(executor, rc.action_call("action_submit_referral", "u", slots, "yes"))
    assert texts_of(submitted) == [
        text("en", "check.problem"),
        message("consent_by_parents", "en", age=16),
    ]
    events = slot_events(submitted)
    assert events == {"consent__all": None, "consent__given_by": None}
    assert {"event": "followup", "timestamp": None, "name": "referral_form"} in submitted["events"]
    assert not runtime.app().inbox.list()  # nothing filed


async def test_a_name_that_is_also_a_command_word_is_a_name(executor: ActionExecutor) -> None:
    result = await validate(executor, START, "person__given_name", "Endre")
    assert slot_events(result)["person__given_name"] == "Endre"
    with pytest.raises(ActionExecutionRejection):
        await validate(executor, START, "person__given_name", "/endre")


async def test_edit_with_a_number_asks_that_question_again(executor: ActionExecutor) -> None:
    slots = {**NAMED, "requested_slot": "person__national_id", "person__national_id": "endre 4"}
    result = await run(executor, rc.action_call("action_referral_edit", "u", slots, "endre 4"))
    # 1 kommune, 2 role, 3 unborn, 4 given name (the summary's numbering)
    assert slot_events(result) == {
        "person__national_id": None,
        "person__given_name": None,
        "consent__all": None,
    }


async def test_edit_alone_shows_the_answers_then_takes_a_number(executor: ActionExecutor) -> None:
    slots = {**NAMED, "requested_slot": "person__national_id", "person__national_id": "endre"}
    shown = await run(executor, rc.action_call("action_referral_edit", "u", slots, "endre"))
    assert text("nb", "edit.which") in texts_of(shown)
    assert slot_events(shown) == {"person__national_id": None, "edit_pending": True}
    picked = await validate(executor, {**NAMED, "edit_pending": True}, "person__national_id", "5")
    events = slot_events(picked)
    assert events["person__family_name"] is None and events["edit_pending"] is None
    assert events["requested_slot"] == "person__family_name"


async def test_restart_forgets_the_answers(executor: ActionExecutor) -> None:
    slots = {**NAMED, "language": "en", "requested_slot": "person__national_id"}
    result = await run(executor, rc.action_call("action_referral_restart", "u", slots, "restart"))
    assert texts_of(result) == [text("en", "restart.done")]
    assert result["events"][0] == {"event": "reset_slots", "timestamp": None}
    assert slot_events(result) == {"language": "en"}


async def test_last_question_comes_with_the_summary(executor: ActionExecutor) -> None:
    slots = {**NAMED, "person__national_id": ADULT_ID, "requests": ["coordinator"]}
    result = await run(executor, rc.action_call("action_ask_consent__all", "u", slots, "x"))
    summary, question = texts_of(result)
    assert summary.startswith(text("nb", "summary.head")) and "Testesen" in summary
    assert text("nb", "summary.foot") not in summary
    assert question.startswith(text("nb", "q.consent.all.parent").split("{")[0])
    assert [b["payload"] for b in result["responses"][1]["buttons"]] == ["yes", "no"]


def test_built_bodies_have_the_shape_rasa_3_6_sends() -> None:
    import gzip
    import json

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "rasa" / "recorded_calls.json.gz"
    real = json.loads(gzip.decompress(fixture.read_bytes()))["calls"][0]["body"]
    built = rc.validation_call("u", {"kommune_offer": ["1515", "1818"]}, "kommune", "2")
    assert built.keys() == real.keys()
    assert built["tracker"].keys() == real["tracker"].keys()
    assert built["tracker"]["latest_message"].keys() == real["tracker"]["latest_message"].keys()
    assert built["tracker"]["active_loop"].keys() == real["tracker"]["active_loop"].keys()
    assert built["domain"].keys() == real["domain"].keys()
    rasas_own = {"requested_slot", "session_started_metadata"}
    for body in (built, real):
        assert body["tracker"]["slots"].keys() == {*body["domain"]["slots"], *rasas_own}

    def shapes(events: list[dict[str, Any]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for event in events:
            out.setdefault(event["event"], set()).update(event)
        return out

    real_shapes = shapes(real["tracker"]["events"])
    for kind, keys in shapes(built["tracker"]["events"]).items():
        assert keys <= real_shapes[kind], kind
    # The candidates to validate come last, after the form's own action event.
    assert [e["event"] for e in built["tracker"]["events"][-2:]] == ["action", "slot"]
    assert [e["event"] for e in real["tracker"]["events"][-2:]] == ["action", "slot"]


async def test_another_command_ends_a_pending_edit(executor: ActionExecutor) -> None:
    slots = {**NAMED, "edit_pending": True, "requested_slot": "person__national_id"}
    result = await run(executor, rc.action_call("action_referral_help", "u", slots, "hjelp"))
    assert slot_events(result)["edit_pending"] is None

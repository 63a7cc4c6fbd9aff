"""Cancelling in the Rasa channel asks first, with the engine's words, and forgets only on yes.

Each call is the body Rasa 3.6 sends, run through rasa-sdk's own executor; `rc.apply` plays the
tracker's part between calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from bot.rasa import cancel, runtime
from bot.rasa.server import build_executor
from bot.settings import Settings
from dialogues.flow import text
from intake.messages import message
from tests import rasa_calls as rc
from tests.rasa_calls import run, slot_events, texts_of

NAMED = {
    "kommune": "0301",
    "submitter__role": "parent",
    "person__unborn": False,
    "person__given_name": "Tora",
    "person__family_name": "Testesen",
}
FOLLOWUP_CANCEL = {"event": "followup", "timestamp": None, "name": cancel.FORM}
FOLLOWUP_REFERRAL = {"event": "followup", "timestamp": None, "name": rc.FORM}


@pytest.fixture(autouse=True)
def demo_runtime(tmp_path: Path) -> Iterator[None]:
    runtime.configure(demo=True, settings=Settings(data_dir=tmp_path, allow_synthetic_ids=True))
    yield
    runtime.configure(demo=False)


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    return build_executor()


async def say_cancel(
    executor: ActionExecutor, slots: dict[str, Any], *, loop: str | None = rc.FORM
) -> dict[str, Any]:
    body = rc.action_call("action_referral_cancel", "u", slots, "avbryt", loop=loop)
    return await run(executor, body)


async def answer(executor: ActionExecutor, slots: dict[str, Any], said: str) -> dict[str, Any]:
    body = rc.validation_call("u", slots, cancel.ANSWER, said, form=cancel.FORM)
    return await run(executor, body)


async def decided(executor: ActionExecutor, slots: dict[str, Any]) -> dict[str, Any]:
    body = rc.action_call("action_referral_cancel_decided", "u", slots, "", loop=None)
    return await run(executor, body)


async def test_cancel_in_the_form_asks_first_and_forgets_nothing_yet(
    executor: ActionExecutor,
) -> None:
    slots = {**NAMED, "requested_slot": "person__national_id", "person__national_id": "avbryt"}
    result = await say_cancel(executor, slots)
    assert texts_of(result) == []  # the confirmation form asks
    assert result["events"][-1] == FOLLOWUP_CANCEL
    # The referral form pauses (the decision resumes it); nothing is reset.
    assert {"event": "active_loop", "timestamp": None, "name": None} in result["events"]
    assert not any(e["event"] == "reset_slots" for e in result["events"])
    # Only the rejected command word leaves its slot; the answers stay.
    assert slot_events(result) == {
        "person__national_id": None,
        cancel.ANSWER: None,
        cancel.RESUME: rc.FORM,
    }


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
async def test_the_question_is_the_engines_with_yes_no_buttons(
    executor: ActionExecutor, lang: str
) -> None:
    slots = {**NAMED, "language": lang, "requested_slot": cancel.ANSWER}
    body = rc.action_call(f"action_ask_{cancel.ANSWER}", "u", slots, "avbryt", loop=cancel.FORM)
    result = await run(executor, body)
    (reply,) = result["responses"]
    assert reply["text"] == text(lang, "cancel.ask")
    assert reply["buttons"] == [
        {"title": text(lang, "c.yes"), "payload": "yes"},
        {"title": text(lang, "c.no"), "payload": "no"},
    ]


@pytest.mark.parametrize(
    ("said", "decision"),
    [
        ("ja", "yes"),
        ("yes", "yes"),
        ("avbryt", "yes"),
        ("nei", "no"),
        ("no", "no"),
        ("hjelp", "no"),
    ],
)
async def test_the_engine_reads_the_answer(
    executor: ActionExecutor, said: str, decision: str
) -> None:
    result = await answer(executor, dict(NAMED), said)
    # Filled: Rasa's form is complete and the rule runs `action_referral_cancel_decided`.
    assert slot_events(result) == {cancel.ANSWER: decision}
    assert texts_of(result) == []


async def test_an_unclear_answer_is_asked_again_with_the_engines_message(
    executor: ActionExecutor,
) -> None:
    result = await answer(executor, {**NAMED, "language": "en"}, "maybe")
    # Still empty: Rasa's form asks again (`action_ask_cancel_answer`).
    assert slot_events(result) == {cancel.ANSWER: None}
    assert texts_of(result) == [message("yes_no", "en")]


async def test_yes_forgets_every_answer(executor: ActionExecutor) -> None:
    slots = {**NAMED, "language": "nn", cancel.ANSWER: "yes", cancel.RESUME: rc.FORM}
    result = await decided(executor, slots)
    assert texts_of(result) == [text("nn", "cancel.done")]
    assert result["events"][0] == {"event": "reset_slots", "timestamp": None}
    assert slot_events(result) == {"language": "nn"}
    assert FOLLOWUP_REFERRAL not in result["events"]


async def test_no_keeps_every_answer_and_the_form_goes_on(executor: ActionExecutor) -> None:
    slots = {**NAMED, "language": "en", cancel.ANSWER: "no", cancel.RESUME: rc.FORM}
    result = await decided(executor, slots)
    assert texts_of(result) == [text("en", "stop.kept")]
    assert slot_events(result) == {cancel.ANSWER: None, cancel.RESUME: None}
    assert result["events"][-1] == FOLLOWUP_REFERRAL


async def test_the_whole_exchange_keeps_the_answers_on_no(executor: ActionExecutor) -> None:
    """avbryt -> "cancel?" -> nei -> "we continue": the slots end as they were."""
    before = {**NAMED, "language": "nb", "requested_slot": "person__national_id"}
    slots = {**before, "person__national_id": "avbryt"}
    said: list[str] = []
    for step in range(3):
        if step == 0:
            result = await say_cancel(executor, slots)
        elif step == 1:
            result = await answer(executor, slots, "nei")
        else:
            result = await decided(executor, slots)
        said += texts_of(result)
        rc.apply(slots, result["events"])
    assert said == [text("nb", "stop.kept")]
    # (requested_slot is Rasa's own: the referral form sets it again when it resumes.)
    kept = {k: v for k, v in slots.items() if v is not None and k != "requested_slot"}
    assert kept == {k: v for k, v in before.items() if k != "requested_slot"}
    assert result["events"][-1] == FOLLOWUP_REFERRAL


async def test_after_filing_it_says_so_instead_of_asking(executor: ActionExecutor) -> None:
    slots = {"language": "en", "referral_reference": "KE-7K4M-Q9XA"}
    result = await say_cancel(executor, slots, loop=None)
    assert texts_of(result) == [text("en", "filed.already", reference="KE-7K4M-Q9XA")]
    assert FOLLOWUP_CANCEL not in result["events"]


async def test_after_a_failed_filing_it_asks_and_no_does_not_resume_the_form(
    executor: ActionExecutor,
) -> None:
    slots = dict(NAMED)
    result = await say_cancel(executor, slots, loop=None)
    assert result["events"][-1] == FOLLOWUP_CANCEL
    assert slot_events(result)[cancel.RESUME] is None
    assert not any(e["event"] == "active_loop" for e in result["events"])
    rc.apply(slots, result["events"])
    result = await decided(executor, {**slots, cancel.ANSWER: "no"})
    assert texts_of(result) == [text("nb", "stop.kept")]
    assert FOLLOWUP_REFERRAL not in result["events"]  # "send" files it again, as before

"""Hostile input through the real aiogram Dispatcher and the recording Bot API session."""

from __future__ import annotations

import pytest

from bot.telegram.callbacks import Callback
from tests.botapi.harness import Harness
from tests.botapi.person import Answer, answer_for
from tests.hostile.catalogue import FORGED_CHOICE_INDEXES, HOSTILE_ANSWERS, forged_callbacks
from tests.hostile.checks import assert_safe


@pytest.mark.parametrize("index", FORGED_CHOICE_INDEXES)
def test_unpack_refuses_every_forged_choice_index_without_raising(index: str) -> None:
    assert Callback.unpack(f"k|abcd1234|c|{index}") is None


def test_unpack_never_raises_on_any_shape() -> None:
    for data in [*forged_callbacks("abcd1234"), None, 5, b"k|a|c|1", ["k"]]:
        found = Callback.unpack(data)
        assert found is None or (found.op == "c" and found.index is not None)


async def test_forged_callbacks_on_a_live_keyboard_change_nothing() -> None:
    harness = Harness()
    try:
        await harness.walk(until="submitter.role")
        message = harness.keyboard_message()
        nonce = harness.buttons(message)[0]["callback_data"].split("|")[1]
        answers_before = len(harness.fake.callback_answers)
        for data in forged_callbacks(nonce):
            await harness.press_data(message.message_id, data)  # must not raise
        assert harness.current_step() == "submitter.role"
        # each forged press was answered (as a stale button), none was lost
        assert len(harness.fake.callback_answers) - answers_before == len(forged_callbacks(nonce))
        # and the keyboard still works for a real press afterwards
        await harness.answer_current()
        assert harness.current_step() != "submitter.role"
    finally:
        await harness.close()


async def test_every_hostile_answer_as_a_text_message() -> None:
    """The catalogue's answers typed as Telegram messages, through the real dispatcher: each
    answered, nothing raised, nothing dangerous sent back, the question unchanged, nothing
    filed."""
    harness = Harness()
    try:
        await harness.send("/start")
        asked = harness.current_step()
        assert asked is not None
        for raw in HOSTILE_ANSWERS:
            before = len(harness.fake.calls)
            await harness.send(raw)  # must not raise
            sent = [c.params for c in harness.fake.calls[before:]]
            assert any(c.method == "sendMessage" for c in harness.fake.calls[before:]), repr(raw)
            assert_safe(raw, sent)
            assert harness.current_step() == asked, repr(raw[:40])
        assert harness.filer.filed == []
    finally:
        await harness.close()


# The typed answers that are text (names, places, the need); identifiers (national id, phone,
# postcode) with such characters are refused outright, which stores nothing either.
_TEXT_STEPS = frozenset({"kommune", "person.given_name", "person.family_name", "submitter.name",
                         "submitter.relationship", "person.address.street", "person.address.city",
                         "need.description", "consent.lacks_capacity_reason"})  # fmt: skip


def _wrapped(step: str, answer: Answer) -> Answer:
    """A text answer with a bidi override, a zero-width space and an ANSI colour around it."""
    if answer.kind != "text" or step not in _TEXT_STEPS:
        return answer
    return Answer("text", tuple(f"\u202e{v}\u200b\x1b[31m" for v in answer.value))


async def test_hostile_characters_around_every_typed_answer_are_not_filed() -> None:
    """A whole referral through the real dispatcher, every typed answer wrapped in invisible
    and escape characters: it is filed, and what is filed holds none of them."""
    harness = Harness()
    harness.person = lambda step, today: _wrapped(step, answer_for(step, today))
    try:
        await harness.walk()
        ((referral, _, _),) = harness.filer.filed
        stored = referral.model_dump(mode="json")
        assert_safe("wrapped answers", stored)
        assert stored["person"]["given_name"] == "Kari"
    finally:
        await harness.close()

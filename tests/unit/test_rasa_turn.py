"""The Rasa channel is the engine, one turn per message: the calls Rasa 3.6 makes, through
rasa-sdk's own executor (what its `/webhook` calls), answered with the engine's words.

The HTTP layer and the guards are covered by tests/e2e/test_rasa_action_server.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from bot.rasa import runtime, turn
from bot.rasa.server import build_executor
from bot.runtime.clock import oslo_date
from bot.settings import Settings
from dialogues.flow import text, texts
from dialogues.state import State
from tests import rasa_calls as rc
from tests.conversations import PEOPLE, answer_for, load
from tests.filers import RecordingFiler
from tests.synthetic import born_years_ago, synthetic_id

TODAY = oslo_date(dt.datetime.now(dt.UTC))
ADULT_ID = synthetic_id(born_years_ago(TODAY, 40))


@pytest.fixture
def filer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingFiler]:
    runtime.configure(demo=True, settings=Settings(data_dir=tmp_path))
    recording = RecordingFiler()
    monkeypatch.setattr("bot.rasa.actions.filer", lambda: recording)
    yield recording
    runtime.configure(demo=False)


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    return build_executor()


class Chat:
    def __init__(self, executor: ActionExecutor, sender: str = "u") -> None:
        self.executor = executor
        self.conv = rc.Conversation(sender)
        self.results: list[dict[str, Any]] = []

    async def say(self, message: str) -> list[str]:
        result = await rc.run(self.executor, self.conv.body(message))
        self.results.append(result)
        return self.conv.took(message, result)

    @property
    def state(self) -> State:
        return State.from_json(self.conv.slots[turn.STATE])

    @property
    def step(self) -> str:
        return self.conv.step()


async def test_the_first_message_gets_the_language_question(
    executor: ActionExecutor, filer: RecordingFiler
) -> None:
    chat = Chat(executor)
    said = await chat.say("hei")
    assert said == [texts("nb")["language.ask"]]
    (response,) = chat.results[0]["responses"]
    assert [b["payload"] for b in response["buttons"]] == ["nb", "nn", "en"]
    assert [b["title"] for b in response["buttons"]] == [
        text(lang, "language.name") for lang in ("nb", "nn", "en")
    ]
    said = await chat.say("nn")  # the button's payload
    assert said[0].startswith(text("nn", "intro", hours=72))
    assert chat.step not in ("", "new", "language")  # the first question, in nynorsk
    assert chat.conv.slots[turn.LANGUAGE] == "nn"


async def test_a_first_message_naming_a_language_begins_in_it(
    executor: ActionExecutor, filer: RecordingFiler
) -> None:
    chat = Chat(executor)
    said = await chat.say("English")
    assert said[0].startswith(text("en", "intro", hours=72))
    assert chat.state.language == "en" and chat.step != ""


async def test_free_text_reaches_the_engine_commands_back_and_summary(
    executor: ActionExecutor, filer: RecordingFiler
) -> None:
    """Nothing is refused at the door: commands, declines and answers all go to the engine,
    which answers as in every channel (back, help and the summary are its own)."""
    chat = Chat(executor)
    await chat.say("nb")
    first = chat.step
    await chat.say("Tromsø" if first == "kommune" else "1")
    second = chat.step
    assert second != first
    said = await chat.say("tilbake")
    assert chat.step == first
    said = await chat.say("hjelp")
    assert any(text("nb", "help.commands") in s for s in said)
    assert chat.step == first
    said = await chat.say("/oppsummering")
    assert any(text("nb", "summary.head_partial") in s for s in said)


async def test_personal_wording_for_someone_filing_for_themselves(
    executor: ActionExecutor, filer: RecordingFiler
) -> None:
    script = load("nn_adult_self", TODAY)
    chat = Chat(executor)
    await chat.say("nn")
    for _ in range(10):
        if chat.step == "person.given_name":
            break
        await chat.say(answer_for(script, chat.step, True) or "")
    said = chat.conv.said[-1]
    assert text("nn", "q.person.given_name.self") in said


async def test_a_malformed_state_slot_is_refused_without_its_value(
    executor: ActionExecutor,
) -> None:
    with pytest.raises(turn.MalformedSlots) as caught:
        turn.state_of({turn.STATE: '["02013299997"]'})
    assert "02013299997" not in str(caught.value)
    with pytest.raises(turn.OutdatedState) as outdated:  # an object, but not a state any more
        turn.state_of({turn.STATE: '{"v": 1, "national": "02013299997"}'})
    assert "02013299997" not in str(outdated.value)
    for bad in (12, ["x"], "{", "[" * 100_000, "x" * (turn.MAX_STATE_CHARS + 1)):
        with pytest.raises(turn.MalformedSlots):
            turn.state_of({turn.STATE: bad})
    assert turn.state_of({}) is None


@pytest.mark.parametrize("name", [p for p in PEOPLE if p != "attorney_son"])
async def test_every_scripted_person_files_through_rasa(
    name: str, executor: ActionExecutor, filer: RecordingFiler
) -> None:
    """The five people of the dialogue tests (but the one with an upload, which a Rasa text
    channel cannot send): every answer typed, filed once through the channel runtime."""
    script = load(name, TODAY)
    chat = Chat(executor, sender=f"rasa-{name}")
    await chat.say(script.language)
    for _ in range(150):
        if chat.step == "done":
            break
        reply = answer_for(script, chat.step, rc.optional(chat.step))
        assert reply is not None, chat.step
        await chat.say(reply)
    assert chat.step == "done"
    (referral, _attachments, channel) = filer.filed[0]
    assert channel == "rasa" and len(filer.filed) == 1
    assert (
        "hopp over" not in referral.model_dump_json() and "skip" not in referral.model_dump_json()
    )
    assert chat.conv.slots[turn.REFERENCE] == "KE-TEST-0001"
    assert text(script.language, "filed.reference", reference="KE-TEST-0001") in " ".join(
        chat.conv.said
    )
    assert filer.calls[0]["language"] == script.language


async def test_a_second_referral_after_filing_is_filed_under_its_own_key(
    executor: ActionExecutor, filer: RecordingFiler
) -> None:
    """After the receipt, "start" begins a new referral in the same conversation; it must not
    share the first one's idempotency key (the inbox would answer it as the first, unfiled)."""
    chat = Chat(executor, sender="twice")
    await chat.say("nn")
    for round_ in range(2):
        script = load("nn_adult_self", TODAY)  # a script answers some questions in turns
        for _ in range(150):
            if chat.step == "done":
                break
            await chat.say(answer_for(script, chat.step, rc.optional(chat.step)) or "")
        assert chat.step == "done", chat.conv.said[-2:]
        assert len(filer.filed) == round_ + 1
        if round_ == 0:
            await chat.say("start")
    keys = [call["key"] for call in filer.calls]
    assert len(keys) == 2 and keys[0] != keys[1]

"""Channel choices and cues through the real Dispatcher and the recording session: keeping the
chat copy after filing (or not, the default), the progress line above each question, and the
flood notice in the conversation's language."""

from __future__ import annotations

import re

from aiogram.fsm.storage.base import StorageKey

from bot.telegram.conversation import Conversation
from dialogues import flow
from tests.botapi.harness import Harness, label_for
from tests.botapi.person import identify

CHECK, UNCHECKED = "\u2705 ", "\u25ab\ufe0f "


def keep_label(language: str = "nb") -> str:
    return flow.text(language, "tg.keep_chat")  # type: ignore[arg-type]


def storage_key(harness: Harness) -> StorageKey:
    uid = harness.fake.user_id
    return StorageKey(bot_id=harness.fake.bot_id, chat_id=uid, user_id=uid)


def keep_button_text(harness: Harness) -> str:
    found = [b["text"] for b in harness.buttons() if b["text"].endswith(keep_label())]
    assert len(found) == 1, [b["text"] for b in harness.buttons()]
    return found[0]


async def test_by_default_the_summary_offers_to_keep_and_the_chat_is_deleted() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    assert keep_button_text(harness) == UNCHECKED + keep_label()
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1
    left = [m.text or "" for m in harness.fake.chat.values()]
    assert len(left) == 2
    assert flow.text("nb", "filed.chat_deleted") in left[0]
    assert left[1] == flow.text("nb", "tg.removed", count=len(harness.fake.deleted))
    assert harness.fake.calls_of("deleteMessages")


async def test_a_person_who_chooses_to_keep_the_chat_keeps_it() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    summary = harness.keyboard_message()

    await harness.press(keep_label())
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.keep_chat.on")
    stored = Conversation.from_data(await harness.backend.storage.get_data(storage_key(harness)))
    assert stored is not None and stored.keep  # in the draft, not in a worker's memory
    # the same summary message stays live, its toggle now checked
    assert harness.keyboard_message().message_id == summary.message_id
    assert keep_button_text(harness) == CHECK + keep_label()
    assert harness.current_step() == "summary"
    # changing one's mind goes back to deleting; then keep again
    await harness.press(keep_label())
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.keep_chat.off")
    assert keep_button_text(harness) == UNCHECKED + keep_label()
    await harness.press(keep_label())

    chat_before = set(harness.fake.chat)
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1
    assert not harness.fake.calls_of("deleteMessages") and not harness.fake.deleted
    assert chat_before <= set(harness.fake.chat)  # every question and answer is still there
    receipt, notice = [m.text or "" for m in harness.fake.bot_messages()[-2:]]
    assert "KE-TEST-0001" in receipt
    assert flow.text("nb", "filed.chat_deleted") not in receipt
    assert notice == flow.text("nb", "tg.kept")


async def test_a_keep_toggle_from_an_old_summary_is_stale() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    old = harness.keyboard_message()
    toggle = next(b for b in harness.buttons(old) if b["text"].endswith(keep_label()))
    await harness.press(label_for("summary", "edit"))
    await harness.press_data(old.message_id, toggle["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.button_outdated")


async def test_questions_show_where_the_person_is() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.press(label_for("submitter.role", "self"))
    await harness.send("Oslo")
    pattern = re.escape(flow.text("nb", "progress", i=999, n=888))
    pattern = pattern.replace("999", r"(\d+)").replace("888", r"(\d+)")
    seen: list[tuple[int, int]] = []
    for message in harness.fake.bot_messages():
        text = message.text or ""
        if identify(text) is None:
            continue
        found = re.match(pattern + "\n", text)
        assert found, text  # every question starts with its progress line
        seen.append((int(found[1]), int(found[2])))
    assert len(seen) >= 3
    positions = [i for i, _ in seen]
    assert positions == sorted(positions) and positions[0] < positions[-1]
    assert all(i <= n for i, n in seen)


async def test_flood_notice_uses_the_conversations_language() -> None:
    harness = Harness(flood_limit=4)
    await harness.send("/start")
    await harness.send("/language")
    await harness.press(flow.text("en", "language.name"))
    sent = len(harness.fake.calls_of("sendMessage"))
    await harness.send("/help")  # the fourth update: answered at once
    await harness.send("/help")  # over the limit: the notice, in the chosen language, then help
    after = [c.params["text"] for c in harness.fake.calls_of("sendMessage")[sent:]]
    notice = after.index(flow.text("en", "tg.slow_down"))
    assert after[:notice] == after[notice + 1 :]  # the slowed one answered as the one before
    assert harness.fake.language_code == "nb"  # not the client's language


async def test_flood_notice_without_a_conversation_uses_the_clients_language() -> None:
    harness = Harness(flood_limit=1)
    harness.fake.language_code = "nn"
    await harness.send("/start")
    await harness.send("/start")
    texts = [c.params["text"] for c in harness.fake.calls_of("sendMessage")]
    assert flow.text("nn", "tg.slow_down") in texts

"""Navigation and channel behaviour through the real Dispatcher: back, edit, language, cancel,
stale buttons, duplicate updates, flood throttle, resume after a gap, uploads, deep link,
deletion limits and Bot API retries."""

from __future__ import annotations

import datetime as dt

from aiogram.client.session.base import BaseSession

from bot.telegram.retry import RetryMiddleware
from dialogues import flow
from intake.messages import message
from tests.botapi.harness import Harness, label_for
from tests.botapi.person import PDF

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def q(step: str, language: str = "nb") -> str:
    found = flow.load().step(step)
    assert found is not None
    return flow.text(language, found.text, n=1)  # type: ignore[arg-type]


async def test_text_choice_and_multi_steps() -> None:
    harness = Harness()
    await harness.send("/start")
    assert harness.current_step() == "submitter.role"
    assert flow.text("nb", "intro", hours=72) in (harness.fake.bot_messages()[0].text or "")
    await harness.press(label_for("submitter.role", "self"))
    # the pressed keyboard is removed so it cannot be pressed twice
    assert harness.fake.calls_of("editMessageReplyMarkup")[-1].params.get("reply_markup") is None
    assert harness.current_step() == "kommune"
    await harness.send("Oslo")
    await harness.send("Kari")
    await harness.send("Nordmann")
    await harness.send("/skip")  # national id is optional
    assert harness.current_step() == "person.birth_date"
    await harness.send("01.02.1980")
    assert harness.current_step() == "requests"
    keyboard = harness.keyboard_message()
    await harness.press(label_for("requests", "coordinator"))
    # a multi-select toggles in place: the same message, now with a check mark
    edited = harness.fake.chat[keyboard.message_id]
    labels = [b["text"] for b in harness.buttons(edited)]
    assert any(
        t.startswith("\u2705") and t.endswith(label_for("requests", "coordinator")) for t in labels
    )
    assert harness.current_step() == "requests"
    await harness.press(flow.text("nb", "btn.done"))
    assert harness.current_step() != "requests"


async def test_back_edit_and_summary() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.press(label_for("submitter.role", "self"))
    await harness.send("Oslo")
    await harness.send("Kari")
    assert harness.current_step() == "person.family_name"
    await harness.send("/back")
    assert harness.current_step() == "person.given_name"
    await harness.send("Karianne")
    assert harness.current_step() == "person.family_name"

    await harness.walk(until="summary")
    await harness.press(label_for("summary", "edit"))
    assert flow.text("nb", "edit.which") in (harness.fake.last_bot_message().text or "")
    await harness.send("2")  # the second answer in the summary: the municipality
    assert harness.current_step() == "kommune"
    await harness.send("Bergen")
    assert harness.current_step() == "summary"
    assert "Bergen" in (harness.fake.bot_messages()[-1].text or "")


async def test_language_switch_updates_replies_and_the_chat_menu() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.send("/language")
    await harness.press(flow.text("nn", "language.name"))
    texts = [m.text or "" for m in harness.fake.bot_messages()]
    assert flow.text("nn", "language.changed") in texts[-2] + texts[-1]
    assert q("submitter.role", "nn") in texts[-1]
    menus = harness.fake.calls_of("setMyCommands")
    assert menus and menus[-1].params["scope"]["type"] == "chat"
    assert menus[-1].params["commands"][0]["description"] == flow.text("nn", "cmd.start")


async def test_cancel_discards_the_draft_and_cleans_the_chat() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.send("Oslo")
    await harness.send("/cancel")
    await harness.press(label_for("confirm", "yes"))
    left = [m.text for m in harness.fake.chat.values()]
    assert left[0] == flow.text("nb", "cancel.done")
    assert (
        len(left) == 2 and flow.text("nb", "tg.removed", count=len(harness.fake.deleted)) == left[1]
    )
    assert not harness.filer.filed
    # a new message starts a fresh conversation
    await harness.send("hei")
    assert flow.text("nb", "intro", hours=72) in (harness.fake.bot_messages()[-2].text or "") + (
        harness.fake.bot_messages()[-3].text or ""
    )


async def test_stale_button_is_answered_kindly_and_does_nothing() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.send("Oslo")
    old = harness.keyboard_message()
    old_data = harness.buttons(old)[0]["callback_data"]
    await harness.send("/back")  # the role question is shown again, on a new keyboard
    await harness.send("Oslo")
    before = len(harness.fake.calls_of("sendMessage"))
    await harness.press_data(old.message_id, old_data)
    answer = harness.fake.callback_answers[-1]
    assert answer["text"] == flow.text("nb", "tg.button_outdated")
    assert len(harness.fake.calls_of("sendMessage")) == before
    assert harness.current_step() == "submitter.role"
    # foreign or malformed data is treated the same way
    await harness.press_data(old.message_id, "something-else")
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.button_outdated")


async def test_duplicate_update_is_handled_once() -> None:
    harness = Harness()
    await harness.send("/start")
    update = harness.fake.text_update("Oslo")
    await harness.feed(update)
    sent = len(harness.fake.calls_of("sendMessage"))
    await harness.feed(update)
    assert len(harness.fake.calls_of("sendMessage")) == sent
    assert harness.current_step() == "submitter.role"


async def test_flood_is_slowed_politely_once_and_nothing_is_dropped() -> None:
    harness = Harness(flood_limit=3)
    for _ in range(3):
        await harness.send("/help")
    sent = len(harness.fake.calls_of("sendMessage"))
    await harness.send("/help")
    once = [c.params["text"] for c in harness.fake.calls_of("sendMessage")[sent:]]
    await harness.send("/help")
    await harness.send("/help")
    after = [c.params["text"] for c in harness.fake.calls_of("sendMessage")[sent:]]
    assert once[0] == flow.text("nb", "tg.slow_down")
    assert after == [*once, *once[1:], *once[1:]]
    assert harness.waited  # the gate waited for the window instead of dropping


async def test_resume_or_start_over_after_a_gap() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.send("Oslo")
    harness.now += dt.timedelta(hours=5)
    await harness.send("hei igjen")
    assert harness.fake.last_bot_message().text == flow.text("nb", "resume.prompt")
    await harness.press(flow.text("nb", "resume.continue"))
    texts = [m.text or "" for m in harness.fake.bot_messages()[-2:]]
    assert flow.text("nb", "resume") in texts[0]
    assert harness.current_step() == "submitter.role"

    harness.now += dt.timedelta(hours=5)
    await harness.send("hallo")
    await harness.press(flow.text("nb", "resume.start_over"))
    assert flow.text("nb", "restart.ask") in (harness.fake.last_bot_message().text or "")
    await harness.press(label_for("confirm", "yes"))
    assert harness.current_step() == "submitter.role"


async def test_expired_draft_is_announced_and_starts_afresh() -> None:
    harness = Harness()
    await harness.send("/start")
    await harness.send("Oslo")
    # as if 72 hours had passed: the record is still there, its token too old to open
    harness.backend.storage.records.cipher._clock = lambda: 10**10  # type: ignore[attr-defined]
    sent = len(harness.fake.bot_messages())
    await harness.send("Bergen")
    new = [m.text or "" for m in harness.fake.bot_messages()[sent:]]
    assert new[0] == flow.text("nb", "tg.draft_lost")  # the person is told, first
    assert flow.text("nb", "intro", hours=72) in " ".join(new)


async def test_provider_deep_link_presets_the_role() -> None:
    harness = Harness()
    await harness.send("/start provider")
    texts = " ".join(m.text or "" for m in harness.fake.bot_messages())
    assert flow.text("nb", "intro.provider") in texts
    await harness.send("Oslo")
    assert harness.current_step() != "submitter.role"


async def test_photo_upload_is_hashed_and_sniffed_not_echoed() -> None:
    harness = Harness()
    await harness.walk(until="attachments")
    await harness.feed(harness.fake.photo_update(JPEG))
    assert harness.current_step() != "attachments"
    assert flow.text("nb", "file.received", filename="photo.jpg") in " ".join(
        m.text or "" for m in harness.fake.bot_messages()
    )


async def test_oversized_upload_is_refused_without_download() -> None:
    harness = Harness()
    await harness.walk(until="attachments")
    gets = len(harness.fake.calls_of("getFile"))
    update = harness.fake.document_update("stor.pdf", "application/pdf", PDF)
    update["message"]["document"]["file_size"] = 11 * 1024 * 1024
    await harness.feed(update)
    assert len(harness.fake.calls_of("getFile")) == gets
    assert harness.fake.last_bot_message().text.startswith(message("attachment_too_large", "nb"))  # type: ignore[union-attr]
    assert harness.current_step() == "attachments"


async def test_unsupported_content_gets_a_notice() -> None:
    harness = Harness()
    await harness.send("/start")
    update = harness.fake.push(
        {
            "message": harness.fake._incoming(
                sticker={
                    "file_id": "s1",
                    "file_unique_id": "s1",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            )
        }
    )
    await harness.feed(update)
    assert harness.fake.last_bot_message().text == flow.text("nb", "tg.unsupported")
    assert harness.current_step() == "submitter.role"


async def test_messages_older_than_48_hours_are_not_deleted_and_the_person_is_told() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    older = len(harness.fake.chat)
    harness.now += dt.timedelta(hours=49)
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1
    deleted = set(harness.fake.deleted)
    assert len(deleted) == 1  # only the "sending" message is recent enough
    notice = harness.fake.last_bot_message().text or ""
    assert flow.text("nb", "tg.removed", count=1) in notice
    assert flow.text("nb", "tg.removed_left", left=older) in notice


async def test_retries_on_429_and_5xx_then_succeeds() -> None:
    harness = Harness()
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    session: BaseSession = harness.bot.session
    session.middleware(RetryMiddleware(sleep=sleep, base_delay=0.5))
    harness.fake.failures["sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 3},
            },
        ),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
    ]
    await harness.send("/start")
    assert delays[0] == 3
    assert 0.25 <= delays[1] <= 1.0
    assert harness.current_step() == "submitter.role"


async def test_a_failed_send_never_loses_the_answer() -> None:
    harness = Harness()
    await harness.send("/start")
    error = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    harness.fake.failures["sendMessage"] = [error] * 20
    await harness.send("meg selv")  # the answer is stored, the question cannot be sent
    assert harness.current_step() == "submitter.role"
    harness.fake.failures.clear()
    harness.now += dt.timedelta(seconds=10)  # past the back-off of the kept question
    await harness.send("/start")  # the kept question comes first, then this answer's
    assert harness.current_step() == "kommune"


async def test_a_summary_over_telegrams_limit_is_split_with_the_keyboard_last() -> None:
    harness = Harness()
    await harness.walk(until="need.description")
    long_story = ("Hverdagen er krevende og tjenestene henger ikke sammen. " * 70).strip()
    await harness.send(long_story[:3990])
    await harness.walk(until="summary")
    sent = harness.fake.calls_of("sendMessage")
    head = flow.text("nb", "summary.head")
    start = max(i for i, c in enumerate(sent) if str(c.params["text"]).startswith(head))
    first, second = sent[start], sent[start + 1]
    assert len(str(first.params["text"])) + len(str(second.params["text"])) > 4096
    assert all(len(str(c.params["text"])) <= 4096 for c in sent)
    assert "reply_markup" not in first.params
    assert second.params["reply_markup"]["inline_keyboard"]
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1


async def test_a_keyboard_answered_by_typing_or_pressed_twice_goes_stale() -> None:
    harness = Harness()
    await harness.send("/start")
    roles = harness.keyboard_message()
    self_button = next(
        b for b in harness.buttons(roles) if b["text"] == label_for("submitter.role", "self")
    )
    await harness.press_data(roles.message_id, self_button["callback_data"])
    assert harness.current_step() == "kommune"
    # a double tap on the same button must not become the answer to the next (text) question
    await harness.press_data(roles.message_id, self_button["callback_data"])
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.button_outdated")
    assert harness.current_step() == "kommune"

    await harness.walk(until="person.interpreter.needed")
    shown = harness.keyboard_message()
    await harness.send("nei")  # answered by typing
    assert harness.current_step() != "person.interpreter.needed"
    await harness.press(label_for("person.interpreter.needed", "yes"), shown)
    assert harness.fake.callback_answers[-1]["text"] == flow.text("nb", "tg.button_outdated")

"""The Telegram adapter through the real aiogram Dispatcher, with real Updates and a recording
Bot API session: a whole referral, each kind of step, uploads, filing and the clean-up."""

from __future__ import annotations

import dataclasses

from dialogues import flow
from tests.botapi.harness import Harness, RecordingFiler, label_for
from tests.botapi.person import PDF


async def test_complete_referral_is_filed_and_chat_cleaned() -> None:
    harness = Harness()
    steps = await harness.walk()
    # every kind of step was answered through the adapter
    assert {"kommune", "submitter.role", "requests", "attachments", "summary"} <= set(steps)
    filer: RecordingFiler = harness.filer
    assert len(filer.filed) == 1
    referral, attachments, channel = filer.filed[0]
    assert channel == "telegram"
    assert referral.person.given_name == "Kari"
    assert [a.filename for a, _ in attachments] == ["fullmakt.pdf"]
    assert attachments[0][1] == PDF  # fetched again via getFile at filing time
    assert {c.method for c in harness.fake.calls} >= {"getFile", "deleteMessages"}

    # Only the receipt and the notice of what was removed are left in the chat.
    remaining = list(harness.fake.chat.values())
    assert len(remaining) == 2
    assert "KE-TEST-0001" in (remaining[0].text or "")
    assert remaining[1].text == flow.text("nb", "tg.removed", count=len(harness.fake.deleted))
    assert len(harness.fake.deleted) > 60  # both the questions and the person's answers
    for call in harness.fake.calls_of("deleteMessages"):
        assert len(call.params["message_ids"]) <= 100
    # the draft is gone: the next message starts afresh
    assert await harness.backend.storage.get_data(_key(harness)) == {}


async def test_upload_is_never_echoed() -> None:
    harness = Harness()
    await harness.walk(until="attachments")
    await harness.upload("fullmakt.pdf", "application/pdf", PDF)
    sent = [c for c in harness.fake.calls if c.method == "sendMessage"]
    assert not any("PDF-1.4" in str(c.params) for c in sent)
    assert any(
        flow.text("nb", "file.received", filename="fullmakt.pdf") in str(c.params["text"])
        for c in sent
    )


async def test_wrong_file_type_is_refused_with_the_engine_message() -> None:
    harness = Harness()
    await harness.walk(until="attachments")
    replies = await harness.upload("notes.txt", "text/plain", b"plain words")
    assert harness.current_step() == "attachments"
    assert replies and replies[-1].text.startswith(
        __import__("intake.messages").messages.message("attachment_type", "nb")
    )


async def test_filing_failure_keeps_the_draft() -> None:
    harness = Harness(filer=RecordingFiler(fail=True))
    await harness.walk(until="summary")
    await harness.press(label_for("summary", "send"))
    assert flow.text("nb", "filing.failed") in (harness.fake.last_bot_message().text or "")
    assert harness.fake.deleted == []
    assert harness.current_step() == "summary"
    harness.filer.fail = False
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1


def _key(harness: Harness):  # type: ignore[no-untyped-def]
    from aiogram.fsm.storage.base import StorageKey

    uid = harness.fake.user_id
    return StorageKey(bot_id=harness.fake.bot_id, chat_id=uid, user_id=uid)


async def test_a_text_file_named_pdf_is_refused_at_upload_not_at_filing() -> None:
    harness = Harness()
    await harness.walk(until="attachments")
    replies = await harness.upload("fullmakt.pdf", "application/pdf", b"not a PDF at all\n")
    assert harness.current_step() == "attachments"
    assert replies and replies[-1].text.startswith(
        __import__("intake.messages").messages.message("attachment_type", "nb")
    )
    assert not harness.filer.filed


async def test_a_kommune_without_a_ke_key_is_refused_at_once() -> None:
    harness = Harness()
    harness.adapter.runtime = dataclasses.replace(
        harness.adapter.runtime, receiving=lambda: frozenset({"0301"})
    )
    await harness.walk(until="kommune")
    replies = await harness.send("Bergen")
    assert harness.current_step() == "kommune"
    refusal = flow.text("nb", "kommune.not_ready", name="Bergen")
    assert any(refusal in r.text for r in replies), [r.text for r in replies]

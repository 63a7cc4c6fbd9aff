"""A bad update never stops the channel: malformed updates (as a broken client, a newer Bot API
or a forger might send them) go through the real long-polling loop between good ones. Each is
answered where it names a private chat or a button press, or skipped; the good ones around them
are handled as usual; the log names update ids and error types, never what was written."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from dialogues import flow
from tests.botapi.harness import Harness

SECRETS = ("Kari", "Nordmann", "kari_n", "41234567", "Kari's", "fullmakt-kari.pdf")


def _person(fake: Any) -> dict[str, Any]:
    return {
        "id": fake.user_id,
        "is_bot": False,
        "first_name": "Kari",
        "last_name": "Nordmann",
        "username": "kari_n",
        "language_code": "nb",
    }


def _chat(fake: Any) -> dict[str, Any]:
    return {"id": fake.user_id, "type": "private", "first_name": "Kari", "username": "kari_n"}


def malformed(fake: Any, live_message_id: int, nonce: str) -> list[tuple[str, dict[str, Any]]]:
    """(what it is, the update's content); each with personal data in it, to check the log."""
    person, chat = _person(fake), _chat(fake)

    def message(**content: Any) -> dict[str, Any]:
        return {"message_id": 9000 + len(content), "date": 1_700_000_000, "chat": chat, **content}

    def press(data: Any, **extra: Any) -> dict[str, Any]:
        shown = {"message_id": live_message_id, "date": 1_700_000_000, "chat": chat, "text": "?"}
        query = {"id": f"q-{data!r}", "from": person, "chat_instance": "ci", "message": shown}
        if data is not None:
            query["data"] = data
        return {"callback_query": {**query, **extra}}

    return [
        ("message without from", {"message": message(text="Kari's svar")}),
        ("choice index ²", press(f"k|{nonce}|c|²")),
        ("choice index huge", press(f"k|{nonce}|c|{'9' * 40}")),
        ("choice index negative", press(f"k|{nonce}|c|-1")),
        ("press without data", press(None)),
        (
            "press of an inline message",
            {
                "callback_query": {
                    **press("x")["callback_query"],
                    "message": None,
                    "inline_message_id": "im-1",
                }
            },
        ),
        (
            "press with a non-string id",
            {"callback_query": {**press("x")["callback_query"], "id": ["Kari"]}},
        ),
        (
            "message without chat",
            {
                "message": {
                    "message_id": 1,
                    "date": 1,
                    "from": person,
                    "text": "Kari Nordmann 41234567",
                }
            },
        ),
        (
            "message with a bad date",
            {"message": {**message(text="Kari"), "date": "i går", "from": person}},
        ),
        (
            "chat id not a number",
            {
                "message": {
                    **message(text="Kari"),
                    "from": person,
                    "chat": {"id": "kari", "type": "private"},
                }
            },
        ),
        ("unknown kind of update", {"future_thing": {"first_name": "Kari", "text": "41234567"}}),
        (
            "contact card",
            {
                "message": message(
                    **{"from": person},
                    contact={
                        "phone_number": "41234567",
                        "first_name": "Kari",
                        "last_name": "Nordmann",
                    },
                )
            },
        ),
        (
            "document without name or type",
            {
                "message": message(
                    **{"from": person},
                    document={"file_id": "f-1", "file_unique_id": "u-1"},
                )
            },
        ),
        ("empty photo list", {"message": message(**{"from": person}, photo=[])}),
        ("text of NULs", {"message": message(**{"from": person}, text="\x00" * 5000)}),
        (
            "start with a huge argument",
            {
                "message": message(
                    **{"from": person},
                    text="/start " + "Kari" * 2000,
                    entities=[{"type": "bot_command", "offset": 0, "length": 6}],
                )
            },
        ),
        (
            "group message",
            {
                "message": {
                    **message(text="Kari 41234567"),
                    "from": person,
                    "chat": {"id": -100, "type": "group", "title": "Kari"},
                }
            },
        ),
        (
            "edited message",
            {
                "edited_message": {
                    **message(text="Kari"),
                    "from": person,
                    "edit_date": 1_700_000_001,
                }
            },
        ),
    ]


async def test_malformed_updates_never_stop_polling(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    harness = Harness()
    harness.fake.text_update("/start")
    await harness.poll_all()
    first = harness.current_step()
    assert first is not None
    keyboard = harness.keyboard_message()  # the first question is a choice
    nonce = harness.buttons(keyboard)[0]["callback_data"].split("|")[1]
    cases = malformed(harness.fake, keyboard.message_id, nonce)
    for _, content in cases:
        harness.fake.raw_update(**content)
    # not even an object, and one without an id: Telegram never sends these, but a proxy might
    harness.fake._updates.append("Kari")  # type: ignore[arg-type]
    harness.fake._updates.append({"message": {"text": "Kari"}})
    sent_before = len(harness.fake.calls_of("sendMessage"))
    harness.fake.text_update("/help")  # a good message among them is handled in its turn
    await harness.poll_all()
    helped = [str(c.params["text"]) for c in harness.fake.calls_of("sendMessage")]
    assert flow.text("nb", "help.commands") in helped
    # and polling goes on: a press on the question shown now moves the conversation on
    shown = harness.keyboard_message()
    before = harness.current_step()
    harness.fake.callback_update(shown.message_id, harness.buttons(shown)[0]["callback_data"])
    await harness.poll_all()
    assert harness.current_step() not in (None, before), "the good update after them was lost"

    texts = [str(c.params["text"]) for c in harness.fake.calls_of("sendMessage")[sent_before:]]
    unreadable = flow.text("nb", "tg.unreadable")
    # the unparseable messages that name the person were answered; the group one was not
    assert texts.count(unreadable) == 2  # no chat (answered to the sender), a bad date
    assert flow.text("nb", "tg.unsupported") in texts  # the contact card, the nameless document
    answered = {a["callback_query_id"] for a in harness.fake.callback_answers}
    for what, content in cases:
        query = content.get("callback_query")
        if query and isinstance(query.get("id"), str):
            assert query["id"] in answered, f"{what}: the press was not answered"

    # the log: ids and kinds only
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in logged, secret
    assert "malformed" in logged


async def test_a_failing_handler_is_answered_and_the_next_update_handled(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness()
    await harness.send("/start")

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("Kari Nordmann")

    first = harness.current_step()
    with monkeypatch.context() as patch:
        patch.setattr(harness.adapter, "_advance", broken)
        await harness.send("/help")
    assert harness.fake.last_bot_message().text == flow.text("nb", "tg.failed")
    assert "Kari" not in caplog.text
    await harness.answer_current()
    assert harness.current_step() not in (None, first)

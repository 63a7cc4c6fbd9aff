"""Replies the Bot API refused, and failed chat deletions, are kept (encrypted, in the draft
store) and delivered later: not before a 429's retry_after, in the order written, first with a
notice that they are late; a deletion is tried again until it works or the messages are too old
to delete, then the person is told what was removed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from typing import Any

from aiogram.fsm.storage.base import StorageKey

from bot.telegram.adapter import Adapter
from bot.telegram.outbox import BACKOFF_FIRST, KEPT_MAX
from dialogues import flow
from storage.drafts import MemoryValueStore
from tests.botapi.harness import Harness, label_for
from tests.botapi.person import identify

ERROR = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})


def _too_many(seconds: int) -> tuple[int, dict[str, Any]]:
    payload = {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }
    return 429, payload


def _key(harness: Harness) -> StorageKey:
    uid = harness.fake.user_id
    return StorageKey(bot_id=harness.bot.id, chat_id=uid, user_id=uid)


async def _courier_round(harness: Harness, adapter: Adapter | None = None) -> None:
    """What the courier's loop does for this chat when it wakes (under the chat's lock)."""
    adapter = adapter or harness.adapter
    async with harness.backend.isolation.lock(_key(harness)):
        await adapter.courier.deliver(harness.bot, harness.backend.storage, _key(harness))


def _texts(harness: Harness, since: int = 0) -> list[str]:
    return [str(c.params["text"]) for c in harness.fake.calls_of("sendMessage")[since:]]


async def test_a_429_beyond_our_wait_is_delivered_after_retry_after_in_order() -> None:
    harness = Harness()
    await harness.send("/start")
    harness.fake.failures["sendMessage"] = [_too_many(120)]
    await harness.send("meg selv")  # the next question is refused: kept
    await harness.send("/help")  # its answer waits behind the kept question
    assert harness.current_step() == "submitter.role"
    assert harness.adapter.courier.holds(_key(harness))
    values = harness.backend.storage.records.store
    assert isinstance(values, MemoryValueStore)
    stored = b"".join(key.encode() + value for key, (_, value) in values._values.items())
    assert b"kommune" not in stored.lower()  # encrypted and pseudonymised, like drafts

    tried = len(harness.fake.calls_of("sendMessage"))
    harness.now += dt.timedelta(seconds=119)
    await _courier_round(harness)
    assert len(harness.fake.calls_of("sendMessage")) == tried  # never before retry_after

    harness.now += dt.timedelta(seconds=2)
    await _courier_round(harness)
    sent = _texts(harness, tried)
    assert sent[0] == flow.text("nb", "tg.late")
    assert identify(sent[1]) == "kommune"  # the kept question first, then the /help answer
    assert len(sent) > 2 and sent[2] != sent[1]
    assert harness.current_step() == "kommune"
    assert not harness.adapter.courier.holds(_key(harness))
    await harness.walk()  # the conversation goes on from there to the receipt
    assert len(harness.filer.filed) == 1


async def test_kept_replies_survive_a_restart() -> None:
    harness = Harness()
    await harness.send("/start")
    harness.fake.failures["sendMessage"] = [ERROR]
    await harness.send("meg selv")
    # A new process on the same draft store finds the kept reply at start-up.
    adapter = Adapter(settings=harness.settings, filer=harness.filer, clock=lambda: harness.now)
    assert await adapter.courier.load(harness.backend.storage) == 1
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness, adapter)
    assert harness.current_step() == "kommune"


async def test_the_press_on_a_kept_keyboard_works_once_it_is_delivered() -> None:
    harness = Harness()
    harness.fake.failures["sendMessage"] = [ERROR]
    await harness.send("/start")  # the first question (with its buttons) is kept
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness)
    await harness.press(label_for("submitter.role", "attorney"))
    assert harness.current_step() != "submitter.role"


async def test_a_long_outage_keeps_the_newest_replies_and_says_to_look_again() -> None:
    harness = Harness()
    await harness.send("/start")
    harness.fake.failures["sendMessage"] = [_too_many(600)]
    for n in range(KEPT_MAX + 5):
        await harness.send(f"/help {n}")
    harness.now += dt.timedelta(seconds=600)
    before = len(harness.fake.calls_of("sendMessage"))
    await _courier_round(harness)
    sent = _texts(harness, before)
    assert sent[0] == flow.text("nb", "tg.late_dropped")
    assert len(sent) == 1 + KEPT_MAX


async def test_a_failed_deletion_after_filing_is_tried_again_until_it_works() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    harness.fake.failures["deleteMessages"] = [ERROR, ERROR]
    await harness.press(label_for("summary", "send"))
    assert len(harness.filer.filed) == 1
    assert not harness.fake.deleted  # refused: kept for later, the person not told yet
    assert "KE-" in (harness.fake.last_bot_message().text or "")

    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness)  # refused again: a longer back-off
    assert not harness.fake.deleted
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness)
    assert not harness.fake.deleted  # not due yet (10 s after the second refusal)
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness)
    assert harness.fake.deleted
    notice = harness.fake.last_bot_message().text or ""
    assert flow.text("nb", "tg.late") in _texts(harness)
    assert flow.text("nb", "tg.removed", count=len(harness.fake.deleted)) in notice
    assert "KE-" in "".join(m.text or "" for m in harness.fake.bot_messages())  # receipt kept
    assert not harness.adapter.courier.holds(_key(harness))


async def test_a_deletion_refused_for_48_hours_ends_with_the_person_told() -> None:
    harness = Harness()
    await harness.walk(until="summary")
    harness.fake.failures["deleteMessages"] = [ERROR] * 4
    await harness.press(label_for("summary", "send"))
    older = len(harness.fake.chat) - 1  # all but the receipt
    harness.now += dt.timedelta(hours=49)  # by the next try every message is too old
    await _courier_round(harness)
    assert not harness.fake.deleted
    notice = harness.fake.last_bot_message().text or ""
    assert flow.text("nb", "tg.removed_none") in notice
    assert flow.text("nb", "tg.removed_left", left=older) in notice
    assert not harness.adapter.courier.holds(_key(harness))


class Killed(BaseException):
    """The process dying: nothing in the channel catches it."""


async def test_an_update_applied_not_answered_before_a_kill_is_answered_when_it_comes() -> None:
    harness = Harness()
    await harness.send("/start")
    answer = harness.fake.text_update("meg selv")

    def die(params: dict[str, Any]) -> None:
        raise Killed()

    harness.fake._m_sendMessage = die  # type: ignore[method-assign,assignment]
    with contextlib.suppress(Killed):
        await harness.feed(answer)  # saved (applied), then the process dies before replying
    del harness.fake._m_sendMessage
    assert harness.current_step() == "submitter.role"
    # The next process gets the same update again (it was never confirmed).
    adapter = Adapter(settings=harness.settings, filer=harness.filer, clock=lambda: harness.now)
    harness.gate = harness._gate(adapter, harness.backend)
    harness.workers = [harness.gate]
    await harness.feed(answer)
    assert harness.current_step() == "kommune"  # answered where we are, applied once
    await harness.feed(answer)  # and a third time: already answered, nothing more
    assert harness.current_step() == "kommune"
    await harness.walk()
    assert len(harness.filer.filed) == 1


async def _toggled_but_not_drawn(harness: Harness) -> int:
    """At the multi-select "requests", one choice toggled while the Bot API refuses the
    redraw; returns the keyboard's message id."""
    await harness.send("/start")
    await harness.press(label_for("submitter.role", "self"))
    for text in ("Oslo", "Kari", "Nordmann", "/skip", "01.02.1980"):
        await harness.send(text)
    assert harness.current_step() == "requests"
    keyboard = harness.keyboard_message()
    harness.fake.failures["editMessageReplyMarkup"] = [ERROR]
    await harness.press(label_for("requests", "coordinator"))
    return keyboard.message_id


def _marked(harness: Harness, message_id: int) -> list[str]:
    buttons = harness.buttons(harness.fake.chat[message_id])
    return [b["text"] for b in buttons if b["text"].startswith("\u2705")]


async def test_a_refused_toggle_redraw_is_kept_and_its_buttons_work_once_drawn() -> None:
    harness = Harness()
    keyboard = await _toggled_but_not_drawn(harness)
    assert _marked(harness, keyboard) == []  # not drawn yet: kept
    assert harness.adapter.courier.holds(_key(harness))
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    before = len(harness.fake.calls_of("sendMessage"))
    await _courier_round(harness)
    assert len(_marked(harness, keyboard)) == 1  # the new keyboard is on screen
    assert _texts(harness, before) == []  # a redraw alone is not announced as late
    await harness.press(flow.text("nb", "btn.done"))  # its buttons are live (not "stale")
    assert harness.current_step() != "requests"


async def test_a_kept_redraw_that_is_stale_by_delivery_is_dropped() -> None:
    harness = Harness()
    keyboard = await _toggled_but_not_drawn(harness)
    await harness.send("/back")  # the conversation moves on (its reply waits behind the redraw)
    edits = len(harness.fake.calls_of("editMessageReplyMarkup"))
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    await _courier_round(harness)
    assert len(harness.fake.calls_of("editMessageReplyMarkup")) == edits  # not drawn
    assert _marked(harness, keyboard) == []
    assert identify(_texts(harness)[-1]) == "person.birth_date"  # the kept reply did arrive
    assert not harness.adapter.courier.holds(_key(harness))


async def test_the_gates_notices_are_kept_like_replies() -> None:
    harness = Harness(flood_limit=1, flood_queue=1)
    advance = harness.gate.sleep

    async def wait(seconds: float) -> None:  # the gate's wait for a token lets others in
        await advance(seconds)
        await asyncio.sleep(0)

    harness.gate.sleep = wait
    await harness.send("/start")
    harness.monotonic += 100  # a full bucket of one
    updates = [harness.fake.text_update(f"/help {n}") for n in range(5)]
    await harness.feed(updates[0])  # takes the one token
    harness.fake.failures["sendMessage"] = [ERROR]  # the "slow down" notice is refused
    # one waits for a token (told to expect slower answers), one waits in the lane, two are
    # not read (the lane holds one): named in one reply once the lane is empty
    await asyncio.gather(*(harness.feed(update) for update in updates[1:]))
    assert harness.adapter.courier.holds(_key(harness))
    harness.now += dt.timedelta(seconds=BACKOFF_FIRST)
    before = len(harness.fake.calls_of("sendMessage"))
    await _courier_round(harness)
    calls = harness.fake.calls_of("sendMessage")[before:]
    texts = [str(c.params["text"]) for c in calls]
    assert texts[0] == flow.text("nb", "tg.late")
    assert flow.text("nb", "tg.slow_down") in texts  # kept, delivered in order
    named = [c for c in calls if c.params.get("reply_parameters")]
    assert len(named) == 1  # "send these again", still answering the first one not read
    reply = named[0].params["reply_parameters"]
    reply = json.loads(reply) if isinstance(reply, str) else reply
    assert int(reply["message_id"]) == updates[3]["message"]["message_id"]
    assert not harness.adapter.courier.holds(_key(harness))

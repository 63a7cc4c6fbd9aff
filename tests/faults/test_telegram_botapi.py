"""The Bot API failing, updates sent again, a flood and a crowd, against the real `ke-intake
telegram` process over HTTP (the local Bot API server of tests/botapi, its faults per method and
count). Each test counts, over every person: lost (a turn or referral the person never got an
answer for, or a receipt whose reference is not in the inbox), duplicated (inbox rows or receipts
beyond one per person, a question sent twice in a row) and unanswered (an action the bot never
answered within the person's patience); all must be 0."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import random
import time
from typing import Any

import pytest

from bench.people import Stuck
from dialogues import flow
from tests.botapi.person import identify
from tests.botapi.server import Fault
from tests.faults.conftest import Services
from tests.faults.test_telegram_faults import FaultPerson, Rig, _count, _until, rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# Short enough to see every fault within seconds (the defaults are 20 s and 60 s).
QUICK = {"KE_TELEGRAM_REQUEST_TIMEOUT_SECONDS": "1.5", "KE_TELEGRAM_RETRY_AFTER_MAX_SECONDS": "2"}


def _crowd(r: Rig, count: int, first: int) -> list[FaultPerson]:
    today = dt.datetime.now(dt.UTC).date()
    return [
        FaultPerson(r.crowd.chat(first + n), today, random.Random(first + n), (0.0, 0.02))
        for n in range(count)
    ]


def _questions_twice(person: FaultPerson) -> int:
    """A question sent twice in a row: one turn answered twice."""
    texts = [str(c.params["text"]) for c in person.fake.calls_of("sendMessage")]
    return sum(1 for a, b in itertools.pairwise(texts) if a == b and identify(a))


async def _finish(person: FaultPerson) -> None:
    """Press send under the summary and wait (patiently) for the receipt."""
    await person._act(person.press_send)
    if not person.receipts():
        await _until(lambda: bool(person.receipts()), 60)


async def _tally(
    r: Rig, people: list[FaultPerson], outcomes: list[Any], *, cleaned: bool = True
) -> dict[str, int]:
    """People, lost, duplicated, unanswered; with `cleaned`, waits for each chat's clean-up."""
    removed = [flow.text("nb", "tg.removed", count=0).split("0")[0]]
    if cleaned:
        await _until(
            lambda: all(
                any(
                    str(c.params["text"]).startswith(removed[0])
                    for c in p.fake.calls_of("sendMessage")
                )
                for p in people
            ),
            60,
        )
    counts = _count(people, r.inbox())
    unanswered = sum(isinstance(o, Stuck) for o in outcomes)
    failed = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, Stuck)]
    assert not failed, failed
    uncleaned = 0
    if cleaned:
        uncleaned = sum(
            1
            for p in people
            if not any(
                str(c.params["text"]).startswith(removed[0]) for c in p.fake.calls_of("sendMessage")
            )
        )
    return {
        "people": len(people),
        "lost": counts["lost"] + uncleaned,
        "duplicated": counts["duplicated"] + sum(_questions_twice(p) for p in people),
        "unanswered": unanswered,
        "opened": counts["opened"],
    }


def _clean(figures: dict[str, int]) -> dict[str, int]:
    return {
        "people": figures["people"],
        "lost": 0,
        "duplicated": 0,
        "unanswered": 0,
        "opened": figures["people"],
    }


async def test_the_bot_api_refusing_replies_and_deletions(services: Services) -> None:
    """Nine people; for each a fault on their chat: 500 six times, 429 with a retry_after
    beyond what we wait, a hang past the client's time-out five times, the connection dropped
    five times, on the first question and on the receipt; and the deletion after filing
    refused six times. getUpdates answers 500 three times and drops twice. Every reply
    arrives (late, in order), every chat is cleaned, every referral is filed once."""
    async with rig(services) as r:
        r.env.update(QUICK)
        server = r.server
        server.fail("getUpdates", Fault.error(), times=3)
        server.fail("getUpdates", Fault.drop(), times=2)
        faults = [
            (Fault.error(), 6),
            (Fault.retry_after(4), 1),
            (Fault.hang(2.5), 5),
            (Fault.drop(), 5),
        ]
        early = _crowd(r, 4, 820_000_000)
        late = _crowd(r, 4, 821_000_000)
        deleting = _crowd(r, 1, 822_000_000)
        for person, (fault, times) in zip(early, faults, strict=True):
            server.fail("sendMessage", fault, times, chat_id=person.fake.user_id)
        server.fail("answerCallbackQuery", Fault.retry_after(4), times=2)
        await r.start_bot()
        started = time.monotonic()

        async def walk(person: FaultPerson, fault: tuple[Fault, int] | None) -> None:
            await person.until_summary()
            if fault is not None:
                server.fail("sendMessage", fault[0], fault[1], chat_id=person.fake.user_id)
            if person in deleting:
                server.fail("deleteMessages", Fault.error(), 6, chat_id=person.fake.user_id)
            await _finish(person)

        everyone = [*early, *late, *deleting]
        plan = [None] * 4 + faults + [None]
        outcomes = await asyncio.gather(
            *(walk(p, f) for p, f in zip(everyone, plan, strict=True)), return_exceptions=True
        )
        figures = await _tally(r, everyone, list(outcomes))
        elapsed = time.monotonic() - started
        assert await r.stop_bot() == 0
        print(f"\nBot API refusing: {figures} in {elapsed:.0f} s, faults {len(server.served)}")
        assert server.pending_faults() == 0, "a fault was never given"
        late_told = flow.text("nb", "tg.late")
        for person in [*early, *late, *deleting]:
            assert any(c.params["text"] == late_told for c in person.fake.calls_of("sendMessage"))
        assert figures == _clean(figures), r.log_text()[-3000:]
        assert "Kari" not in r.log_text()


async def test_kill_9_with_kept_replies_and_updates_not_yet_confirmed(services: Services) -> None:
    """Four people answer as fast as the bot replies while the bot is killed with SIGKILL and
    started again: the updates it had not confirmed come again (same update ids) and
    are applied once; a receipt kept behind a 429 when the bot is killed is delivered by the
    next process after the retry_after."""
    async with rig(services) as r:
        r.env.update(QUICK)
        given: dict[int, set[int]] = {}  # update id -> the bot processes it was given to
        original = r.crowd.get_updates

        async def counting(offset: int | None, timeout: float, limit: int) -> list[Any]:
            found = await original(offset, timeout, limit)
            for update in found:
                given.setdefault(update["update_id"], set()).add(len(r.logs))
            return found

        r.crowd.get_updates = counting  # type: ignore[method-assign]
        people = _crowd(r, 4, 830_000_000)
        (kept,) = _crowd(r, 1, 831_000_000)
        await r.start_bot()
        walks = [asyncio.create_task(p.until_summary()) for p in people]
        await asyncio.sleep(4.0)
        # Killed while a reply hangs: that update is applied (saved), not answered, and not
        # confirmed (within the 2 s window), so it comes again and is answered where we are.
        r.server.fail("sendMessage", Fault.hang(30))
        assert await _until(lambda: r.server.pending_faults() == 0, 30)
        await r.kill_bot()
        await r.start_bot()
        outcomes = list(await asyncio.gather(*walks, return_exceptions=True))
        await kept.until_summary()
        r.server.fail("sendMessage", Fault.retry_after(5), 1, chat_id=kept.fake.user_id)
        kept.press_send()
        assert await _until(lambda: r.server.pending_faults() == 0, 30)
        await asyncio.sleep(0.5)  # the receipt is kept (encrypted, in Redis)
        await r.kill_bot()
        await r.start_bot()
        finishing = [_finish(p) for p, walked in zip(people, outcomes, strict=True) if not walked]
        outcomes += list(await asyncio.gather(*finishing, return_exceptions=True))
        await _until(lambda: bool(kept.receipts()), 30)
        figures = await _tally(r, [*people, kept], outcomes)
        assert await r.stop_bot() == 0
        again = sum(1 for processes in given.values() if len(processes) > 1)
        print(f"\nkill -9 x2: {figures}, {again} updates given again after a kill")
        assert again > 0, "no update came again: the test did not test redelivery"
        assert figures == _clean(figures), r.log_text()[-3000:]


FLOOD = {
    "KE_TELEGRAM_FLOOD_LIMIT": "20",
    "KE_TELEGRAM_FLOOD_WINDOW_SECONDS": "2",
    "KE_TELEGRAM_FLOOD_QUEUE": "60",
}


async def _flood(r: Rig, person: FaultPerson) -> dict[str, int]:
    """500 messages at once from one chat: each read in order or named in the one reply that
    says which to send again (from that one on); none dropped silently."""
    await person._act(lambda: person.fake.text_update("/start"))
    fake = person.fake
    before = len(fake.calls_of("sendMessage"))
    ids = [fake.text_update(f"/help {n}")["message"]["message_id"] for n in range(500)]

    def named() -> list[dict[str, Any]]:
        return [
            c.params
            for c in fake.calls_of("sendMessage")[before:]
            if c.params.get("reply_parameters")
        ]

    assert await _until(lambda: bool(named()), 120), r.log_text()[-3000:]
    await _until(lambda: r.crowd.chats[fake.user_id].last_call < time.perf_counter() - 2, 60)
    sent = [str(c.params["text"]) for c in fake.calls_of("sendMessage")[before:]]
    (notice,) = named()
    reply = notice["reply_parameters"]
    reply = json.loads(reply) if isinstance(reply, str) else reply
    first = ids.index(int(reply["message_id"]))
    unread = 500 - first
    assert notice["text"] == flow.text("nb", "tg.send_again", count=unread)
    helps = sum(1 for text in sent if flow.text("nb", "help.commands") in text)
    slowed = sum(1 for text in sent if text == flow.text("nb", "tg.slow_down"))
    print(f"\nflood over HTTP: {first} read, {unread} named, {helps} help replies, {slowed} slowed")
    await person._act(lambda: fake.text_update("/summary"))  # the chat goes on
    # every message before the named one answered, none after it, nothing else missing
    return {"read": first, "named": unread, "silent": 500 - helps - unread, "slowed": slowed}


async def test_a_500_message_flood_from_one_chat_over_http(services: Services) -> None:
    async with rig(services) as r:
        r.env.update(FLOOD)
        (person,) = _crowd(r, 1, 840_000_000)
        await r.start_bot()
        figures = await _flood(r, person)
        assert await r.stop_bot() == 0
        # Slowed only when the bot answers faster than the bucket refills (not on a busy box).
        assert figures["silent"] == 0 and figures["slowed"] <= 1, figures
        assert figures["read"] >= 21 and figures["read"] + figures["named"] == 500, figures

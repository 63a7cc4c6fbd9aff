"""The double fault, against the real `ke-intake telegram`: the bot is killed with SIGKILL
seconds after it confirmed updates it had not applied yet (the 2 s hold window), while a flooded
chat's lane holds messages beyond the burst, and while an update is stuck on a frozen Redis.
Each message must be answered once or named in the one `tg.send_again` reply, and the person
then files once (tests/faults/tally.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from dialogues import flow
from tests.faults.conftest import Services
from tests.faults.tally import turns
from tests.faults.test_telegram_botapi import _crowd
from tests.faults.test_telegram_faults import FaultPerson, Rig, _count, _until, rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# A burst of 20, then 5 a second; 60 wait in a lane, the rest are named to send again.
FLOOD = {
    "KE_TELEGRAM_FLOOD_LIMIT": "20",
    "KE_TELEGRAM_FLOOD_WINDOW_SECONDS": "4",
    "KE_TELEGRAM_FLOOD_QUEUE": "60",
}


class Confirmed:
    """What the local Bot API server gave the bot and what the bot confirmed (the offsets)."""

    def __init__(self, r: Rig) -> None:
        self.given: set[int] = set()
        self.offset = 0
        original = r.crowd.get_updates

        async def watching(offset: int | None, timeout: float, limit: int) -> list[Any]:
            if offset is not None:
                self.offset = max(self.offset, offset)
            found = await original(offset, timeout, limit)
            self.given.update(u["update_id"] for u in found)
            return found

        r.crowd.get_updates = watching  # type: ignore[method-assign]


def _replies(person: FaultPerson, since: int) -> list[dict[str, Any]]:
    return [c.params for c in person.fake.calls_of("sendMessage")[since:]]


def _named(replies: list[dict[str, Any]], ids: list[int]) -> int:
    """How many messages the `tg.send_again` replies ask for again (from the one named on)."""
    named = 0
    for params in replies:
        reply = params.get("reply_parameters")
        if reply:
            reply = json.loads(reply) if isinstance(reply, str) else reply
            named += len(ids) - ids.index(int(reply["message_id"]))
    return named


def _answers(replies: list[dict[str, Any]]) -> int:
    """The help replies (one per `/help` applied; the question asked again comes with it)."""
    return sum(1 for p in replies if flow.text("nb", "help.commands") in str(p["text"]))


async def _quiet(r: Rig, person: FaultPerson, calls: int, seconds: float = 3.0) -> None:
    """Until the bot has called for this chat since `calls`, then not for `seconds`."""
    chat = r.crowd.chats[person.fake.user_id]
    await _until(lambda: chat.calls > calls, 60)
    await _until(lambda: chat.last_call < time.perf_counter() - seconds, 120)


async def _file(r: Rig, person: FaultPerson, told: dict[str, int]) -> dict[str, int]:
    """The person goes on and files; the turns `told` counts and the referral's tally."""
    await person.until_summary()
    await person._act(person.press_send)
    await _until(lambda: bool(person.receipts()), 60)
    counts = _count([person], r.inbox())
    return {
        "unanswered": told["unanswered"],
        "duplicated": told["duplicated"] + counts["duplicated"],
        "lost": counts["lost"],
        "opened": counts["opened"],
    }


async def test_kill_9_while_a_flooded_lane_holds_messages(services: Services) -> None:
    """100 messages at once from one chat (a burst of 20, 60 waiting): the bot is killed
    once it has confirmed all of them, while dozens still wait in the lane. Started again,
    each is answered once or named in the send-again reply; nothing is silent."""
    async with rig(services) as r:
        r.env.update(FLOOD)
        confirmed = Confirmed(r)
        (person,) = _crowd(r, 1, 850_000_000)
        await r.start_bot()
        await person._act(lambda: person.fake.text_update("/start"))
        since = len(person.fake.calls_of("sendMessage"))
        flood = [person.fake.text_update(f"/help {n}") for n in range(100)]
        ids = [update["message"]["message_id"] for update in flood]
        last = flood[-1]["update_id"]
        assert await _until(lambda: confirmed.offset > last, 60), "never confirmed"
        answered_before = _answers(_replies(person, since))
        await r.kill_bot()
        calls = r.crowd.chats[person.fake.user_id].calls
        await r.start_bot()
        await _quiet(r, person, calls)
        replies = _replies(person, since)
        # one applied at the kill is answered (again) where the conversation is
        owed = r.logs[-1].read_text().count("came again unanswered")
        answered, named = _answers(replies), _named(replies, ids)
        figures = await _file(r, person, turns(len(ids), answered, named, owed))
        assert await r.stop_bot() == 0
        print(
            f"\nkill -9 with a flooded lane: {answered_before} of 100 answered before the kill,"
            f" {answered} in all, {owed} owed, {named} named to send again; {figures}"
        )
        assert answered_before < 80, "nothing was waiting in the lane at the kill"
        assert figures == {"unanswered": 0, "duplicated": 0, "lost": 0, "opened": 1}, r.log_text()[
            -3000:
        ]


async def test_kill_9_while_an_update_is_stuck_on_a_frozen_redis(services: Services) -> None:
    """Redis is frozen (SIGSTOP) as a person at the summary writes; the bot is killed with
    SIGKILL 3 s after it got the update (past the 2 s window, before Redis's 5 s time-out
    told the person anything); Redis thaws and the bot starts again: the message is answered
    once, and the person files once."""
    async with rig(services) as r:
        confirmed = Confirmed(r)
        (person,) = _crowd(r, 1, 851_000_000)
        await r.start_bot()
        await person.until_summary()
        since = len(person.fake.calls_of("sendMessage"))
        r.redis.freeze()
        uid = person.fake.text_update("/summary")["update_id"]
        assert await _until(lambda: uid in confirmed.given, 30)
        await asyncio.sleep(3.0)
        told_before = len(_replies(person, since))
        was_confirmed = confirmed.offset > uid
        await r.kill_bot()
        r.redis.thaw()
        calls = r.crowd.chats[person.fake.user_id].calls
        await r.start_bot()
        await _quiet(r, person, calls)
        replies = _replies(person, since)
        # answered if anything came; twice if the summary came twice
        label = json.dumps(flow.text("nb", "c.summary.send"))[1:-1]
        summaries = sum(1 for p in replies if label in json.dumps(p))
        figures = await _file(r, person, turns(1, max(summaries, 1 if replies else 0), 0))
        assert await r.stop_bot() == 0
        print(
            f"\nkill -9 with Redis frozen: confirmed before the kill {was_confirmed},"
            f" {told_before} replies before it, then {figures}"
        )
        assert told_before == 0, "the person was answered before the kill: nothing tested"
        assert figures == {"unanswered": 0, "duplicated": 0, "lost": 0, "opened": 1}, r.log_text()[
            -3000:
        ]

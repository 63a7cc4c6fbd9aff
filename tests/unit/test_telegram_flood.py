"""Floods are slowed, not dropped: 500 messages from one chat arrive at once. Every message is
either applied in the order sent, or named in the one reply that says which to send again (the
first unread one, and how many from it on); nothing in between is lost silently."""

from __future__ import annotations

import asyncio
import json

from dialogues import flow
from tests.botapi.harness import Harness


async def test_500_messages_from_one_chat() -> None:
    harness = Harness(flood_limit=20, flood_queue=60)
    await harness.send("/start")
    updates = [harness.fake.text_update(f"/help {n}") for n in range(500)]
    await asyncio.gather(*(harness.feed(update) for update in updates))

    from bot.telegram.conversation import Conversation

    key = harness.gate.dispatcher.fsm.resolve_context(
        harness.bot, harness.fake.user_id, harness.fake.user_id
    )
    assert key is not None
    conv = Conversation.from_data(await key.get_data())
    assert conv is not None
    ids = [u["message"]["message_id"] for u in updates]
    applied = [int(k[1:]) for k in conv.handled if k.startswith("m")]
    read = [i for i in ids if any(i == m for m, _ in conv.messages)]
    # what was read was read in order, and is a prefix of what was sent
    assert read == ids[: len(read)]
    assert applied[-len(read[-10:]) :] == read[-10:]
    unread = ids[len(read) :]
    notices = [
        c.params for c in harness.fake.calls_of("sendMessage") if c.params.get("reply_parameters")
    ]
    if unread:
        assert len(notices) == 1
        notice = notices[0]
        assert notice["text"] == flow.text("nb", "tg.send_again", count=len(unread))
        reply = notice["reply_parameters"]
        reply = json.loads(reply) if isinstance(reply, str) else reply
        assert int(reply["message_id"]) == unread[0]  # exactly which: this one and the rest
    slowed = [
        c
        for c in harness.fake.calls_of("sendMessage")
        if c.params["text"] == flow.text("nb", "tg.slow_down")
    ]
    assert len(slowed) == 1  # told once that we answer slower
    assert harness.waited  # slowed, by the token bucket
    print(f"\n500 messages: {len(read)} read in order, {len(unread)} named to send again")

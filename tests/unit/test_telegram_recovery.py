"""Filing always finishes: a process that dies mid-filing (before or after the inbox committed)
leaves the draft in "filing"; the start-up sweep or the person's next contact files it again
under the same idempotency key. The person ends with one receipt (the first filing's, if it
got through) or a true message, and /start, /restart and /cancel work afterwards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.telegram.adapter import Adapter
from bot.telegram.sweep import sweep
from dialogues import flow
from intake.filing import Receipt
from tests.botapi.harness import Harness, label_for


class Killed(BaseException):
    """The process dying: nothing in the channel catches it."""


@dataclass
class Inbox:
    """Idempotent on the key, like the real inbox; can die before or after its commit."""

    filed: dict[str, str] = field(default_factory=dict)
    die: str | None = None  # "before" or "after" the commit, once
    down: bool = False

    def file(self, referral: Any, *, idempotency_key: str | None, **_: Any) -> Receipt:
        assert idempotency_key is not None
        if self.die == "before":
            self.die = None
            raise Killed()
        if self.down:
            raise ConnectionError("inbox down")
        duplicate = idempotency_key in self.filed
        reference = self.filed.setdefault(idempotency_key, f"KE-TEST-{len(self.filed) + 1:04d}")
        if self.die == "after":
            self.die = None
            raise Killed()
        return Receipt(reference, dt.datetime.now(dt.UTC), duplicate)


async def _die_while_filing(harness: Harness, inbox: Inbox, when: str) -> None:
    await harness.walk(until="summary")
    inbox.die = when
    with pytest.raises(Killed):
        await harness.press(label_for("summary", "send"))
    assert not any("KE-TEST" in (m.text or "") for m in harness.fake.bot_messages())


def _restart(harness: Harness, inbox: Inbox) -> Adapter:
    """A new process on the same draft store."""
    return Adapter(settings=harness.settings, filer=inbox, clock=lambda: harness.now)


async def _first_step() -> str | None:
    fresh = Harness()
    await fresh.send("/start")
    return fresh.current_step()


def _receipts(harness: Harness) -> list[str]:
    return [m.text or "" for m in harness.fake.bot_messages() if "KE-TEST-" in (m.text or "")]


@pytest.mark.parametrize("when", ["before", "after"])
async def test_the_start_up_sweep_finishes_an_interrupted_filing(when: str) -> None:
    inbox = Inbox()
    harness = Harness(filer=inbox)
    await _die_while_filing(harness, inbox, when)
    taken = await sweep(harness.bot, _restart(harness, inbox), harness.backend)
    assert taken == 1
    assert len(inbox.filed) == 1  # once, whether or not the first attempt had committed
    receipts = _receipts(harness)
    assert len(receipts) == 1 and "KE-TEST-0001" in receipts[0]
    assert harness.fake.deleted  # the chat was cleaned as after any filing
    # nothing is left to sweep
    assert await sweep(harness.bot, _restart(harness, inbox), harness.backend) == 0


@pytest.mark.parametrize("typed", ["hei", "/start", "/restart", "/cancel"])
async def test_the_next_contact_finishes_it_whatever_is_typed(typed: str) -> None:
    inbox = Inbox()
    harness = Harness(filer=inbox)
    await _die_while_filing(harness, inbox, "after")
    await harness.send(typed)
    assert len(inbox.filed) == 1
    assert len(_receipts(harness)) == 1
    wait = flow.text("nb", "filing.wait")
    assert all(wait not in (m.text or "") for m in harness.fake.bot_messages())
    # and a new conversation can begin
    await harness.send("/start")
    assert harness.current_step() == await _first_step()


async def test_when_the_inbox_is_still_down_the_person_is_told_and_can_cancel() -> None:
    inbox = Inbox()
    harness = Harness(filer=inbox)
    await _die_while_filing(harness, inbox, "before")
    inbox.down = True
    assert await sweep(harness.bot, _restart(harness, inbox), harness.backend) == 1
    assert flow.text("nb", "filing.failed") in (harness.fake.last_bot_message().text or "")
    assert harness.current_step() == "summary"
    await harness.send("/cancel")
    assert flow.text("nb", "cancel.ask") in (harness.fake.last_bot_message().text or "")
    await harness.press(label_for("confirm", "yes"))
    assert not inbox.filed
    await harness.send("/start")
    assert harness.current_step() == await _first_step()

"""The start-up sweep, the same for every channel that keeps drafts (Telegram, the web chat,
the terminal's pending filings): conversations a stopped process left in mode "filing" are
finished, each filed again under the idempotency key it already has, so the person gets the
receipt (the first filing's, if it reached the inbox) or a true message when it cannot be filed
now. Anything the sweep cannot reach in its time is finished on the person's next contact, the
same way (the engine files again on any input in mode "filing").

    await sweep_within("web", found, finish, seconds=60)

`found()` yields a handle per interrupted filing (read from the draft store first, so the store
is not iterated while it is written); `finish(handle)` finishes one and says whether it did.
One failing is logged by the error's type and left for the next contact."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from dialogues.state import State, StateError

log = logging.getLogger(__name__)

Handle = TypeVar("Handle")
FoundFn = Callable[[], AsyncIterator[Handle]]
FinishFn = Callable[[Handle], Awaitable[bool]]
SWEEP_SECONDS = 60.0  # the budget at start-up; the rest is finished on next contact


def interrupted(engine_json: str) -> bool:
    """Whether a stored engine state was left mid-filing by a process that stopped."""
    if not engine_json:
        return False
    try:
        return State.from_json(engine_json).mode == "filing"
    except StateError:
        return False


async def sweep(
    channel: str,
    found: FoundFn[Handle],
    finish: FinishFn[Handle],
) -> int:
    """Finish every interrupted filing `found` yields; returns how many were taken up."""
    handles = [handle async for handle in found()]
    done = 0
    for handle in handles:
        try:
            if await finish(handle):
                done += 1
        except Exception as error:  # the next contact finishes it instead
            log.warning("%s: sweep could not finish a filing (%s)", channel, type(error).__name__)
    if handles:
        log.info("%s: sweep finished %s of %s interrupted filings", channel, done, len(handles))
    return done


async def sweep_within(
    channel: str,
    found: FoundFn[Handle],
    finish: FinishFn[Handle],
    seconds: float = SWEEP_SECONDS,
) -> None:
    """`sweep` within `seconds`; never raises (a store down at start: next contact, then)."""
    try:
        await asyncio.wait_for(sweep(channel, found, finish), seconds)
    except TimeoutError:
        log.warning("%s: sweep stopped after %.0f s; the rest on next contact", channel, seconds)
    except Exception as error:
        log.warning("%s: sweep not run (%s)", channel, type(error).__name__)

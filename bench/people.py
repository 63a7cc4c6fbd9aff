"""Simulated people for the load test: each completes the referral of tests/botapi/person.py
(someone with power of attorney, with the document uploaded) in their own chat, thinking a
random while before every action, and timing how long the bot takes to answer each one."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench.crowd import Chat
from dialogues import flow
from tests.botapi.harness import label_for
from tests.botapi.person import PDF, answer_for, identify

QUIET = 0.25  # the bot's calls for one update come closer together than this
TURN_TIMEOUT = 120.0
MULTI = ("requests", "need.life_areas")


class Stuck(Exception):
    pass


@dataclass
class Person:
    chat: Chat
    today: dt.date
    rng: random.Random
    think: tuple[float, float]
    latencies: list[float] = field(default_factory=list)
    receipt: str | None = None
    turns: int = 0

    @property
    def fake(self) -> Any:
        return self.chat.fake

    def _newest_bot_id(self) -> int:
        mine = [m.message_id for m in self.fake.bot_messages()]
        return max(mine, default=0)

    def _answered(self, after_id: int) -> bool:
        """A new bot message asks a question or gives the receipt."""
        for message in reversed(self.fake.bot_messages()):
            if message.message_id <= after_id:
                return False
            text = message.text or ""
            if "KE-" in text or identify(text) is not None:
                return True
        return False

    async def _act(self, do: Callable[[], Any], *, toggle: bool = False) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))
        chat = self.chat
        before_calls, before_id = chat.calls, self._newest_bot_id()
        start = time.perf_counter()
        do()
        deadline = start + TURN_TIMEOUT
        while True:
            chat.changed.clear()
            done = chat.calls > before_calls and (toggle or self._answered(before_id))
            if done:
                # Let the rest of this answer's calls arrive, then time the answer to its end.
                while True:
                    seen = chat.calls
                    chat.changed.clear()
                    await asyncio.sleep(QUIET)
                    if chat.calls == seen:
                        break
                break
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise Stuck(f"no answer to turn {self.turns}")
            try:
                await asyncio.wait_for(chat.changed.wait(), remaining)
            except TimeoutError:
                raise Stuck(f"no answer to turn {self.turns}") from None
        self.latencies.append(chat.last_call - start)
        self.turns += 1

    def _current_step(self) -> str | None:
        for message in reversed(self.fake.bot_messages()):
            if (step := identify(message.text or "")) is not None:
                return step
        return None

    def _receipt(self) -> str | None:
        for message in self.fake.bot_messages():
            if "KE-" in (message.text or ""):
                return str(message.text)
        return None

    async def _press(self, label: str, *, toggle: bool = False) -> None:
        message = [m for m in self.fake.bot_messages() if m.reply_markup][-1]
        for row in message.reply_markup["inline_keyboard"]:
            for button in row:
                if button["text"] == label or button["text"].endswith(f" {label}"):
                    data = button["callback_data"]
                    await self._act(
                        partial(self.fake.callback_update, message.message_id, data),
                        toggle=toggle,
                    )
                    return
        raise Stuck(f"no button {label!r}")

    async def complete_referral(self, limit: int = 120) -> str:
        await self._act(lambda: self.fake.text_update("/start"))
        for _ in range(limit):
            if (receipt := self._receipt()) is not None:
                self.receipt = receipt
                return receipt
            step = self._current_step()
            if step is None:
                raise Stuck("no question in the chat")
            answer = answer_for(step, self.today)
            if answer.kind == "text":
                text = answer.value[0]
                await self._act(partial(self.fake.text_update, text))
            elif answer.kind == "skip":
                await self._act(lambda: self.fake.text_update("/skip"))
            elif answer.kind == "file":
                name = answer.value[0]
                await self._act(partial(self.fake.document_update, name, "application/pdf", PDF))
            else:
                multi = step in MULTI
                for choice in answer.value:
                    await self._press(label_for(step, choice), toggle=multi)
                if multi:
                    await self._press(flow.text("nb", "btn.done"))
        raise Stuck("the referral was not completed")

"""The engine's `Context`, built in one place for every channel.

`Runtime(settings, channel, clock)` is what an adapter keeps; `context_at` is the same for a
given instant (a test's or a tool's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.runtime.clock import Clock, oslo_date, utcnow
from bot.settings import Settings
from dialogues import engine
from dialogues.state import State
from dialogues.types import Context
from intake.rules import Policy
from intake.texts import Language

ChannelName = Literal["terminal", "telegram", "rasa", "web"]


def context_at(
    now: dt.datetime, settings: Settings, channel: ChannelName, *, can_delete_chat: bool = False
) -> Context:
    """The engine's view of the world at `now`: the Oslo day, the settings' policy (consent
    age, synthetic ids) and the draft lifetime."""
    today = oslo_date(now)
    return Context(
        today=today,
        now=now,
        policy=settings.policy(today),
        channel=channel,
        draft_ttl_hours=settings.draft_ttl_hours,
        can_delete_chat=can_delete_chat,
    )


def _new_draft_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Runtime:
    """One channel's footing: its settings, its name and the clock."""

    settings: Settings
    channel: ChannelName
    clock: Clock = utcnow
    can_delete_chat: bool = False
    new_draft_id: Callable[[], str] = field(default=_new_draft_id)

    def now(self) -> dt.datetime:
        return self.clock()

    def context(self, *, now: dt.datetime | None = None) -> Context:
        moment = self.clock() if now is None else now
        return context_at(moment, self.settings, self.channel, can_delete_chat=self.can_delete_chat)

    def policy(self) -> Policy:
        return self.context().policy

    def new_state(self, language: Language, *, preset_role: str | None = None) -> State:
        return engine.new_state(
            language=language, draft_id=self.new_draft_id(), preset_role=preset_role
        )

    def with_clock(self, clock: Clock) -> Runtime:
        return replace(self, clock=clock)

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
    now: dt.datetime,
    settings: Settings,
    channel: ChannelName,
    *,
    can_delete_chat: bool = False,
    keeps_drafts: bool = True,
    receiving: frozenset[str] | None = None,
) -> Context:
    """The engine's view of the world at `now`: the Oslo day, the settings' policy (consent
    age, synthetic ids), the draft lifetime (0 where the channel keeps none, so the intro
    promises nothing it does not do) and the kommuner that can receive (None: not known)."""
    today = oslo_date(now)
    return Context(
        today=today,
        now=now,
        policy=settings.policy(today),
        channel=channel,
        draft_ttl_hours=settings.draft_ttl_hours if keeps_drafts else 0,
        can_delete_chat=can_delete_chat,
        receiving=receiving,
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
    # False for a channel that keeps no unfinished conversation (the terminal).
    keeps_drafts: bool = True
    # The kommuner whose KE has a registered key, asked when a context is built; None: not
    # known (the demo registers its key at filing), every kommune is taken.
    receiving: Callable[[], frozenset[str] | None] | None = None

    def now(self) -> dt.datetime:
        return self.clock()

    def context(self, *, now: dt.datetime | None = None) -> Context:
        moment = self.clock() if now is None else now
        return context_at(
            moment,
            self.settings,
            self.channel,
            can_delete_chat=self.can_delete_chat,
            keeps_drafts=self.keeps_drafts,
            receiving=self.receiving() if self.receiving is not None else None,
        )

    def policy(self) -> Policy:
        return self.context().policy

    def new_state(self, language: Language, *, preset_role: str | None = None) -> State:
        return engine.new_state(
            language=language, draft_id=self.new_draft_id(), preset_role=preset_role
        )

    def with_clock(self, clock: Clock) -> Runtime:
        return replace(self, clock=clock)

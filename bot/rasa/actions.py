"""The one custom action of the Rasa project: `action_referral_turn`, one engine turn per
message (see `bot.rasa.turn`). It only translates: slots and the latest message in, the
engine's replies as messages with buttons and the new state as slot events out.

Logs name the action and the step, never a value.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rasa import turn
from bot.rasa.runtime import filer, runtime

log = logging.getLogger(__name__)

TURN = "action_referral_turn"


class ActionReferralTurn(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return TURN

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # In a worker thread: a turn that files waits on the database.
        said = turn.said(tracker.latest_message)
        outcome = await asyncio.to_thread(turn.take_turn, tracker.slots, said, runtime(), filer())
        for message in outcome.messages:
            buttons = [{"title": title, "payload": payload} for title, payload in message.buttons]
            dispatcher.utter_message(text=message.text, buttons=buttons)
        return [SlotSet(name, value) for name, value in outcome.slots.items()]


def all_actions() -> list[Any]:
    return [ActionReferralTurn()]


def custom_action_names() -> list[str]:
    return [action.name() for action in all_actions()]

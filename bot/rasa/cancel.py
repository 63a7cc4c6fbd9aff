"""Cancelling in the Rasa channel asks first, in the engine's words, as every other channel does.

"avbryt" runs `action_referral_cancel` (a rule, after the referral form rejected the word). It
clears the rejected word and, when there is something to cancel, starts `cancel_form`, a
one-question form whose question, reading of the answer and outcome all come from the engine's
cancel command and its confirmation step:

- `action_ask_cancel_answer` asks the engine's "cancel?" with its yes/no choices;
- `validate_cancel_form` hands the answer to the engine's confirmation step: yes (or "avbryt"
  again) or no (or another command) fills `cancel_answer`; anything else is asked again with
  the engine's message;
- `action_referral_cancel_decided` (a rule, when the form is complete) says the engine's outcome:
  on yes every slot is reset; on no every answer is kept and the referral form, if it ran, goes
  on with the question it was asking.

Logs name actions and slots, never values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rasa import dialogue, runtime
from bot.rasa import slots as s
from bot.rasa.validation import buttons
from dialogues import engine
from dialogues.flow import text
from dialogues.state import State
from dialogues.types import Reply, UserInput
from intake.messages import Language

log = logging.getLogger(__name__)

FORM = "cancel_form"
ANSWER = "cancel_answer"  # "yes" or "no" once the engine has read the answer
RESUME = "cancel_resume"  # the loop that ran when the person said "avbryt", to go back to
REFERENCE = "referral_reference"
YES, NO = "yes", "no"


def _confirming(slots: Mapping[str, Any]) -> State:
    """The answers so far, with the engine waiting for the yes/no to its "cancel?"."""
    state = dialogue.state_from(slots)
    state.mode, state.resume = "confirm_cancel", "ask"
    return state


def _decide(slots: Mapping[str, Any], said: UserInput) -> tuple[str | None, list[Reply]]:
    """The engine's confirmation step: YES, NO or None (not understood), and its replies."""
    after, replies, _ = engine.step(_confirming(slots), said, runtime.ctx())
    if after.mode == "cancelled":
        return YES, replies
    if after.mode == "confirm_cancel":
        return None, replies
    return NO, replies


class ActionReferralCancel(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """ "avbryt": ask before anything is forgotten (nothing to cancel: say where we are)."""

    def name(self) -> str:
        return "action_referral_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        requested = tracker.slots.get(s.REQUESTED)
        loop = (tracker.active_loop or {}).get("name")
        # The rejected command word sits in the requested slot; a pending "endre" ends too.
        events: list[EventType] = []
        if isinstance(requested, str) and loop == s.FORM:
            events.append(SlotSet(requested, None))
        if tracker.slots.get(s.EDIT):
            events.append(SlotSet(s.EDIT, None))
        if loop != s.FORM and not s.answers_from(tracker.slots):
            # After filing or cancelling the engine says so rather than asking.
            lang = cast(Language, s.language_of(tracker.slots))
            reference = tracker.slots.get(REFERENCE)
            key = "filed.already" if reference else "cancelled.state"
            dispatcher.utter_message(text=text(lang, key, reference=reference or ""))
            return events
        # The referral form stops while the confirmation form asks (a rule says so as well);
        # on "no" the decision action starts it again.
        stop = [ActiveLoop(None)] if loop == s.FORM else []
        return [*events, *stop, SlotSet(ANSWER, None), SlotSet(RESUME, loop), FollowupAction(FORM)]


class ActionAskCancel(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """The engine's "cancel?" with its yes/no buttons."""

    def name(self) -> str:
        return f"action_ask_{ANSWER}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        state = dialogue.state_from(tracker.slots)
        _, replies, _ = engine.step(state, UserInput(command="cancel"), runtime.ctx())
        for reply in replies:
            if reply.step == "confirm":
                dispatcher.utter_message(text=reply.text, buttons=buttons(reply.choices))
        return []


class ValidateCancelForm(FormValidationAction):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return f"validate_{FORM}"

    async def validate_cancel_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if value in (YES, NO) and tracker.slots.get(s.REQUESTED) != ANSWER:
            return {ANSWER: value}  # already read (Rasa revalidates when a form starts)
        decision, replies = _decide(tracker.slots, UserInput(text=str(value or "")))
        log.info("slot %s: %s", ANSWER, decision or "not understood")
        if decision is None:
            failed = next((r for r in replies if r.error), None)
            if failed is not None:
                dispatcher.utter_message(text=failed.error)
        return {ANSWER: decision}


class ActionReferralCancelDecided(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """The engine's outcome of the confirmation: everything forgotten, or everything kept."""

    def name(self) -> str:
        return "action_referral_cancel_decided"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        decision = tracker.slots.get(ANSWER)
        log.info("action %s: %s", self.name(), decision)
        lang = cast(Language, s.language_of(tracker.slots))
        said = UserInput(choice=YES if decision == YES else NO)
        _, replies = _decide(tracker.slots, said)
        # The engine goes on with the question; the referral form asks it itself.
        for reply in replies:
            if not reply.step:
                dispatcher.utter_message(text=reply.text)
        if decision == YES:
            return [AllSlotsReset(), SlotSet(s.LANGUAGE, lang)]
        events: list[EventType] = [SlotSet(ANSWER, None), SlotSet(RESUME, None)]
        if tracker.slots.get(RESUME) == s.FORM:
            events.append(FollowupAction(s.FORM))
        return events

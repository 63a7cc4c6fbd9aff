"""`validate_referral_form`: Rasa's form validation, judged by the dialogue engine.

- `required_slots` is the engine's plan (role, age from the national id, requests, groups);
- each `validate_<slot>` hands the typed text to the engine (same validators, same messages in
  the conversation's language); a command word ("hjelp", "tilbake", ...) is rejected with
  `ActionExecutionRejection` so the project's rules run the help/back/summary actions;
- the next slot to ask is the first open question of the engine's plan.

Logs name slots and actions, never values.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection
from rasa_sdk.types import DomainDict

from bot.rasa import dialogue, runtime
from bot.rasa import slots as s
from dialogues.flow import text
from dialogues.state import State

log = logging.getLogger(__name__)

VALIDATE_FORM = f"validate_{s.FORM}"


def buttons(choices: Any) -> list[dict[str, str]]:
    return [{"title": c.label, "payload": c.id} for c in choices]


class ValidateReferralForm(FormValidationAction):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return VALIDATE_FORM

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Candidates typed this turn are not answers yet: plan without them, but keep them
        # required so that rasa-sdk hands them to their validate_<slot> method.
        candidates = frozenset(tracker.slots_to_validate()) & frozenset(s.form_slots())
        state = dialogue.state_from(tracker.slots, leave_out=candidates)
        planned = [s.slot_name(k) for k in dialogue.required_keys(state, runtime.ctx())]
        return planned + sorted(candidates - set(planned))

    async def next_requested_slot(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> EventType | None:
        # By now the tracker holds the judged values: plan with all of them.
        state = dialogue.state_from(tracker.slots)
        for key in dialogue.required_keys(state, runtime.ctx()):
            if tracker.slots.get(s.slot_name(key)) is None:
                log.info("next question: %s", s.slot_name(key))
                return SlotSet(s.REQUESTED, s.slot_name(key))
        log.info("form complete")
        return SlotSet(s.REQUESTED, None)

    async def validate_answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot != tracker.slots.get(s.REQUESTED) or not isinstance(value, str):
            # A value judged on an earlier turn (Rasa revalidates them when a form starts).
            return {slot: value}
        command = dialogue.command_in(value, s.key_of(slot))
        # "/intent{...}" is Rasa's syntax for a button or a typed intent, never an answer.
        if command in dialogue.HANDED_TO_RULES or (command is None and value.startswith("/")):
            log.info("slot %s: command %s handed to the rules", slot, command or "(intent)")
            raise ActionExecutionRejection(self.name(), "a command is not an answer")
        ctx = runtime.ctx()
        state = dialogue.state_from(tracker.slots, leave_out=frozenset({slot}))
        if tracker.slots.get(s.EDIT):
            return self.pick_edit(slot, value, state, dispatcher)
        outcome = dialogue.judge_answer(state, s.key_of(slot), value, ctx)
        if not outcome.accepted:
            log.info("slot %s: answer refused", slot)
            if outcome.error:
                dispatcher.utter_message(text=outcome.error, buttons=buttons(outcome.choices))
            return {slot: None, s.OFFER: list(outcome.offer) or None}
        for note in outcome.notes:
            dispatcher.utter_message(text=note.text)
        result: dict[str, Any] = {**outcome.changes, s.OFFER: None}
        after = dialogue.state_from({**tracker.slots, **result})
        for key in dialogue.stale_keys(after, ctx):
            result[s.slot_name(key)] = None
        log.info("slot %s: answer accepted (%d slot(s) set)", slot, len(result))
        return result

    def pick_edit(
        self, slot: str, value: str, state: State, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        """After "endre" alone: this answer names the answer to change (its number or label)."""
        state.mode, state.focus = "edit", s.key_of(slot)
        target, _ = dialogue.edit_target(state, value, runtime.ctx())
        if target is None:
            log.info("slot %s: no answer to change by that", slot)
            dispatcher.utter_message(text=text(state.language, "edit.unknown"))
            return {slot: None, s.EDIT: None}
        log.info("slot %s: changing %s", slot, s.slot_name(target))
        return {slot: None, s.slot_name(target): None, s.ACKNOWLEDGED: None, s.EDIT: None}


Validator = Callable[..., Awaitable[dict[str, Any]]]


def _validator_for(slot: str) -> Validator:
    async def validate(
        self: ValidateReferralForm,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return await self.validate_answer(slot, value, dispatcher, tracker, domain)

    validate.__name__ = f"validate_{slot}"
    validate.__doc__ = f"Judge the answer to `{s.key_of(slot)}` with the dialogue engine."
    return validate


# One `validate_<slot>` per form slot, as rasa-sdk looks them up by name.
for _slot in s.form_slots():
    setattr(ValidateReferralForm, f"validate_{_slot}", _validator_for(_slot))

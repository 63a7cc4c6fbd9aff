"""The custom actions of the Rasa project. Every sentence comes from the dialogue engine.

- `action_referral_intro`: the engine's welcome (before the form starts);
- `action_submit_referral`: builds the Referral from the slots, files it through
  the channel runtime (`bot.runtime.filing`) and says the engine's receipt;
- `action_referral_help`, `_back`, `_summary`, `_language`, `_edit`, `_restart`: the commands,
  run by rules after the form rejected a command word (cancelling asks first: `bot.rasa.cancel`);
- `action_ask_<slot>` for questions whose choices depend on earlier answers.

Logs name actions and slots, never values.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rasa import cancel, dialogue, runtime
from bot.rasa import slots as s
from bot.rasa.validation import ValidateReferralForm, buttons
from bot.runtime.filing import Filed, Refused, file_effect, refused
from bot.runtime.wording import problem
from dialogues import engine, parse, render
from dialogues.build import judge
from dialogues.flow import load, text
from dialogues.plan import Plan
from dialogues.state import State
from dialogues.types import Command, FileReferral, Reply, UserInput
from intake.messages import LANGUAGES, Language

log = logging.getLogger(__name__)

SUBMIT = "action_submit_referral"
ACKNOWLEDGED = s.key_of(s.ACKNOWLEDGED)
REFERENCE = "referral_reference"


def _say(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text)


def _focused(tracker: Tracker) -> tuple[State, str | None]:
    """The answers so far, focused on the question Rasa asked (its raw text left out)."""
    requested = tracker.slots.get(s.REQUESTED)
    leave_out = frozenset({requested}) if isinstance(requested, str) else frozenset()
    state = dialogue.state_from(tracker.slots, leave_out=leave_out)
    if isinstance(requested, str):
        state.mode, state.focus = "edit", s.key_of(requested)
    return state, requested if isinstance(requested, str) else None


def _clear_requested(requested: str | None, tracker: Tracker) -> list[EventType]:
    # The rejected command word sits in the requested slot; the form must ask again. Another
    # command ends a pending "endre" (which answer to change) as well.
    events = [SlotSet(requested, None)] if requested else []
    return events + ([SlotSet(s.EDIT, None)] if tracker.slots.get(s.EDIT) else [])


def _info(replies: list[Reply]) -> list[Reply]:
    """Replies that are not the question again (the form asks that itself)."""
    return [r for r in replies if r.step in ("", "summary")]


class _Command(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """Runs one engine command on the focused state and says what the engine says."""

    action: str = ""
    command: Command = "help"

    def name(self) -> str:
        return self.action

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.action)
        state, requested = _focused(tracker)
        _, replies, _ = engine.step(state, UserInput(command=self.command), runtime.ctx())
        _say(dispatcher, _info(replies))
        return _clear_requested(requested, tracker)


class ActionReferralHelp(_Command):
    action, command = "action_referral_help", "help"


class ActionReferralSummary(_Command):
    action, command = "action_referral_summary", "summary"


class ActionReferralIntro(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return "action_referral_intro"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        lang = cast(Language, s.language_of(tracker.slots))
        state = engine.new_state(language=lang, draft_id="rasa")
        _, replies, _ = engine.step(state, UserInput(command="start"), runtime.ctx())
        _say(dispatcher, [r for r in replies if not r.step])
        return []


class ActionReferralBack(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """Back one question: clear the answer before the one asked now, so the form asks it."""

    def name(self) -> str:
        return "action_referral_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        state, requested = _focused(tracker)
        keys = dialogue.required_keys(state, runtime.ctx())
        current = s.key_of(requested) if requested else None
        before = keys[: keys.index(current)] if current in keys else keys
        previous = next((k for k in reversed(before) if k in state.answers), None)
        events = _clear_requested(requested, tracker)
        if previous is None:
            dispatcher.utter_message(text=text(state.language, "back.first"))
            return events
        log.info("back to %s", s.slot_name(previous))
        return [*events, SlotSet(s.slot_name(previous), None)]


class ActionReferralEdit(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """ "endre 3": ask that question again; "endre" alone: show the answers and ask which."""

    def name(self) -> str:
        return "action_referral_edit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        state, requested = _focused(tracker)
        said = (tracker.latest_message or {}).get("text") or ""
        _, arg = parse.as_command(UserInput(text=said))
        target, replies = dialogue.edit_target(state, arg, runtime.ctx())
        events = _clear_requested(requested, tracker)
        if target is None:
            _say(dispatcher, replies)
            return [*events, SlotSet(s.EDIT, True)]
        log.info("changing %s", s.slot_name(target))
        # The final acknowledgement is asked again, with the summary, after any change.
        return [*events, SlotSet(s.slot_name(target), None), SlotSet(s.ACKNOWLEDGED, None)]


class ActionReferralRestart(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """Start again: every answer is forgotten, the form begins with the first question."""

    def name(self) -> str:
        return "action_referral_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        lang = cast(Language, s.language_of(tracker.slots))
        dispatcher.utter_message(text=text(lang, "restart.done"))
        return [AllSlotsReset(), SlotSet(s.LANGUAGE, lang)]


class ActionReferralLanguage(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return "action_referral_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        state, requested = _focused(tracker)
        wanted = next(tracker.get_latest_entity_values(s.LANGUAGE), None)
        said = (tracker.latest_message or {}).get("text") or ""
        _, arg = parse.as_command(UserInput(text=said))
        lang = parse.language_of(wanted) or parse.language_of(arg) or parse.language_of(said)
        events = _clear_requested(requested, tracker)
        if lang not in LANGUAGES:
            payloads = [
                {"title": text(code, "language.name"), "payload": _language_payload(code)}
                for code in LANGUAGES
            ]
            dispatcher.utter_message(text=text(state.language, "language.ask"), buttons=payloads)
            return events
        dispatcher.utter_message(text=text(lang, "language.changed"))
        return [*events, SlotSet(s.LANGUAGE, lang)]


def _language_payload(code: str) -> str:
    return '/choose_language{"language": "' + code + '"}'


class AskAction(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    """`action_ask_<slot>`: the engine's question with the choices this branch allows."""

    def __init__(self, slot: str) -> None:
        self.slot = slot

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        ctx = runtime.ctx()
        key = s.key_of(self.slot)
        state = dialogue.state_from(tracker.slots, leave_out=frozenset({self.slot}))
        planned = Plan(state.answers, ctx)
        slots = planned.slots
        slot = next((x for x in slots if x.key == key), None)
        if slot is None:
            log.warning("asked for %s, which the plan does not ask", self.slot)
            return []
        if key == ACKNOWLEDGED:
            # The last question: show everything first, as the other channels do before sending.
            answered = [x for x in slots if x.key in state.answers]
            summary = render.summary(state, answered).text
            foot = "\n" + text(state.language, "summary.foot")  # says "send": not asked here
            dispatcher.utter_message(text=summary.removesuffix(foot))
        reply = render.ask(state, slot, planned)
        dispatcher.utter_message(text=reply.text, buttons=buttons(reply.choices))
        return []


def dynamic_slots() -> list[str]:
    """Questions a static response cannot ask: choices that depend on earlier answers, and the
    final acknowledgement, which comes with the summary."""
    out: list[str] = []
    for key in s.all_keys():
        step = load().step(_generic(key))
        if step is None:
            continue
        if key == ACKNOWLEDGED or any(c.when for c in step.choices):
            out.append(s.slot_name(key))
    return out


def _generic(key: str) -> str:
    return re.sub(r"\[\d+\]", "[]", key)


class ActionSubmitReferral(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        log.info("action %s", self.name())
        ctx = runtime.ctx()
        state = dialogue.state_from(tracker.slots)
        lang = state.language
        if not state.answers:
            reference = tracker.slots.get(REFERENCE)
            key = "filed.already" if reference else "cancelled.state"
            dispatcher.utter_message(text=text(lang, key, reference=reference or ""))
            return []
        referral, violations = judge(state, ctx)
        if referral is None or violations:
            return _send_back(dispatcher, refused(state, violations, ctx))
        effect = FileReferral(referral, idempotency_key=_idempotency_key(tracker))
        outcome = file_effect(effect, state, ctx, filer=runtime.filer(), fetch=_no_uploads)
        if isinstance(outcome, Refused):
            return _send_back(dispatcher, outcome)
        if not isinstance(outcome, Filed):
            dispatcher.utter_message(text=outcome.replies[0].text)
            return []
        _say(dispatcher, list(outcome.replies))
        log.info("action %s: filed (duplicate=%s)", self.name(), outcome.receipt.duplicate)
        # The answers leave the slots; the receipt's reference stays for "already sent".
        return [AllSlotsReset(), SlotSet(s.LANGUAGE, lang), SlotSet(REFERENCE, outcome.reference)]


def _no_uploads(ref: str) -> bytes:
    raise LookupError("the Rasa channel takes no uploads")


def _send_back(dispatcher: CollectingDispatcher, outcome: Refused) -> list[EventType]:
    """A rule found a problem: clear the answer it concerns (and the final acknowledgement) and
    start the form again, which asks for it with the engine's message first."""
    lang = outcome.state.language
    key = outcome.revisit[0] if outcome.revisit else None
    log.info("submission sent back to %s", s.slot_name(key) if key else "the form")
    dispatcher.utter_message(text=text(lang, "check.problem"))
    if outcome.problems:
        dispatcher.utter_message(text=problem(lang, outcome.problems[0]))
    events: list[EventType] = [SlotSet(s.ACKNOWLEDGED, None)]
    if key is not None:
        events.append(SlotSet(s.slot_name(key), None))
    return [*events, FollowupAction(s.FORM)]


def _idempotency_key(tracker: Tracker) -> str:
    """One filing per form run: a retried call from Rasa files once and gets the same receipt."""
    started = next(
        (
            str(e.get("timestamp"))
            for e in reversed(tracker.events)
            if e.get("event") == "active_loop" and e.get("name") == s.FORM
        ),
        "",
    )
    digest = hashlib.sha256(f"rasa\0{tracker.sender_id}\0{started}".encode()).hexdigest()
    return f"rasa:{digest[:32]}"


def all_actions() -> list[Action]:
    actions: list[Action] = [
        ValidateReferralForm(),
        ActionReferralIntro(),
        ActionSubmitReferral(),
        ActionReferralHelp(),
        ActionReferralSummary(),
        ActionReferralBack(),
        ActionReferralLanguage(),
        cancel.ActionReferralCancel(),
        cancel.ValidateCancelForm(),
        cancel.ActionAskCancel(),
        cancel.ActionReferralCancelDecided(),
        ActionReferralEdit(),
        ActionReferralRestart(),
    ]
    actions += [AskAction(slot) for slot in dynamic_slots()]
    return actions


def custom_action_names() -> list[str]:
    return [a.name() for a in all_actions()]


# Keep the dialogue's languages and ours in one place for the exporter.
__all__ = ["LANGUAGES", "SUBMIT", "all_actions", "custom_action_names", "dynamic_slots"]

"""Modes "ask" and "edit": an answer to the question asked, judged, stored, and the next asked.

`store` and `fail` are also how a command (skip, done) answers or refuses the question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dialogues import parse, render
from dialogues.flow import condition, texts
from dialogues.plan import Slot, facts, step_of_key
from dialogues.split import SPLITTERS
from dialogues.state import UNSET
from dialogues.types import Command, UserInput
from dialogues.validators import VALIDATORS
from intake.errors import AmbiguousKommune, FieldError
from intake.kommuner import kommune_name
from intake.messages import message

if TYPE_CHECKING:
    from dialogues.turn import Turn


def _empty(ui: UserInput) -> bool:
    """Nothing given: a blank line, or no text, choice, choices, file or command at all."""
    if ui.text is not None:
        return not ui.text.strip()
    return ui.choice is None and ui.choices is None and ui.file is None and ui.command is None


def _how(slot: Slot) -> str:
    if slot.step.kind == "multi":
        return "multi.how.all" if slot.step.allow_all else "multi.how"
    return "choice.how"


def on_input(turn: Turn, ui: UserInput, _command: Command | None, _arg: str | None) -> None:
    slot = turn.current()
    if slot is None:
        turn.next()
        return
    state = turn.state
    if _empty(ui):
        # An empty answer keeps what "back" undid, or skips an optional question.
        if slot.key in state.prior:
            store(turn, slot, state.prior[slot.key])
            return
        if slot.step.kind == "multi" and state.picks:
            store(turn, slot, list(state.picks))
            return
        if state.mode == "edit" and slot.key in state.answers:
            # editing from the summary: an empty answer keeps the current one
            store(turn, slot, state.answers[slot.key])
            return
        if slot.step.optional:
            store(turn, slot, None)
            return
        refuse_skip(turn, slot)
        return
    if state.offer and _offer_answered(turn, slot, ui):
        return
    if slot.step.kind not in ("yes_no", "choice", "multi") and parse.declines(ui):
        decline(turn, slot)
        return
    if slot.step.kind == "multi" and ui.choice is not None and ui.text is None:
        _toggle(turn, slot, ui.choice)
        return
    if slot.step.kind == "multi" and slot.step.allow_all and parse.means_all(ui):
        store(turn, slot, [c.id for c in turn.plan.allowed(slot.step)])
        return
    extra: dict[str, Any] = {}
    if slot.step.split and ui.text is not None:
        own, extra = _parts(turn, slot, ui.text)
        if own is None:
            if not slot.step.optional:
                refuse_skip(turn, slot)
                return
            store(turn, slot, None, extra)
            return
        if state.mode == "edit":
            # Changing one answer from the summary: what the new text leaves out stays.
            extra = {k: v for k, v in extra.items() if v is not None}
        ui = UserInput(text=own)
    try:
        value = _parse_value(turn, slot, ui)
    except AmbiguousKommune as exc:
        state.offer = [number for number, _ in exc.candidates]
        fail(turn, slot, message(exc.key, turn.lang, **exc.params))
        return
    except parse.ChoiceNearMiss as exc:
        state.offer = [exc.choice]
        label = render.worded(state, slot.step.choice_key(exc.choice))
        fail(turn, slot, turn.t("choice.near", choice=label))
        return
    except FieldError as exc:
        if slot.step.kind in ("yes_no", "choice", "multi") and parse.declines(ui):
            decline(turn, slot)
            return
        if exc.key == "choice_invalid" and not parse.numbers(ui):
            # "ja" or a word that is no choice: say how the question is answered.
            fail(turn, slot, turn.t(_how(slot)))
            return
        fail(turn, slot, message(exc.key, turn.lang, **exc.params))
        return
    step_ = slot.step
    if step_.must_be is not None and value != step_.must_be:
        fail(turn, slot, message(step_.must_be_error or "required", turn.lang))
        return
    if slot.key == "kommune" and not _can_receive(turn, value):
        return
    store(turn, slot, value, extra)


def implied(answers: dict[str, Any], slot: Slot, value: Any, ctx: Any) -> dict[str, Any]:
    """What an answer answers besides its own question (`sets` in flow.json): a yes to the
    consent statement consents to what was asked for; a parent with parental responsibility is
    parent 1. A "@field" value copies that answer."""
    sets = slot.step.sets_for(value)
    if not sets:
        return {}
    env = facts(answers, ctx)
    out: dict[str, Any] = {}
    for key, raw, when in sets:
        if when is not None and not condition(when)(env):
            continue
        copied = answers.get(raw[1:]) if isinstance(raw, str) and raw.startswith("@") else raw
        if copied is not None:
            out[key] = copied
    return out


def decline(turn: Turn, slot: Slot) -> None:
    """A plain no at a question: a skip where that is allowed (never stored as an answer;
    the first question of an optional group closes the group), else why it is needed."""
    if not slot.step.optional:
        refuse_skip(turn, slot)
        return
    # A question that asked for several optional facts declines them all ("telefon og e-post?").
    extra: dict[str, Any] = {}
    if slot.step.split in _DECLINED:
        prefix = slot.key.rpartition(".")[0]
        for suffix, part in _DECLINED[slot.step.split].items():
            step, _index = step_of_key(f"{prefix}.{suffix}")
            if part is None and step is not None and step.optional:
                extra[f"{prefix}.{suffix}"] = None
        extra.pop(slot.key, None)
    store(turn, slot, None, extra)


# What each splitter makes of a plain "-": the parts a decline leaves out (worked out once).
_DECLINED = {name: splitter("-") for name, splitter in SPLITTERS.items()}


def refuse_skip(turn: Turn, slot: Slot) -> None:
    """A required question left blank or declined: why it is needed, and what to do."""
    key = f"why.{slot.step.id}"
    fail(turn, slot, turn.t(turn.worded(key if key in texts(turn.lang) else "why.required")))


def _offer_answered(turn: Turn, slot: Slot, ui: UserInput) -> bool:
    """A yes or no to "Mente du Bergen?": the one suggestion is taken, or typed again."""
    state = turn.state
    raw = ui.text if ui.text is not None else ui.choice
    if raw is None or raw.strip().isdigit():  # a number picks from the list
        return False
    try:
        yes = parse.yes_no(UserInput(text=raw))
    except FieldError:
        return False
    if yes and len(state.offer) == 1:
        value = state.offer[0]
        if slot.key == "kommune" and not _can_receive(turn, value):
            return True
        store(turn, slot, value)
        return True
    if not yes:
        state.offer = []
        fail(turn, slot, turn.t("offer.retype"))
        return True
    return False


def _can_receive(turn: Turn, number: Any) -> bool:
    """A kommune whose KE has no key here cannot get the referral: said at once, before
    anything else is asked, with what to do instead; the person may name another."""
    ready = turn.ctx.receiving
    if ready is None or number in ready:
        return True
    turn.state.offer = []
    name = kommune_name(number) if isinstance(number, str) else ""
    fail(turn, turn.current() or _kommune_slot(turn), turn.t("kommune.not_ready", name=name))
    return False


def _kommune_slot(turn: Turn) -> Slot:
    return next(s for s in turn.plan.slots if s.key == "kommune")


def _parts(turn: Turn, slot: Slot, raw: str) -> tuple[str | None, dict[str, Any]]:
    """An answer that holds several facts (`split` in flow.json): the text of this question's
    own part, and the other parts validated by their own questions' validators. A part that
    does not pass is left out, so its question is asked on its own."""
    splitter = SPLITTERS.get(slot.step.split or "")
    if splitter is None:
        return raw, {}
    prefix, _, own_name = slot.key.rpartition(".")
    try:
        parts = splitter(raw)
    except FieldError:  # nothing to split ("", far too long): the question's validator says why
        return raw, {}
    own = parts.pop(own_name, raw)
    found: dict[str, Any] = {}
    for suffix, part in parts.items():
        key = f"{prefix}.{suffix}"
        step, _index = step_of_key(key)
        if step is None:
            continue
        if part is None:
            if step.optional:
                found[key] = None
            continue
        validator = VALIDATORS.get(step.validator or "short_text", VALIDATORS["short_text"])
        try:
            found[key] = validator(part, turn.ctx)
        except FieldError:
            continue
    return own, found


def _toggle(turn: Turn, slot: Slot, choice: str) -> None:
    """A multi-select's button: pick or unpick one choice, or "done"."""
    state = turn.state
    allowed = [c.id for c in turn.plan.allowed(slot.step)]
    if choice == "done":
        turn.command("done", None)
        return
    if choice not in allowed:
        fail(turn, slot, message("choice_invalid", turn.lang))
        return
    picks = state.picks
    if choice in picks:
        picks.remove(choice)
    else:
        picks.append(choice)
    turn.ask(slot)


def _parse_value(turn: Turn, slot: Slot, ui: UserInput) -> Any:
    step_ = slot.step
    kind = step_.kind
    if kind == "yes_no":
        return parse.yes_no(ui)
    if kind in ("choice", "multi"):
        options = turn.plan.allowed(step_)
        if kind == "choice":
            return parse.one_choice(ui, step_, options)
        return parse.many_choices(ui, step_, options)
    if kind == "file":
        if ui.file is not None:
            return parse.upload(ui.file)
        if parse.follows(ui):
            return "follows"
        raise FieldError("authority_document_required")
    raw = ui.text if ui.text is not None else ui.choice
    if raw is None:
        raise FieldError("text_empty")
    offer = turn.state.offer
    if slot.key == "kommune" and offer:
        number = parse.number_in(raw.strip(), len(offer))
        if number is not None:
            return offer[number - 1]
    validator = VALIDATORS.get(step_.validator or "short_text", VALIDATORS["short_text"])
    return validator(raw, turn.ctx)


def fail(turn: Turn, slot: Slot, error: str) -> None:
    """Ask the question again with what was wrong; the third time, with advice."""
    fails = turn.state.fails
    fails[slot.key] = fails.get(slot.key, 0) + 1
    turn.ask(slot, error=error)


def store(turn: Turn, slot: Slot, value: Any, extra: dict[str, Any] | None = None) -> None:
    """Keep the answer (with what it replaced, for "back") and ask the next question.

    `extra`: the other facts the same answer gave (a postcode in an address line); they are
    kept too, undone with it, and said back so the person sees what was understood."""
    state = turn.state
    answers = state.answers
    previous = answers.get(slot.key, UNSET)
    others: dict[str, Any] = {}
    answers[slot.key] = value
    understood: list[str] = []
    for key, part in (extra or {}).items():
        others[key] = answers.get(key, UNSET)
        answers[key] = part
        step, index = step_of_key(key)
        if part is not None and step is not None:
            shown = render.label(state, Slot(key, step, index))
            understood.append(f"{shown}: {render.value_text(state, step, part)}")
    if understood:
        turn.say("split.understood", items="; ".join(understood))
    for key, part in implied(state.answers, slot, value, turn.ctx).items():
        others.setdefault(key, answers.get(key, UNSET))
        answers[key] = part
    if slot.step.on_false == "decline_individual_plan" and value is False:
        others["requests"] = answers.get("requests", UNSET)
        requests = [r for r in answers.get("requests") or [] if r != "individual_plan"]
        if "coordinator" not in requests and "child_coordinator" not in requests:
            requests.append("coordinator")
        answers["requests"] = requests
        turn.say(turn.worded("decline_ip"))
    if slot.step.kind == "file" and isinstance(value, dict):
        turn.say("file.received", filename=value.get("filename", ""))
    state.history.append([slot.key, previous, others])
    for scratch in (state.fails, state.prior):
        scratch.pop(slot.key, None)
    state.picks, state.offer = [], []
    turn.changed(slot.key, *others)
    state.mode = "ask"
    turn.next()

"""One turn of the conversation: the mode says which handler reads the input.

`engine.step` wraps this in the never-raise promise; everything here may assume sane input
types but must judge every value. `Turn` holds what every handler shares (the state, the
replies and effects so far, the plan, asking the next question); the handlers live by mode:

- `dialogues.answering`: "ask" and "edit", an answer to the question asked;
- `dialogues.commands`: every command, and the modes a command opens ("language",
  "confirm_cancel", "confirm_restart");
- `dialogues.summary`: "summary" and "choose_edit", sending and choosing an answer to edit;
- here: "new", "filing", "done" and "cancelled", where the conversation begins or rests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialogues import answering, commands, parse, render, summary
from dialogues.flow import ROLES, text, variant
from dialogues.plan import Plan, Slot
from dialogues.state import Mode, State
from dialogues.types import Command, Context, Effect, Reply, UserInput
from intake.messages import LANGUAGES, Language

ROLE_FIELD = "submitter.role"


def fresh_state(*, language: Language, draft_id: str, preset_role: str | None = None) -> State:
    state = State(language=language if language in LANGUAGES else "nb", draft_id=draft_id)
    if preset_role in ROLES:
        state.answers[ROLE_FIELD] = preset_role
    return state


def next_draft_id(draft_id: str) -> str:
    """`abc` -> `abc.2` -> `abc.3`: the draft id of the next referral in one conversation
    (derived, as the engine draws no randomness)."""
    base, dot, number = draft_id.rpartition(".")
    if dot and number.isdigit() and number.isascii():
        return f"{base}.{int(number) + 1}"
    return f"{draft_id}.2"


class Turn:
    def __init__(self, state: State, ctx: Context) -> None:
        self.state = state
        self.ctx = ctx
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self._plan: Plan | None = None
        self._earlier: Plan | None = None  # the plan before the last change (`Plan` earlier)

    # -- helpers -------------------------------------------------------------------------

    @property
    def lang(self) -> Language:
        return self.state.language

    def t(self, key: str, **params: Any) -> str:
        return text(self.lang, key, **params)

    def worded(self, key: str) -> str:
        """`key`, or its wording for the submitter's role when the texts have one."""
        return variant(self.lang, key, self.state.answers.get(ROLE_FIELD))

    def say(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(text=self.t(key, **params)))

    @property
    def plan(self) -> Plan:
        """The plan for the answers as they are now: one per turn, until an answer changes."""
        if self._plan is None:
            self._plan = Plan(self.state.answers, self.ctx, earlier=self._earlier)
        return self._plan

    def changed(self, *keys: str) -> None:
        """Answers changed (only those of `keys`, when given) or the state was replaced: plan
        again when next asked, unless the plan can tell that these answers change nothing in
        it."""
        if self._plan is not None:
            self._earlier = self._plan
        self._plan = None if not keys or self._plan is None else self._plan.after(*keys)

    def current(self) -> Slot | None:
        if self.state.mode == "edit" and self.state.focus:
            for slot in self.plan.slots:
                if slot.key == self.state.focus:
                    return slot
        return self.plan.first_open()

    def answered_slots(self) -> list[Slot]:
        return [s for s in self.plan.slots if s.key in self.state.answers]

    def ask(self, slot: Slot, *, error: str | None = None) -> None:
        self.replies.append(render.ask(self.state, slot, self.plan, error=error))

    # -- the turn ------------------------------------------------------------------------

    def run(self, ui: UserInput) -> None:
        mode = self.state.mode
        asking = self.current() if mode in ("ask", "edit") else None
        name_answer = asking is not None and asking.step.validator == "name"
        command, arg = parse.as_command(ui, name_answer=name_answer)
        if command is not None and mode in _COMMANDS_FIRST:
            self.command(command, arg)
        else:
            MODES[mode](self, ui, command, arg)

    def command(self, command: Command, arg: str | None) -> None:
        commands.COMMANDS[command](self, arg)

    def begin(self, command: Command | None, arg: str | None) -> None:
        """Start: the intro and the first question. "language" without a language as the first
        input asks for one first (a channel that cannot tell the person's language, such as
        Rasa); the pick then begins the conversation in it."""
        if command == "language" and (lang := parse.language_of(arg)) is not None:
            commands.set_language(self, lang, announce=False)
        elif command == "language":
            self.state.resume, self.state.mode = "new", "language"
            commands.ask_language(self)
            return
        if command == "start" and arg in ROLES and ROLE_FIELD not in self.state.answers:
            self.state.answers[ROLE_FIELD] = arg
            self.changed()
        self.intro()
        self.state.mode = "ask"
        self.next()

    def intro(self) -> None:
        hours = self.ctx.draft_ttl_hours
        # Only what this channel does: a terminal keeps nothing, a chat keeps a draft a while.
        intro = self.t("intro")
        kept = self.t("intro.kept", hours=hours) if hours > 0 else self.t("intro.not_kept")
        self.replies.append(Reply(text=f"{intro}\n{kept}"))
        self.say("intro.commands")
        if self.state.answers.get(ROLE_FIELD) == "provider":
            self.say("intro.provider")

    def reset(self, arg: str | None) -> None:
        preset = arg if arg in ROLES else None
        draft = self.state.draft_id
        if self.state.mode == "done":
            # The filed referral keeps its idempotency key (the draft id); the next one in the
            # same conversation gets its own, or the inbox would answer it as the first.
            draft = next_draft_id(draft)
        fresh = fresh_state(language=self.lang, draft_id=draft, preset_role=preset)
        self.state = fresh
        self.changed()
        self.begin(None, None)

    def next(self) -> None:
        """Ask the first open question of the current branch, or show the summary."""
        self.state.focus = None
        self.state.mode = "ask"
        slot = self.plan.first_open()
        if slot is None:
            self.state.mode = "summary"
            self.replies.append(render.summary(self.state, self.plan.slots))
            return
        self.state.focus = slot.key
        self.ask(slot)

    def show(self, *, error: str | None = None) -> None:
        """Repeat what is pending (after help, a language switch, a refused command)."""
        mode = self.state.mode
        if mode == "summary":
            self.replies.append(render.summary(self.state, self.plan.slots, error=error))
            return
        if mode == "choose_edit":
            self.replies.append(render.summary(self.state, self.answered_slots(), partial=True))
            self.say("edit.which")
            return
        slot = self.current()
        if slot is None:
            self.next()
            return
        self.state.focus = slot.key
        self.ask(slot, error=error)


# -- where the conversation begins or rests ------------------------------------------------


def _new(turn: Turn, _ui: UserInput, command: Command | None, arg: str | None) -> None:
    turn.begin(command, arg)


def _filing(turn: Turn, _ui: UserInput, _command: Command | None, _arg: str | None) -> None:
    """Input while the state still says "filing": the filing it began was interrupted (the
    channel stopped before it had the outcome; a channel handles one input of a conversation at
    a time). It is filed again under the same idempotency key, so a filing that did reach the
    inbox gives its receipt and one that did not is made now; what the rules refuse by now is
    asked again. The channel then applies a start, restart or cancel to the outcome."""
    turn.state.mode = "summary"
    summary.send(turn)


def _done(turn: Turn, _ui: UserInput, command: Command | None, arg: str | None) -> None:
    if command in ("start", "restart"):
        turn.reset(arg)
    else:
        turn.say("filed.already", reference=turn.state.reference or "")


def _cancelled(turn: Turn, _ui: UserInput, command: Command | None, arg: str | None) -> None:
    if command in ("start", "restart"):
        turn.reset(arg)
    else:
        turn.say("cancelled.state")


# What reads the input in each mode: the input, and the command it carries (with its argument).
Handler = Callable[[Turn, UserInput, "Command | None", "str | None"], None]
MODES: dict[Mode, Handler] = {
    "new": _new,
    "ask": answering.on_input,
    "edit": answering.on_input,
    "summary": summary.on_input,
    "choose_edit": summary.on_input,
    "language": commands.on_language,
    "confirm_cancel": commands.on_confirm,
    "confirm_restart": commands.on_confirm,
    "filing": _filing,
    "done": _done,
    "cancelled": _cancelled,
}
# The modes where a command is obeyed before the input is read as an answer or a choice.
_COMMANDS_FIRST: frozenset[Mode] = frozenset({"ask", "edit", "summary", "choose_edit"})

"""One turn of the conversation: what an input means in the current mode, and the replies.

`engine.step` wraps this in the never-raise promise; everything here may assume sane input
types but must judge every value.
"""

from __future__ import annotations

from typing import Any

from dialogues import parse, render
from dialogues.build import attachment_refs, judge, key_for
from dialogues.flow import ROLES, text, variant
from dialogues.plan import Slot, allowed_choices, facts, plan, unanswered
from dialogues.state import UNSET, State
from dialogues.types import (
    Choice,
    Command,
    Context,
    DiscardDraft,
    Effect,
    FileReferral,
    LanguageChanged,
    Reply,
    UserInput,
)
from intake.errors import AmbiguousKommune, FieldError
from intake.messages import LANGUAGES, Language, message

ROLE_FIELD = "submitter.role"


def fresh_state(*, language: Language, draft_id: str, preset_role: str | None = None) -> State:
    state = State(language=language if language in LANGUAGES else "nb", draft_id=draft_id)
    if preset_role in ROLES:
        state.answers["submitter.role"] = preset_role
    return state


def _empty(ui: UserInput) -> bool:
    """Nothing given: a blank line, or no text, choice, choices, file or command at all."""
    if ui.text is not None:
        return not ui.text.strip()
    return ui.choice is None and ui.choices is None and ui.file is None and ui.command is None


def _how(slot: Slot) -> str:
    if slot.step.kind == "multi":
        return "multi.how.all" if slot.step.allow_all else "multi.how"
    return "choice.how"


class Turn:
    def __init__(self, state: State, ctx: Context) -> None:
        self.state = state
        self.ctx = ctx
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self._slots: list[Slot] | None = None

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

    def slots(self) -> list[Slot]:
        if self._slots is None:
            self._slots = plan(self.state, self.ctx)
        return self._slots

    def changed(self) -> None:
        self._slots = None

    def current(self) -> Slot | None:
        if self.state.mode == "edit" and self.state.focus:
            for slot in self.slots():
                if slot.key == self.state.focus:
                    return slot
        return unanswered(self.state, self.ctx, self.slots())

    # -- the turn ------------------------------------------------------------------------

    def run(self, ui: UserInput) -> None:
        mode = self.state.mode
        asking = self.current() if mode in ("ask", "edit") else None
        name_answer = asking is not None and asking.step.validator == "name"
        command, arg = parse.as_command(ui, name_answer=name_answer)
        if mode == "new":
            self.begin(command, arg)
        elif mode == "done":
            if command in ("start", "restart"):
                self.reset(arg)
            else:
                self.say("filed.already", reference=self.state.reference or "")
        elif mode == "filing":
            self.say("filing.wait")
        elif mode == "cancelled":
            if command in ("start", "restart"):
                self.reset(arg)
            else:
                self.say("cancelled.state")
        elif mode in ("confirm_cancel", "confirm_restart"):
            self.confirm_stop(ui, command)
        elif mode == "language":
            self.pick_language(ui, command)
        elif command is not None:
            self.command(command, arg)
        elif mode in ("summary", "choose_edit"):
            self.summary_input(ui)
        else:
            self.answer(ui)

    def begin(self, command: Command | None, arg: str | None) -> None:
        if command == "language" and (lang := parse.language_of(arg)) is not None:
            self.set_language(lang, announce=False)
        if command == "start" and arg in ROLES and "submitter.role" not in self.state.answers:
            self.state.answers["submitter.role"] = arg
        self.intro()
        self.state.mode = "ask"
        self.next()

    def intro(self) -> None:
        hours = self.ctx.draft_ttl_hours
        self.say("intro", hours=hours)
        self.say("intro.commands")
        if self.state.answers.get("submitter.role") == "provider":
            self.say("intro.provider")

    def reset(self, arg: str | None) -> None:
        preset = arg if arg in ROLES else None
        fresh = fresh_state(language=self.lang, draft_id=self.state.draft_id, preset_role=preset)
        self.state = fresh
        self.changed()
        self.begin(None, None)

    def next(self) -> None:
        """Ask the first open question of the current branch, or show the summary."""
        self.state.focus = None
        self.state.mode = "ask"
        slot = unanswered(self.state, self.ctx, self.slots())
        if slot is None:
            self.state.mode = "summary"
            self.replies.append(render.summary(self.state, self.slots()))
            return
        self.state.focus = slot.key
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots()))

    def show(self, *, error: str | None = None) -> None:
        """Repeat what is pending (after help, a language switch, a refused command)."""
        mode = self.state.mode
        if mode == "summary":
            self.replies.append(render.summary(self.state, self.slots(), error=error))
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
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots(), error=error))

    # -- commands ------------------------------------------------------------------------

    def command(self, command: Command, arg: str | None) -> None:
        handlers = {
            "start": self.cmd_start,
            "back": self.cmd_back,
            "help": self.cmd_help,
            "skip": self.cmd_skip,
            "done": self.cmd_done,
            "summary": self.cmd_summary,
            "edit": self.cmd_edit,
            "language": self.cmd_language,
            "cancel": self.cmd_cancel,
            "restart": self.cmd_restart,
        }
        handlers[command](arg)

    def cmd_start(self, arg: str | None) -> None:
        if arg in ROLES and "submitter.role" not in self.state.answers:
            self.state.answers["submitter.role"] = arg
            self.changed()
            if arg == "provider":
                self.say("intro.provider")
        else:
            self.say("resume")
        self.show()

    def cmd_back(self, _arg: str | None) -> None:
        history = self.state.history
        if not history:
            self.say("back.first")
            self.show()
            return
        while True:
            key = self.undo(history.pop())
            # An answer from a branch that no longer applies is undone too, silently.
            if not history or any(slot.key == key for slot in self.slots()):
                break
        self.state.picks, self.state.offer = [], []
        if key in self.state.answers:
            self.state.mode, self.state.focus = "edit", key
        else:
            self.state.mode, self.state.focus = "ask", None
        self.show()

    def undo(self, entry: list[Any]) -> str:
        """Put back what one answer replaced; the undone answer becomes a hint."""
        key, previous, others = entry
        value = self.state.answers.pop(key, None)
        if previous != UNSET:
            self.state.answers[key] = previous
        for other, old in dict(others).items():
            if old == UNSET:
                self.state.answers.pop(other, None)
            else:
                self.state.answers[other] = old
        if value is not None:
            self.state.prior[key] = value
        self.changed()
        return str(key)

    def cmd_help(self, _arg: str | None) -> None:
        if self.state.mode in ("summary", "choose_edit"):
            self.say("help.summary")
        else:
            slot = self.current()
            key = slot.step.help if slot is not None and slot.step.help else "help.generic"
            self.say(self.worded(key))
        self.say("help.commands")
        self.show()

    def cmd_skip(self, _arg: str | None) -> None:
        slot = self.current() if self.state.mode in ("ask", "edit") else None
        if slot is None:
            self.show()
            return
        if not slot.step.optional:
            self.fail(slot, self.t("skip.required"))
            return
        self.store(slot, None)

    def cmd_done(self, _arg: str | None) -> None:
        slot = self.current() if self.state.mode in ("ask", "edit") else None
        if slot is not None and slot.step.kind == "multi":
            if self.state.picks:
                self.store(slot, list(self.state.picks))
            elif slot.step.optional:
                self.store(slot, None)
            else:
                self.fail(slot, self.t("skip.required"))
            return
        if slot is not None and slot.step.more:
            self.store(slot, False)
            return
        self.say("done.not_here")
        self.show()

    def cmd_summary(self, _arg: str | None) -> None:
        if unanswered(self.state, self.ctx, self.slots()) is None:
            self.state.mode, self.state.focus = "summary", None
            self.show()
            return
        self.replies.append(render.summary(self.state, self.answered_slots(), partial=True))
        self.say("summary.incomplete")
        self.show()

    def answered_slots(self) -> list[Slot]:
        return [s for s in self.slots() if s.key in self.state.answers]

    def cmd_edit(self, arg: str | None) -> None:
        if arg:
            target = self.edit_target(arg)
            if target is not None:
                self.start_edit(target)
                return
            self.say("edit.unknown")
        self.state.resume = self.state.mode if self.state.mode != "choose_edit" else "summary"
        self.state.mode = "choose_edit"
        self.replies.append(render.summary(self.state, self.answered_slots(), partial=True))
        self.say("edit.which")

    def edit_target(self, arg: str) -> Slot | None:
        entries = render.summary_entries(self.answered_slots())
        word = parse.fold(arg)
        if word.isdigit() and 1 <= int(word) <= len(entries):
            return entries[int(word) - 1]
        for slot in entries:
            if slot.key == arg.strip() or parse.fold(render.label(self.state, slot)) == word:
                return slot
        return None

    def start_edit(self, slot: Slot) -> None:
        self.state.mode, self.state.focus = "edit", slot.key
        self.state.picks = (
            list(self.state.answers.get(slot.key) or []) if slot.step.kind == "multi" else []
        )
        self.state.offer = []
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots()))

    def cmd_language(self, arg: str | None) -> None:
        lang = parse.language_of(arg)
        if lang is not None:
            self.set_language(lang)
            self.show()
            return
        self.state.resume = self.state.mode
        self.state.mode = "language"
        self.ask_language()

    def ask_language(self, error: str | None = None) -> None:
        choices = tuple(Choice(code, text(code, "language.name")) for code in LANGUAGES)
        self.replies.append(
            Reply(
                text=self.t("language.ask"),
                step="language",
                kind="choice",
                choices=choices,
                error=error,
            )
        )

    def pick_language(self, ui: UserInput, command: Command | None) -> None:
        raw = ui.choice or ui.text or ui.arg
        lang = parse.language_of(raw)
        if lang is None and raw and raw.strip() in ("1", "2", "3"):
            lang = LANGUAGES[int(raw.strip()) - 1]
        if lang is None and command is None:
            self.ask_language(error=message("choice_invalid", self.lang))
            return
        self.state.mode = self.state.resume
        if lang is not None:
            self.set_language(lang)
        self.show()

    def set_language(self, lang: str, *, announce: bool = True) -> None:
        for code in LANGUAGES:
            if code == lang:
                self.state.language = code
                self.effects.append(LanguageChanged(code))
                if announce:
                    self.say("language.changed")
                return

    def cmd_cancel(self, _arg: str | None) -> None:
        self.state.resume = self.state.mode
        self.state.mode = "confirm_cancel"
        self.ask_stop("cancel.ask")

    def cmd_restart(self, _arg: str | None) -> None:
        self.state.resume = self.state.mode
        self.state.mode = "confirm_restart"
        self.ask_stop("restart.ask")

    def ask_stop(self, key: str, error: str | None = None) -> None:
        choices = (Choice("yes", self.t("c.yes")), Choice("no", self.t("c.no")))
        self.replies.append(
            Reply(text=self.t(key), step="confirm", kind="yes_no", choices=choices, error=error)
        )

    def confirm_stop(self, ui: UserInput, command: Command | None) -> None:
        cancelling = self.state.mode == "confirm_cancel"
        if command in ("cancel", "restart"):
            yes: bool | None = True
        elif command is not None:
            yes = False
        else:
            try:
                yes = parse.yes_no(ui)
            except FieldError:
                yes = None
        if yes is None:
            self.ask_stop(
                "cancel.ask" if cancelling else "restart.ask", message("yes_no", self.lang)
            )
            return
        if not yes:
            self.state.mode = self.state.resume
            self.say("stop.kept")
            self.show()
            return
        if cancelling:
            lang, draft = self.lang, self.state.draft_id
            self.state = State(language=lang, draft_id=draft, mode="cancelled")
            self.changed()
            self.effects.append(DiscardDraft())
            self.say("cancel.done")
            return
        self.say("restart.done")
        self.reset(None)

    # -- answers -------------------------------------------------------------------------

    def summary_input(self, ui: UserInput) -> None:
        raw = ui.choice if ui.choice is not None else (ui.text or "")
        word = parse.fold(raw)
        if self.state.mode == "choose_edit" or word.isdigit():
            target = self.edit_target(word) if word else None
            if target is not None:
                self.start_edit(target)
                return
            if self.state.mode == "choose_edit":
                self.say("edit.unknown")
                self.say("edit.which")
                return
        if word in ("edit", parse.fold(self.t("c.summary.edit"))):
            self.cmd_edit(None)
            return
        if word in ("cancel", parse.fold(self.t("c.summary.cancel"))):
            self.cmd_cancel(None)
            return
        sends = {"send", "send inn", "sende", "submit", parse.fold(self.t("c.summary.send"))}
        if word in sends or word in parse.YES:
            self.confirm()
            return
        self.say("summary.hint")

    def confirm(self) -> None:
        slots = self.slots()
        if unanswered(self.state, self.ctx, slots) is not None:
            self.next()
            return
        referral, violations = judge(self.state, self.ctx)
        if violations or referral is None:
            self.route(
                violations[0].field if violations else "", violations[0] if violations else None
            )
            return
        self.state.mode, self.state.focus = "filing", None
        self.effects.append(
            FileReferral(
                referral,
                idempotency_key=self.state.draft_id,
                attachment_refs=attachment_refs(self.state),
            )
        )
        self.say("sending")

    def route(self, field: str, violation: Any) -> None:
        """Send the person to the question a rule violation concerns, with its message."""
        msg = (
            message(violation.key, self.lang, **violation.params)
            if violation is not None
            else message("format_invalid", self.lang)
        )
        key = key_for(field, self.slots(), violation.key if violation is not None else "")
        slot = next((s for s in self.slots() if s.key == key), None)
        if slot is None:
            self.state.mode = "summary"
            self.replies.append(render.summary(self.state, self.slots(), error=msg))
            return
        self.say("check.problem")
        self.state.mode, self.state.focus = "edit", slot.key
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots(), error=msg))

    def answer(self, ui: UserInput) -> None:
        slot = self.current()
        if slot is None:
            self.next()
            return
        if _empty(ui):
            # An empty answer keeps what "back" undid, or skips an optional question.
            if slot.key in self.state.prior:
                self.store(slot, self.state.prior[slot.key])
                return
            if slot.step.kind == "multi" and self.state.picks:
                self.store(slot, list(self.state.picks))
                return
            if self.state.mode == "edit" and slot.key in self.state.answers:
                # editing from the summary: an empty answer keeps the current one
                self.store(slot, self.state.answers[slot.key])
                return
            if slot.step.optional:
                self.store(slot, None)
                return
            self.fail(slot, self.t("skip.required"))
            return
        if slot.step.kind == "multi" and ui.choice is not None and ui.text is None:
            self.toggle(slot, ui.choice)
            return
        if slot.step.kind == "multi" and slot.step.allow_all and parse.means_all(ui):
            env = facts(self.state.answers, self.ctx)
            self.store(slot, [c.id for c in allowed_choices(slot.step, env)])
            return
        try:
            value = self.parse_value(slot, ui)
        except AmbiguousKommune as exc:
            self.state.offer = [number for number, _ in exc.candidates]
            self.fail(slot, message(exc.key, self.lang, **exc.params))
            return
        except FieldError as exc:
            if exc.key == "choice_invalid" and not parse.numbers(ui):
                # "ja" or a word that is no choice: say how the question is answered.
                self.fail(slot, self.t(_how(slot)))
                return
            self.fail(slot, message(exc.key, self.lang, **exc.params))
            return
        step_ = slot.step
        if step_.must_be is not None and value != step_.must_be:
            self.fail(slot, message(step_.must_be_error or "required", self.lang))
            return
        self.store(slot, value)

    def toggle(self, slot: Slot, choice: str) -> None:
        env = facts(self.state.answers, self.ctx)
        allowed = [c.id for c in allowed_choices(slot.step, env)]
        if choice == "done":
            self.cmd_done(None)
            return
        if choice not in allowed:
            self.fail(slot, message("choice_invalid", self.lang))
            return
        picks = self.state.picks
        if choice in picks:
            picks.remove(choice)
        else:
            picks.append(choice)
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots()))

    def parse_value(self, slot: Slot, ui: UserInput) -> Any:
        from dialogues.validators import VALIDATORS

        step_ = slot.step
        kind = step_.kind
        if kind == "yes_no":
            return parse.yes_no(ui)
        if kind in ("choice", "multi"):
            env = facts(self.state.answers, self.ctx)
            options = allowed_choices(step_, env)
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
        if slot.key == "kommune" and self.state.offer:
            word = raw.strip()
            if word.isdigit() and 1 <= int(word) <= len(self.state.offer):
                return self.state.offer[int(word) - 1]
        validator = VALIDATORS.get(step_.validator or "short_text", VALIDATORS["short_text"])
        return validator(raw, self.ctx)

    def fail(self, slot: Slot, error: str) -> None:
        self.state.fails[slot.key] = self.state.fails.get(slot.key, 0) + 1
        self.replies.append(render.ask(self.state, slot, self.ctx, self.slots(), error=error))

    def store(self, slot: Slot, value: Any) -> None:
        answers = self.state.answers
        previous = answers.get(slot.key, UNSET)
        others: dict[str, Any] = {}
        answers[slot.key] = value
        if slot.step.on_false == "decline_individual_plan" and value is False:
            others["requests"] = answers.get("requests", UNSET)
            requests = [r for r in answers.get("requests") or [] if r != "individual_plan"]
            if "coordinator" not in requests and "child_coordinator" not in requests:
                requests.append("coordinator")
            answers["requests"] = requests
            self.say(self.worded("decline_ip"))
        if slot.step.kind == "file" and isinstance(value, dict):
            self.say("file.received", filename=value.get("filename", ""))
        self.state.history.append([slot.key, previous, others])
        for scratch in (self.state.fails, self.state.prior):
            scratch.pop(slot.key, None)
        self.state.picks, self.state.offer = [], []
        self.changed()
        self.state.mode = "ask"
        self.next()

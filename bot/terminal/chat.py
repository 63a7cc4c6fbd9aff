"""The terminal adapter: runs the dialogue engine over standard input and output.

Two faces: a readable interactive chat (numbered choices, wrapped text) and `--json`, a line
protocol for scripts: every line read gives exactly one JSON line back,
`{"step", "text", "choices", "multi", "optional", "progress", "error", "reference"}`.
A line read is plain text or a JSON object: `{"text": ...}`, `{"choice": id}`,
`{"choices": [ids]}`, `{"command": name, "arg": ...}` or `{"file": path}` (an upload).

End of input before sending files nothing; the chat says so and exits with status 0 (the
person stopping is not an error). The context, uploads and filing are the channel runtime's
(`bot.runtime`).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.runtime.context import Runtime
from bot.runtime.filing import Filed, Filer, file_effect
from bot.runtime.uploads import upload_from_path
from bot.runtime.wording import text as wording
from bot.terminal.pending import Pending
from dialogues import engine
from dialogues.render import progress_text
from dialogues.state import State
from dialogues.types import Command, FileReferral, FileUpload, Reply, UserInput
from intake.texts import Language

COMMANDS: frozenset[str] = frozenset(Command.__args__)  # type: ignore[attr-defined]


@dataclass
class Turn:
    """What one engine call (plus any filing) produced, merged for output."""

    replies: list[Reply]

    def as_json(self) -> dict[str, Any]:
        asking = next((r for r in reversed(self.replies) if r.step), None)
        last = asking or (self.replies[-1] if self.replies else Reply(text=""))
        reference = next((r.reference for r in self.replies if r.reference), None)
        return {
            "step": last.step,
            "text": "\n\n".join(r.text for r in self.replies if r.text),
            "choices": [{"id": c.id, "label": c.label} for c in last.choices],
            "multi": last.multi,
            "optional": last.optional,
            "progress": list(last.progress) if last.progress else None,
            "error": next((r.error for r in self.replies if r.error), None),
            "reference": reference,
        }


# The input gate for `--json` lines, checked before any parsing: longer lines or deeper nesting
# than any documented shape needs are refused outright (a 10,000-deep array must not reach
# json.loads's recursion), and a parsed line must be exactly one documented shape.
MAX_LINE_CHARS = 64 * 1024
MAX_JSON_DEPTH = 2
MAX_CHOICES = 32
_JSON_START = ("{", "[", '"')
_JSON_WORDS = frozenset({"null", "true", "false"})


class Refused:
    """A line the gate refused: answered with a message, never given to the dialogue."""


REFUSED = Refused()


def parse_line(line: str, *, json_mode: bool) -> UserInput | Refused:
    """A line as the person or a script wrote it."""
    raw = line.rstrip("\r\n")
    stripped = raw.strip()
    if json_mode and len(raw) > MAX_LINE_CHARS:
        return REFUSED
    if json_mode and (stripped.startswith(_JSON_START) or stripped in _JSON_WORDS):
        if _depth(stripped) > MAX_JSON_DEPTH:
            return REFUSED
        try:
            data = json.loads(stripped)
        except ValueError:
            return REFUSED
        return _from_json(data) if isinstance(data, dict) else REFUSED
    upload = _as_upload(stripped) if stripped.startswith(("/", "./", "~")) else None
    return UserInput(file=upload) if upload else UserInput(text=raw)


def _depth(text: str) -> int:
    """How deep brackets nest, strings skipped: a bound checked without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _label(value: object) -> str | None:
    """A choice as a script names it: its id, or its number (an int, not a bool)."""
    if isinstance(value, str) and 0 < len(value) <= 200:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10_000:
        return str(value)
    return None


def _from_json(data: dict[str, Any]) -> UserInput | Refused:
    keys = set(data)
    if keys == {"text"} and isinstance(data["text"], str):
        return UserInput(text=data["text"])
    if keys == {"choice"} and (choice := _label(data["choice"])) is not None:
        return UserInput(choice=choice)
    if keys == {"choices"} and isinstance(data["choices"], list):
        labels = [_label(c) for c in data["choices"]]
        if 0 < len(labels) <= MAX_CHOICES and all(label is not None for label in labels):
            return UserInput(choices=tuple(label for label in labels if label is not None))
    if keys in ({"command"}, {"command", "arg"}) and data["command"] in COMMANDS:
        arg = data.get("arg")
        if arg is None or (isinstance(arg, str) and len(arg) <= 200):
            return UserInput(command=data["command"], arg=arg)
        if (number := _label(arg)) is not None:  # {"command": "edit", "arg": 3}
            return UserInput(command=data["command"], arg=number)
    if keys == {"file"} and isinstance(data["file"], str) and len(data["file"]) <= 4096:
        upload = _as_upload(data["file"])
        return UserInput(file=upload) if upload else UserInput(text="")
    return REFUSED


def _as_upload(path_text: str) -> FileUpload | None:
    """A local file named on the command line becomes an upload (the terminal's attach)."""
    return upload_from_path(Path(path_text))


def _read_local(ref: str) -> bytes:
    return Path(ref).read_bytes()


def render_plain(replies: Iterable[Reply], language: Language, width: int) -> str:
    """The interactive face: wrapped paragraphs, the error first, numbered choices."""
    out: list[str] = []
    for reply in replies:
        if reply.error:
            out.append(_wrap(f"! {reply.error}", width))
        if reply.progress:
            out.append(f"[{progress_text(language, reply.progress)}]")
        if reply.text:
            out.append("\n".join(_wrap(p, width) for p in reply.text.split("\n")))
        for number, choice in enumerate(reply.choices, start=1):
            mark = "[x] " if choice.id in reply.selected else ""
            # Summary numbers mean "edit answer N", so its actions are shown as words.
            bullet = "-" if reply.step == "summary" else f"{number}."
            out.append(f"  {bullet} {mark}{choice.label}")
        out.append("")
    return "\n".join(out)


def _wrap(paragraph: str, width: int) -> str:
    return textwrap.fill(paragraph, width=width, break_long_words=False) if paragraph else ""


class TerminalChat:
    def __init__(
        self,
        *,
        runtime: Runtime,
        language: Language,
        filer: Filer | None,
        json_mode: bool = False,
        notices: Iterable[str] = (),
        pending: Pending | None = None,
    ) -> None:
        self.runtime = runtime
        self.state: State = runtime.new_state(language)
        self.filer = filer
        self.pending = pending  # filings under way, kept until their outcome
        self.json_mode = json_mode
        self.notices = list(notices)
        self.reference: str | None = None
        self.last_step: str | None = None  # the question last shown, asked again on a refusal

    def turn(self, user_input: UserInput) -> Turn:
        ctx = self.runtime.context()
        self.state, replies, effects = engine.step(self.state, user_input, ctx)
        for effect in effects:
            if isinstance(effect, FileReferral):
                notes = [Reply(text=wording(self.state.language, n)) for n in self.notices]
                filing = self.state
                if self.pending is not None:
                    self.pending.keep(filing)
                outcome = file_effect(effect, filing, ctx, filer=self.filer, fetch=_read_local)
                if self.pending is not None:
                    self.pending.done(filing)
                self.state = outcome.state
                if isinstance(outcome, Filed):
                    self.reference = outcome.reference
                replies = [r for r in replies if r.text] + notes + list(outcome.replies)
        self.last_step = next((r.step for r in reversed(replies) if r.step), self.last_step)
        return Turn(replies)

    def first(self) -> Turn:
        """The start; or, when a killed `ke-intake chat` left a filing under way, that filing
        finished first under its idempotency key (`bot.terminal.pending`)."""
        state = self.pending.orphan() if self.pending is not None else None
        if state is None:
            return self.turn(UserInput(command="start"))
        self.state = state
        said = Reply(text=wording(state.language, "terminal.interrupted"))
        return Turn([said, *self.turn(UserInput()).replies])

    @property
    def finished(self) -> bool:
        return self.state.mode == "done"

    def refused(self) -> Turn:
        """A line the input gate refused: the question stands, nothing was stored."""
        text = wording(self.state.language, "json.refused")
        return Turn([Reply(text="", error=text, step=self.last_step or "")])

    def ended_early(self) -> Turn:
        text = wording(self.state.language, "eof.nothing_sent")
        return Turn([Reply(text=text, step="done")])


def run(
    chat: TerminalChat,
    stdin: TextIO,
    stdout: TextIO,
    *,
    interactive: bool = False,
) -> int:
    width = min(shutil.get_terminal_size((80, 24)).columns, 88) - 2

    def emit(turn: Turn) -> None:
        if chat.json_mode:
            stdout.write(json.dumps(turn.as_json(), ensure_ascii=False) + "\n")
        else:
            stdout.write(render_plain(turn.replies, chat.state.language, width) + "\n")
        stdout.flush()

    def read() -> str:
        if not interactive:
            return stdin.readline()
        try:
            return input("> ") + "\n"  # readline editing and history at a real terminal
        except EOFError:
            stdout.write("\n")  # Ctrl-D leaves the cursor after the prompt
            return ""

    if interactive:
        import readline  # noqa: F401  (imported for its side effect on input())

    emit(chat.first())
    while not chat.finished:
        line = read()
        if line == "":
            emit(chat.ended_early())
            return 0
        parsed = parse_line(line, json_mode=chat.json_mode)
        emit(chat.refused() if isinstance(parsed, Refused) else chat.turn(parsed))
    return 0

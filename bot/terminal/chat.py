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


def parse_line(line: str, *, json_mode: bool) -> UserInput:
    """A line as the person or a script wrote it."""
    raw = line.rstrip("\r\n")
    stripped = raw.strip()
    if json_mode and stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return UserInput(text=raw)
        if isinstance(data, dict):
            return _from_json(data, raw)
    upload = _as_upload(stripped) if stripped.startswith(("/", "./", "~")) else None
    return UserInput(file=upload) if upload else UserInput(text=raw)


def _from_json(data: dict[str, Any], raw: str) -> UserInput:
    if isinstance(data.get("command"), str) and data["command"] in COMMANDS:
        arg = data.get("arg")
        return UserInput(command=data["command"], arg=str(arg) if arg is not None else None)
    if isinstance(data.get("choice"), str | int):
        return UserInput(choice=str(data["choice"]))
    if isinstance(data.get("choices"), list):
        return UserInput(choices=tuple(str(c) for c in data["choices"]))
    if isinstance(data.get("file"), str):
        upload = _as_upload(data["file"])
        return UserInput(file=upload) if upload else UserInput(text="")
    if isinstance(data.get("text"), str):
        return UserInput(text=data["text"])
    return UserInput(text=raw)


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
    ) -> None:
        self.runtime = runtime
        self.state: State = runtime.new_state(language)
        self.filer = filer
        self.json_mode = json_mode
        self.notices = list(notices)
        self.reference: str | None = None

    def turn(self, user_input: UserInput) -> Turn:
        ctx = self.runtime.context()
        self.state, replies, effects = engine.step(self.state, user_input, ctx)
        for effect in effects:
            if isinstance(effect, FileReferral):
                notes = [Reply(text=wording(self.state.language, n)) for n in self.notices]
                outcome = file_effect(effect, self.state, ctx, filer=self.filer, fetch=_read_local)
                self.state = outcome.state
                if isinstance(outcome, Filed):
                    self.reference = outcome.reference
                replies = [r for r in replies if r.text] + notes + list(outcome.replies)
        return Turn(replies)

    @property
    def finished(self) -> bool:
        return self.state.mode == "done"

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

    emit(chat.turn(UserInput(command="start")))
    while not chat.finished:
        line = read()
        if line == "":
            emit(chat.ended_early())
            return 0
        emit(chat.turn(parse_line(line, json_mode=chat.json_mode)))
    return 0

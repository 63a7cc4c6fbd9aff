"""The terminal adapter: runs the dialogue engine over standard input and output.

Two faces: a readable interactive chat (numbered choices, wrapped text) and `--json`, a line
protocol for scripts: every line read gives exactly one JSON line back,
`{"step", "text", "choices", "multi", "optional", "progress", "error", "reference"}`.
A line read is plain text or a JSON object: `{"text": ...}`, `{"choice": id}`,
`{"choices": [ids]}`, `{"command": name, "arg": ...}` or `{"file": path}` (an upload).

End of input before sending files nothing; the chat says so and exits with status 0 (the
person stopping is not an error). Filing goes through `bot.bootstrap.App`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import mimetypes
import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from dialogues import engine
from dialogues.flow import text as flow_text
from dialogues.render import progress_text
from dialogues.state import State
from dialogues.types import (
    Command,
    Context,
    FileReferral,
    FileUpload,
    Reply,
    UserInput,
)
from intake.messages import Language, message
from intake.model import MAX_ATTACHMENT_BYTES
from intake.rules import Policy

log = logging.getLogger(__name__)

NORWAY = ZoneInfo("Europe/Oslo")
COMMANDS: frozenset[str] = frozenset(Command.__args__)  # type: ignore[attr-defined]
# A filer takes the effect and the language and returns the reference, or raises.
Filer = Callable[[FileReferral, Language], str]


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
    try:
        path = Path(path_text).expanduser()
        if not path.is_file():
            return None
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:  # refused by the engine on size; never read it all
            return FileUpload(path.name, "application/octet-stream", size, "0" * 64, str(path))
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    media_type = _sniff(data) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileUpload(
        filename=path.name,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        ref=str(path.resolve()),
    )


_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def _sniff(data: bytes) -> str | None:
    """The type the content says it is: a renamed file is judged by what it holds."""
    return next((media for magic, media in _MAGIC if data.startswith(magic)), None)


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
        language: Language,
        policy_for: Callable[[dt.date], Policy],
        filer: Filer,
        json_mode: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        draft_ttl_hours: int = 72,
        notices: Iterable[str] = (),
    ) -> None:
        self.state: State = engine.new_state(language=language, draft_id=uuid.uuid4().hex)
        self.policy_for = policy_for
        self.filer = filer
        self.json_mode = json_mode
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.ttl = draft_ttl_hours
        self.notices = list(notices)
        self.reference: str | None = None

    def context(self) -> Context:
        now = self.clock()
        today = now.astimezone(NORWAY).date()
        return Context(
            today=today,
            now=now,
            policy=self.policy_for(today),
            channel="terminal",
            draft_ttl_hours=self.ttl,
            can_delete_chat=False,
        )

    def turn(self, user_input: UserInput) -> Turn:
        ctx = self.context()
        self.state, replies, effects = engine.step(self.state, user_input, ctx)
        for effect in effects:
            if isinstance(effect, FileReferral):
                replies = [r for r in replies if r.text] + self._file(effect, ctx)
        return Turn(replies)

    def _file(self, effect: FileReferral, ctx: Context) -> list[Reply]:
        from intake.filing import InvalidReferral

        lang = self.state.language
        notes = [Reply(text=flow_text(lang, n)) for n in self.notices]
        try:
            reference = self.filer(effect, lang)
        except InvalidReferral as exc:
            problems = "; ".join(message(v.key, lang, **v.params) for v in exc.violations)
            self.state, failed = engine.filing_failed(self.state, ctx)
            invalid = Reply(text=flow_text(lang, "filing.invalid", problems=problems))
            return [*notes, invalid, *failed]
        except Exception as exc:  # the person keeps every answer and may try again
            log.error("filing failed: %s", type(exc).__name__)
            self.state, failed = engine.filing_failed(self.state, ctx)
            return notes + failed
        self.reference = reference
        self.state, done = engine.filed(self.state, reference, ctx)
        return notes + done

    @property
    def finished(self) -> bool:
        return self.state.mode == "done"

    def ended_early(self) -> Turn:
        text = flow_text(self.state.language, "eof.nothing_sent")
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

"""The channel-neutral values that pass between the dialogue engine and every adapter.

An adapter turns what the person did into a `UserInput`, calls `engine.step`, shows the
`Reply` values it gets back (text, buttons) and carries out the `Effect` values. It never decides
what to ask or how to word it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from intake.messages import Language
from intake.model import Referral
from intake.rules import Policy

Command = Literal[
    "start",  # begin (or resume) a conversation; arg may preset the submitter role, e.g. "provider"
    "back",
    "help",
    "skip",
    "done",  # finish a multi-select or a repeated group
    "summary",
    "edit",  # arg: a field id shown in the summary
    "language",  # arg: "nb", "nn" or "en" (no arg: ask)
    "cancel",
    "restart",
]

StepKind = Literal[
    "text", "choice", "multi", "yes_no", "date", "national_id", "phone", "email", "file", "info"
]


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class FileUpload:
    """An uploaded file as the adapter saw it. `ref` is the adapter's own handle to the bytes
    (a Telegram file_id, a local path); the engine keeps only this metadata in the state."""

    filename: str
    media_type: str
    size: int
    sha256: str
    ref: str


@dataclass(frozen=True, slots=True)
class UserInput:
    """Exactly one of text, choice, choices, command or file is set."""

    text: str | None = None
    choice: str | None = None
    choices: tuple[str, ...] | None = None
    command: Command | None = None
    arg: str | None = None
    file: FileUpload | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. `step` is the field id being asked (`guardians[0].name` inside a
    repeated group), "summary", "done", "confirm" (yes/no to cancel or restart), "language"
    (pick a language) or "" (information only). For a multi-select, `selected` holds the picks
    so far; an adapter with buttons sends each as `UserInput(choice=id)` and ends with
    `UserInput(command="done")`."""

    text: str
    step: str = ""
    kind: StepKind = "info"
    choices: tuple[Choice, ...] = ()
    multi: bool = False
    selected: tuple[str, ...] = ()
    optional: bool = False
    progress: tuple[int, int] | None = None
    error: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class FileReferral:
    """Carry out: seal and file this validated referral; then call `engine.filed(...)`."""

    referral: Referral
    idempotency_key: str
    attachment_refs: dict[str, str] = field(default_factory=dict)  # sha256 -> adapter's ref


@dataclass(frozen=True, slots=True)
class DiscardDraft:
    """Carry out: delete the stored draft (the person cancelled)."""


@dataclass(frozen=True, slots=True)
class LanguageChanged:
    """The person switched language; an adapter may update its menus."""

    language: Language


Effect = FileReferral | DiscardDraft | LanguageChanged


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the engine may know about the outside world, passed in on every call."""

    today: dt.date
    now: dt.datetime
    policy: Policy
    channel: Literal["terminal", "telegram", "rasa", "web", "file"]
    draft_ttl_hours: int = 72  # how long an unfinished conversation is kept; 0: not at all
    can_delete_chat: bool = False
    # The kommuner whose KE can receive referrals here (a registered key); None: not known,
    # so every kommune is taken and a filing that fails says so then.
    receiving: frozenset[str] | None = None

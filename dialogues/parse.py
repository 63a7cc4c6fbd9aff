"""Forgiving input: commands in any language, yes/no words, numbered choices, file uploads.

Commands are recognised in every language whatever language the conversation is in, as slash
commands (`/back`, `/tilbake`) and as plain words ("tilbake", "hopp over").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any, cast

from dialogues.flow import ChoiceDef, Step, load, texts, wordings
from dialogues.types import Command, FileUpload, UserInput
from intake.attachments import MAX_ATTACHMENT_BYTES, MEDIA_TYPES
from intake.errors import FieldError
from intake.messages import LANGUAGES, Language

YES = frozenset(
    {"ja", "j", "yes", "y", "jo", "jepp", "ok", "okay", "sure", "ja takk", "yes please"}
)
NO = frozenset({"nei", "n", "no", "nope", "nei takk", "no thanks", "nei, takk", "no, thanks"})
FOLLOWS = frozenset(
    {
        "ettersendes",
        "ettersender",
        "ettersend",
        "blir ettersendt",
        "sendes senere",
        "sender senere",
        "sender seinare",
        "blir sendt seinare",
        "will send",
        "will send later",
        "send later",
        "later",
        "by post",
        "per post",
    }
)
# "Everything listed", for the multi-selects that allow it (never the requests question).
ALL = frozenset({"alle", "all", "alle sammen", "alle saman", "all of them", "everything"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LANG_WORDS = {
    "nb": "nb",
    "bokmål": "nb",
    "bokmal": "nb",
    "norsk": "nb",
    "norwegian": "nb",
    "nn": "nn",
    "nynorsk": "nn",
    "en": "en",
    "english": "en",
    "engelsk": "en",
}
_ARG_COMMANDS = frozenset({"edit", "language", "start"})
# Commands whose words are also names people have ("Endre", "Start"): slash form only there.
_NAME_LIKE = frozenset({"edit", "start", "done", "restart"})


def fold(text: str) -> str:
    """Case, width and spacing folded; trailing punctuation dropped."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return folded.rstrip(".!")


@cache
def _command_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for command, synonyms in load().commands.items():
        words[command] = command
        for word in synonyms:
            words[fold(word)] = command
    return words


def as_command(ui: UserInput, *, name_answer: bool = False) -> tuple[Command | None, str | None]:
    """The command a raw input carries, if any, with its argument.

    `name_answer`: the question asks for a name, where "Endre" or "Start" may well be the
    answer; there those commands need their slash form (`/endre`)."""
    if ui.command is not None:
        return ui.command, ui.arg
    if ui.text is None:
        return None, None
    text = fold(ui.text)
    slash = text.startswith("/")
    if slash:
        text = text[1:].strip()
    words = _command_words()
    if name_answer and not slash:
        words = {w: c for w, c in words.items() if c not in _NAME_LIKE}
    if text in words:
        return cast(Command, words[text]), None
    # "endre 3", "språk nn", "/start provider": a command word and one argument.
    head, _, arg = text.rpartition(" ")
    if head in words and words[head] in _ARG_COMMANDS and arg:
        return cast(Command, words[head]), arg
    if slash and text.split(" ")[0] in words:
        first, _, rest = text.partition(" ")
        return cast(Command, words[first]), rest or None
    return None, None


def language_of(arg: str | None) -> str | None:
    if arg is None:
        return None
    return _LANG_WORDS.get(fold(arg).lstrip("/"))


def yes_no(ui: UserInput) -> bool:
    raw = ui.choice if ui.choice is not None else ui.text
    if raw is not None:
        word = fold(raw)
        if word in YES or word in {"1", "yes", "true"}:
            return True
        if word in NO or word in {"2", "no", "false"}:
            return False
        for lang in LANGUAGES:  # "Ja" / "Nei" as shown on a button, in any language
            if word == fold(texts(lang).get("c.yes", "")):
                return True
            if word == fold(texts(lang).get("c.no", "")):
                return False
    raise FieldError("yes_no")


def means_all(ui: UserInput) -> bool:
    raw = ui.choice if ui.choice is not None else ui.text
    return raw is not None and fold(raw) in ALL


def numbers(ui: UserInput) -> bool:
    """Only numbers ("4", "1, 9"): the person knows the format, a number is just not listed."""
    raw = ui.text if ui.text is not None else ui.choice
    return raw is not None and re.fullmatch(r"[\d\s,;]*\d[\d\s,;]*", raw) is not None


def _match_choice(token: str, options: tuple[ChoiceDef, ...], step: Step) -> str | None:
    word = fold(token)
    if word.isdigit() and 1 <= int(word) <= len(options):
        return options[int(word) - 1].id
    for option in options:
        if word == fold(option.id):
            return option.id
        key = step.choice_key(option.id)
        for lang in LANGUAGES:
            # The label as shown, in any language and any role's wording ("Meg selv").
            if word in _shown(lang, key):
                return option.id
    return None


_SHOWN: dict[tuple[str, str], tuple[Mapping[str, str], frozenset[str]]] = {}


def _shown(lang: Language, key: str) -> frozenset[str]:
    """Every wording of a choice label, folded; worked out once per label (and texts table),
    since finding the wordings scans the whole table."""
    table = texts(lang)
    hit = _SHOWN.get((lang, key))
    if hit is not None and hit[0] is table:
        return hit[1]
    found = frozenset(fold(table.get(shown, "")) for shown in wordings(lang, key))
    _SHOWN[(lang, key)] = (table, found)
    return found


def one_choice(ui: UserInput, step: Step, options: tuple[ChoiceDef, ...]) -> str:
    raw = ui.choice if ui.choice is not None else ui.text
    if raw is not None:
        found = _match_choice(raw, options, step)
        if found is not None:
            return found
    raise FieldError("choice_invalid")


def many_choices(ui: UserInput, step: Step, options: tuple[ChoiceDef, ...]) -> list[str]:
    """'1,3,5', '1 3 5', 'bolig, transport' or a list of ids; order kept, duplicates dropped."""
    if ui.choices is not None:
        tokens = list(ui.choices)
    elif ui.text is not None:
        tokens = []
        for part in re.split(r"[,;]|\s+og\s+|\s+and\s+", ui.text):
            whole = _match_choice(part, options, step) if part.strip() else None
            tokens += [part] if whole or not part.strip() else part.split()
    elif ui.choice is not None:
        tokens = [ui.choice]
    else:
        raise FieldError("choice_invalid")
    picked: list[str] = []
    for token in tokens:
        if not token.strip():
            continue
        found = _match_choice(token, options, step)
        if found is None:
            raise FieldError("choice_invalid")
        if found not in picked:
            picked.append(found)
    if not picked:
        raise FieldError("choice_invalid")
    return picked


def upload(file: FileUpload) -> dict[str, Any]:
    """The metadata of an acceptable upload, or the reason it is refused."""
    if file.size > MAX_ATTACHMENT_BYTES:
        raise FieldError("attachment_too_large")
    if file.media_type not in MEDIA_TYPES:
        raise FieldError("attachment_type")
    if file.size <= 0:
        raise FieldError("format_invalid")
    if not _SHA256.match(file.sha256):
        raise FieldError("format_invalid")
    name = "".join(c for c in file.filename if c.isprintable()).strip()[:200] or "document"
    return {
        "filename": name,
        "media_type": file.media_type,
        "size": file.size,
        "sha256": file.sha256,
        "ref": file.ref,
    }


def follows(ui: UserInput) -> bool:
    return ui.text is not None and fold(ui.text) in FOLLOWS

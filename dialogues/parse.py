"""Forgiving input: commands in any language, yes/no words, numbered choices, file uploads.

Commands are recognised in every language whatever language the conversation is in, as slash
commands (`/back`, `/tilbake`) and as plain words ("tilbake", "hopp over").
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, cast

from dialogues.flow import ChoiceDef, Step, load, texts, wordings
from dialogues.types import Command, FileUpload, UserInput
from dialogues.words import fold as fold
from dialogues.words import is_decline, is_no, is_yes, words
from intake.attachments import MAX_ATTACHMENT_BYTES, MEDIA_TYPES
from intake.errors import FieldError
from intake.messages import LANGUAGES, Language

# The word lists are data (`data/words.json`), shared by every channel through the engine.
YES = words().yes
NO = words().no
FOLLOWS = words().follows
# "Everything listed", for the multi-selects that allow it (never the requests question).
ALL = words().all
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NUMBERS = re.compile(r"[\d\s,;]*\d[\d\s,;]*")  # "4", "1, 9"
_LIST_SEPARATORS = re.compile(r"[,;]|\s+og\s+|\s+and\s+|\s+&\s+")  # between picks typed
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


@cache
def _command_words(name_answer: bool = False) -> dict[str, str]:
    """Folded command word -> command; at a name question (`name_answer`), without the
    commands whose words are also names (their slash form still counts there)."""
    words: dict[str, str] = {}
    for command, synonyms in load().commands.items():
        words[command] = command
        for word in synonyms:
            words[fold(word)] = command
    if name_answer:
        return {w: c for w, c in words.items() if c not in _NAME_LIKE}
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
    words = _command_words(name_answer and not slash)
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


def _raw(ui: UserInput) -> str | None:
    return ui.choice if ui.choice is not None else ui.text


def yes_no(ui: UserInput) -> bool:
    raw = _raw(ui)
    if raw is not None:
        word = fold(raw)
        if is_yes(raw) or word in {"1", "true"}:
            return True
        if is_no(raw) or word in {"2", "false"}:
            return False
        for lang in LANGUAGES:  # "Ja" / "Nei" as shown on a button, in any language
            if word == fold(texts(lang).get("c.yes", "")):
                return True
            if word == fold(texts(lang).get("c.no", "")):
                return False
    raise FieldError("yes_no")


def declines(ui: UserInput) -> bool:
    """A plain no, none or don't know typed as an answer ("nei takk", "ingen", "n/a")."""
    return ui.text is not None and is_decline(ui.text)


def means_all(ui: UserInput) -> bool:
    raw = _raw(ui)
    return raw is not None and fold(raw) in ALL


def numbers(ui: UserInput) -> bool:
    """Only numbers ("4", "1, 9"): the person knows the format, a number is just not listed."""
    raw = ui.text if ui.text is not None else ui.choice
    return raw is not None and _NUMBERS.fullmatch(raw) is not None


class ChoiceNearMiss(FieldError):
    """Typed close to one choice ("pårørnde"): used only once the person confirms it."""

    def __init__(self, choice: str) -> None:
        super().__init__("choice_near")
        self.choice = choice


# Words that say nothing about which choice is meant ("det gjelder meg": "det").
_STOP = frozenset(
    {"og", "eller", "til", "et", "en", "ei", "av", "for", "det", "it", "is", "a", "an", "the"}
    | {"or", "and", "of", "to", "about", "om", "i", "på", "med", "with", "er", "du"}
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


@cache
def _synonyms() -> dict[str, dict[str, frozenset[str]]]:
    raw = resources.files("dialogues").joinpath("data/synonyms.json").read_text("utf-8")
    data = json.loads(raw)
    return {
        step: {choice: frozenset(fold(w) for w in ws) for choice, ws in table.items()}
        for step, table in data.items()
        if isinstance(table, dict)
    }


def synonyms(step_id: str, choice_id: str) -> frozenset[str]:
    return _synonyms().get(step_id, {}).get(choice_id, frozenset())


_LABEL_WORDS: dict[str, tuple[tuple[Mapping[str, str], ...], frozenset[str]]] = {}


def _tables() -> tuple[Mapping[str, str], ...]:
    """The texts table of every language, as the spellings worked out once were read from (a
    kept spelling is used while the tables are these: `==` on the tuples finds each table to
    be the same object first)."""
    return tuple(map(texts, LANGUAGES))


def _label_words(step: Step, option: ChoiceDef) -> frozenset[str]:
    """The words of a choice's labels in every language and wording, stop words left out;
    worked out once per choice label (and texts tables)."""
    key = step.choice_key(option.id)
    tables = _tables()
    hit = _LABEL_WORDS.get(key)
    if hit is not None and hit[0] == tables:
        return hit[1]
    found: set[str] = set()
    for lang in LANGUAGES:
        for shown in _shown(lang, key):
            found |= {w for w in _WORD.findall(shown) if w not in _STOP}
    _LABEL_WORDS[key] = (tables, frozenset(found))
    return _LABEL_WORDS[key][1]


def _by_words(word: str, options: tuple[ChoiceDef, ...], step: Step) -> str | None:
    """The one choice whose label holds every word typed ("meg selv", "pårørende")."""
    typed = {w for w in _WORD.findall(word) if w not in _STOP}
    if not typed:
        return None
    hits = [o.id for o in options if typed <= _label_words(step, o)]
    return hits[0] if len(hits) == 1 else None


def number_in(word: str, count: int) -> int | None:
    """`word` as a number from 1 to `count` (a choice's or a summary line's), else None. Only
    decimal digits, and no more of them than `count` has: int() refuses 4,300 digits and some
    characters str.isdigit() counts (superscripts), and a typed answer must never raise."""
    if not word.isdecimal() or len(word) > len(str(count)):
        return None
    value = int(word)
    return value if 1 <= value <= count else None


def _match_choice(token: str, options: tuple[ChoiceDef, ...], step: Step) -> str | None:
    word = fold(token).strip(" ,;")
    if not word:
        return None
    number = number_in(word, len(options))
    if number is not None:
        return options[number - 1].id
    named = _named(options, step).get(word)
    if named is not None:
        return named
    bare = " ".join(w for w in word.split() if w not in _STOP)  # "a nurse", "the parents"
    hits = [o.id for o in options if {word, bare} & synonyms(step.id, o.id)]
    if len(hits) == 1:
        return hits[0]
    return _by_words(word, options, step)


_NAMED: dict[
    tuple[str, str, tuple[str, ...]], tuple[tuple[Mapping[str, str], ...], dict[str, str]]
] = {}


def _named(options: tuple[ChoiceDef, ...], step: Step) -> dict[str, str]:
    """Folded spelling -> the first of `options` it names: its id, or its label as shown in
    any language and any role's wording ("Meg selv"). Worked out once per step and set of
    options (and texts tables)."""
    tables = _tables()
    key = (step.id, step.kind, tuple(o.id for o in options))
    hit = _NAMED.get(key)
    if hit is not None and hit[0] == tables:
        return hit[1]
    found: dict[str, str] = {}
    for option in options:
        found.setdefault(fold(option.id), option.id)
        label = step.choice_key(option.id)
        for lang in LANGUAGES:
            for shown in _shown(lang, label):
                found.setdefault(shown, option.id)
    _NAMED[key] = (tables, found)
    return found


def near_choice(token: str, options: tuple[ChoiceDef, ...], step: Step) -> str | None:
    """The one choice a typing slip is close to ("pårørnde", "fulmektig"), if any."""
    word = fold(token)
    if len(word) < 4 or word.isdigit():
        return None
    owner: dict[str, set[str]] = {}
    for option in options:
        key = step.choice_key(option.id)
        spellings = set(synonyms(step.id, option.id))
        spellings |= {w for w in _label_words(step, option) if len(w) >= 4}
        for lang in LANGUAGES:
            spellings |= _shown(lang, key)
        for spelling in spellings:
            owner.setdefault(spelling, set()).add(option.id)
    close = difflib.get_close_matches(word, list(owner), n=3, cutoff=0.8)
    meant = {choice for spelling in close for choice in owner[spelling]}
    return next(iter(meant)) if len(meant) == 1 else None


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
    raw = _raw(ui)
    if raw is not None:
        found = _match_choice(raw, options, step)
        if found is not None:
            return found
        if ui.text is not None:
            near = near_choice(raw, options, step)
            if near is not None:
                raise ChoiceNearMiss(near)
    raise FieldError("choice_invalid")


def many_choices(ui: UserInput, step: Step, options: tuple[ChoiceDef, ...]) -> list[str]:
    """'1,3,5', '1 3 5', 'bolig, transport' or a list of ids; order kept, duplicates dropped."""
    if ui.choices is not None:
        tokens = list(ui.choices)
    elif ui.text is not None:
        tokens = []
        for part in _LIST_SEPARATORS.split(ui.text):
            whole = _match_choice(part, options, step) if part.strip() else None
            tokens += [part] if whole or not part.strip() else part.split()
    elif ui.choice is not None:
        tokens = [ui.choice]
    else:
        raise FieldError("choice_invalid")
    picked: list[str] = []
    for token in tokens:
        if not token.strip() or fold(token) in _STOP:
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

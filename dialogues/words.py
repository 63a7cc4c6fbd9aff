"""The words the dialogue understands whatever language it is in: yes, no, "will send later",
"all", and the many ways of declining (`data/words.json`, one list per language).

A decline is a head ("nei", "har ikke", "none", "-") followed by nothing but fillers ("takk",
"foreløpig", "at the moment") and nouns ("fastlege", "services"): "nei takk", "har ikke
fastlege", "none at the moment". Any other word after the head makes it a real answer, so
"ingen smerter" (a goal) or "nei til sykehjem" is never taken for a decline.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PUNCTUATION = re.compile(r"[.,!?;:()\"«»“”]+")


def fold(text: str) -> str:
    """Case, width and spacing folded; trailing full stops and exclamation marks dropped."""
    if text.isascii():  # (NFKC leaves ASCII as it is, and casefold is lower there)
        return " ".join(text.lower().split()).rstrip(".!")
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return folded.rstrip(".!").replace("’", "'")


def _bare(text: str) -> str:
    """`fold`, with punctuation inside the text as spaces ("nei, takk." -> "nei takk")."""
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


@dataclass(frozen=True, slots=True)
class Words:
    yes: frozenset[str]
    no: frozenset[str]
    follows: frozenset[str]
    all: frozenset[str]
    heads: dict[str, tuple[tuple[str, ...], ...]]  # word tuples by first word, longest first
    tails: dict[str, tuple[tuple[str, ...], ...]]  # fillers and nouns, the same way


def _merged(table: dict[str, list[str]]) -> frozenset[str]:
    return frozenset(fold(w) for words in table.values() for w in words)


def _phrases(*tables: dict[str, list[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    found = {tuple(_bare(w).split()) or (fold(w),) for t in tables for ws in t.values() for w in ws}
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(found, key=lambda p: (-len(p), p)):
        by_first.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(phrases) for first, phrases in by_first.items()}


@cache
def words() -> Words:
    raw = resources.files("dialogues").joinpath("data/words.json").read_text("utf-8")
    data = json.loads(raw)
    decline = data["decline"]
    return Words(
        yes=_merged(data["yes"]),
        no=_merged(data["no"]),
        follows=_merged(data["follows"]),
        all=_merged(data["all"]),
        heads=_phrases(decline["heads"]),
        tails=_phrases(decline["fillers"], decline["nouns"]),
    )


def _starts(tokens: list[str], at: int, phrases: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    """The length of the longest phrase starting at `at`, or 0 (only phrases whose first word
    is the word at `at` are tried)."""
    if at >= len(tokens):
        return 0
    for phrase in phrases.get(tokens[at], ()):
        if tuple(tokens[at : at + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def is_decline(text: str | None) -> bool:
    """Whether `text` says no, none or don't know, in any language ("nei takk", "n/a")."""
    if text is None:
        return False
    folded = fold(text)
    if folded in {"-", "–", "—", "--", "n/a", "n.a", "n.a."}:
        return True
    tokens = _bare(text).split()
    if not tokens or len(tokens) > 8:
        return False
    table = words()
    at = _starts(tokens, 0, table.heads)
    if at == 0:
        return False
    while at < len(tokens):
        step = _starts(tokens, at, table.tails) or _starts(tokens, at, table.heads)
        if step == 0:
            return False
        at += step
    return True


def is_yes(text: str) -> bool:
    return fold(text) in words().yes or _bare(text) in words().yes


def is_no(text: str) -> bool:
    return fold(text) in words().no or _bare(text) in words().no

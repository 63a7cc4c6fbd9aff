"""The official municipality list (SSB Klass 131, valid from 2024-01-01), and lookup by name."""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from intake.errors import AmbiguousKommune, FieldError, KommuneNearMiss
from intake.identifiers import ascii_digits
from intake.text import clean_text

# Municipalities in the administrative area for Sami language (REFERRAL.md).
SAMI_AREA = frozenset(
    {
        *("5540", "5518", "5612", "5610", "5628", "5636", "5622"),
        *("5512", "1875", "1826", "5041", "5043", "5025"),
    }
)

# Sami letters without a Unicode decomposition, typed without their stroke or hook.
_SAMI_PLAIN = str.maketrans({"đ": "d", "ŋ": "n", "ŧ": "t", "ʒ": "z", "ǥ": "g", "ǩ": "k"})
# For a keyboard without æ, ø and å: tried only when the exact spelling finds nothing.
_NORWEGIAN_PLAIN = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
# "Bergen kommune", "Kárášjoga gielda", "Kautokeino municipality".
_SUFFIX = re.compile(r"\s+(kommune|kommunen|kommun|municipality|gielda|suohkan)$")


@cache
def kommuner() -> dict[str, str]:
    """Municipality number -> official name, e.g. '5540' -> 'Gáivuotna - Kåfjord - Kaivuono'."""
    text = resources.files("intake").joinpath("data/kommuner-2024.csv").read_text("utf-8")
    return {row["number"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


def _fold(name: str) -> str:
    """Case- and accent-insensitive form: 'Kárášjohka' and 'karasjohka' compare equal.

    Norwegian letters æ, ø and å are kept: Bø and Bo, Ås and As are different names.
    Hyphens and brackets count as spaces, so 'Herøy (Nordland)' is 'herøy nordland'.
    """
    decomposed = unicodedata.normalize("NFD", name.casefold().translate(_SAMI_PLAIN))
    kept = [c for c in decomposed if unicodedata.category(c) != "Mn" or c == "\u030a"]
    text = unicodedata.normalize("NFC", "".join(kept))
    for mark in "-()":
        text = text.replace(mark, " ")
    return " ".join(text.split())


def _loose(folded: str) -> str:
    return folded.translate(_NORWEGIAN_PLAIN)


def _name_parts(official: str) -> set[str]:
    """Every name a person might type: the whole official name, each of the double names,
    and the name without its county qualifier ('Herøy (Nordland)' -> 'Herøy')."""
    base = official.split(" (")[0]
    return {_fold(p) for p in {official, base, *base.split(" - ")}}


@cache
def _index(loose: bool) -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for number, name in kommuner().items():
        for part in _name_parts(name):
            index.setdefault(_loose(part) if loose else part, set()).add(number)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def _lookup(folded: str) -> tuple[str, ...]:
    return _index(False).get(folded) or _index(True).get(_loose(folded), ())


def validate_kommune(raw: str) -> str:
    """Accept '4601', '301' (Oslo without its leading zero) or a name in any case, with or
    without the Sami/Norwegian double name or the word 'kommune'; return the number."""
    try:  # the text rule every field shares: no control, bidi, invisible or escape characters
        cleaned = clean_text(raw, max_length=200)
    except FieldError:
        raise FieldError("kommune_unknown") from None
    text = ascii_digits(unicodedata.normalize("NFKC", cleaned)).strip()
    if not text:
        raise FieldError("kommune_unknown")
    table = kommuner()
    if text.isascii() and text.isdigit():
        number = text.zfill(4)
        if number in table:
            return number
        raise FieldError("kommune_unknown")
    folded = _fold(text)
    matches = _lookup(folded) or _lookup(_SUFFIX.sub("", folded))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AmbiguousKommune([(n, table[n]) for n in matches])
    near = suggestions(text)
    if near:
        # A typing slip ("Bergn"): offered for the person to confirm, never taken silently.
        raise KommuneNearMiss([(n, table[n]) for n in near])
    raise FieldError("kommune_unknown")


# How alike a typed name and a municipality's name must be to offer it (difflib's ratio):
# "Bergn" and "Bergen" are 0.91, "Trondhiem" and "Trondheim" 0.89, "Oslo" and "Olso" 0.75.
# As a fraction too, so `_candidates`' bounds are exact in whole numbers: 2 * a / b >= 3 / 4
# is 8 * a >= 3 * b (a float ratio at the bound is exactly 0.75; one below it is at least
# 1 / (4 * b) below, far beyond the float's rounding).
_NEAR_FRACTION = (3, 4)
_NEAR = _NEAR_FRACTION[0] / _NEAR_FRACTION[1]


@dataclass(frozen=True, slots=True)
class _Names:
    """Every loose name with its letters as one number, by the name's length, worked out
    once: each letter has `width` bits, as many of them set as the name has that letter, so
    the count of letters two names share is the number of bits their numbers share."""

    by_length: dict[int, tuple[tuple[str, int], ...]]  # length -> ((name, letters), ...)
    shift: dict[str, int]  # where each letter's bits start
    width: int


def _counts(word: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for letter in word:
        counts[letter] = counts.get(letter, 0) + 1
    return counts


@cache
def _names() -> _Names:
    counted = [(name, _counts(name)) for name in _index(True)]
    width = max(n for _, counts in counted for n in counts.values())
    letters = sorted({letter for _, counts in counted for letter in counts})
    shift = {letter: i * width for i, letter in enumerate(letters)}

    def bits(counts: dict[str, int]) -> int:
        return sum(((1 << n) - 1) << shift[letter] for letter, n in counts.items())

    by_length: dict[int, list[tuple[str, int]]] = {}
    for name, counts in counted:
        by_length.setdefault(len(name), []).append((name, bits(counts)))
    return _Names({n: tuple(names) for n, names in sorted(by_length.items())}, shift, width)


def _candidates(word: str) -> list[str]:
    """The names difflib could find close enough to `word`: those within its own two upper
    bounds (`real_quick_ratio`: the lengths; `quick_ratio`: the letters in common), here
    from numbers made once instead of letter counts per name and call. A name beyond either
    bound is never in `get_close_matches`' answer, so the suggestions are the same (their
    order among themselves does not matter: difflib ranks them by score, then name)."""
    table = _names()
    size = len(word)
    wanted = 0
    for letter, n in _counts(word).items():
        if letter in table.shift:  # a letter no name has is in common with none
            wanted |= ((1 << min(n, table.width)) - 1) << table.shift[letter]
    top, bottom = _NEAR_FRACTION
    out: list[str] = []
    for length, names in table.by_length.items():
        total = size + length
        if 2 * bottom * min(size, length) < top * total:  # the lengths alone too far apart
            continue
        # The letters in common that ratio needs: 2 * common / total >= top / bottom.
        need = -(-top * total // (2 * bottom))
        out += [name for name, letters in names if (letters & wanted).bit_count() >= need]
    return out


def suggestions(raw: str, limit: int = 3) -> tuple[str, ...]:
    """Municipality numbers whose name is close to a misspelt one, closest first."""
    folded = _loose(_SUFFIX.sub("", _fold(unicodedata.normalize("NFKC", raw))))
    if len(folded) < 3:
        return ()
    index = _index(True)
    close = difflib.get_close_matches(folded, _candidates(folded), n=limit, cutoff=_NEAR)
    found: list[str] = []
    for name in close:
        for number in index[name]:
            if number not in found:
                found.append(number)
    return tuple(found[:limit])


def kommune_name(number: str) -> str:
    return kommuner()[number]


def in_sami_area(number: str) -> bool:
    return number in SAMI_AREA

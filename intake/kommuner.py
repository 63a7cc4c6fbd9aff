"""The official municipality list (SSB Klass 131, valid from 2024-01-01), and lookup by name."""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from functools import cache
from importlib import resources

from intake.errors import AmbiguousKommune, FieldError, KommuneNearMiss
from intake.identifiers import ascii_digits

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
    text = ascii_digits(unicodedata.normalize("NFKC", raw)).strip()
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
_NEAR = 0.75


def suggestions(raw: str, limit: int = 3) -> tuple[str, ...]:
    """Municipality numbers whose name is close to a misspelt one, closest first."""
    folded = _loose(_SUFFIX.sub("", _fold(unicodedata.normalize("NFKC", raw))))
    if len(folded) < 3:
        return ()
    index = _index(True)
    close = difflib.get_close_matches(folded, list(index), n=limit, cutoff=_NEAR)
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

"""The official municipality list (SSB Klass 131, valid from 2024-01-01), and lookup by name."""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import cache
from importlib import resources

from intake.errors import AmbiguousKommune, FieldError

# Municipalities in the administrative area for Sami language (REFERRAL.md).
SAMI_AREA = frozenset(
    {"5540", "5518", "5612", "5610", "5628", "5636", "5622", "5512", "1875", "1826", "5041", "5043", "5025"}
)


@cache
def kommuner() -> dict[str, str]:
    """Municipality number -> official name, e.g. '5540' -> 'Gáivuotna - Kåfjord - Kaivuono'."""
    text = resources.files("intake").joinpath("data/kommuner-2024.csv").read_text("utf-8")
    return {row["number"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


def _fold(name: str) -> str:
    """Case- and accent-insensitive form: 'Kárášjohka' and 'karasjohka' compare equal.

    Norwegian letters æ, ø and å are kept: Bø and Bo, Ås and As are different places.
    """
    decomposed = unicodedata.normalize("NFD", name.casefold())
    kept = [c for c in decomposed if unicodedata.category(c) != "Mn" or c == "\u030a"]
    return unicodedata.normalize("NFC", "".join(kept)).replace("-", " ").strip()


def _name_parts(official: str) -> set[str]:
    """Every name a person might type: the whole official name, each of the double names,
    and the name without its county qualifier ('Herøy (Nordland)' -> 'Herøy')."""
    base = official.split(" (")[0]
    parts = {official, base, *base.split(" - ")}
    return {" ".join(_fold(p).split()) for p in parts}


@cache
def _index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for number, name in kommuner().items():
        for part in _name_parts(name):
            index.setdefault(part, []).append(number)
    return {k: tuple(sorted(set(v))) for k, v in index.items()}


def validate_kommune(raw: str) -> str:
    """Accept '4601', '301' (Oslo without its leading zero) or a name in any case; return the number."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise FieldError("kommune_unknown")
    table = kommuner()
    if text.isascii() and text.isdigit():
        number = text.zfill(4)
        if number in table:
            return number
        raise FieldError("kommune_unknown")
    matches = _index().get(" ".join(_fold(text).split()), ())
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AmbiguousKommune([(n, table[n]) for n in matches])
    raise FieldError("kommune_unknown")


def kommune_name(number: str) -> str:
    return kommuner()[number]


def in_sami_area(number: str) -> bool:
    return number in SAMI_AREA

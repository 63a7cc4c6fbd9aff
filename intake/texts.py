"""Every sentence a citizen or KE staff member reads: one `Language` type and one kind of text
catalogue, read from JSON files per language.

A catalogue is a folder of `nb.json`, `nn.json` and `en.json` inside a package. A file is an
object of texts by key; nested objects are read as dotted keys (`{"document": {"yes": "Ja"}}`
is `document.yes`), so a file may group its texts. Templates use `str.format` fields.

One behaviour for a missing key, in every catalogue: the text is taken from bokmål (the key
itself when bokmål lacks it as well), and the miss is logged on the `intake.texts` logger with
the catalogue, the key and the language, never with the values that would have filled it in.
The test suite fails any test during which a miss is logged (tests/conftest.py), and a test per
catalogue checks that the three languages have the same keys and placeholders.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "nn", "en")
DEFAULT_LANGUAGE: Language = "nb"

log = logging.getLogger(__name__)


def language_or_default(value: object, default: Language = DEFAULT_LANGUAGE) -> Language:
    """`value` when it names one of our languages, else `default`."""
    return next((code for code in LANGUAGES if code == value), default)


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, str]) -> dict[str, str]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            _flatten(value, f"{prefix}{key}.", out)
        elif isinstance(value, str):
            out[f"{prefix}{key}"] = value
        else:
            raise ValueError(f"text {prefix}{key} is not a string")
    return out


class Catalogue:
    """The texts of one package folder (`Catalogue("bot.staff", "texts")` reads
    `bot/staff/texts/<language>.json`)."""

    def __init__(self, package: str, folder: str) -> None:
        self.package = package
        self.folder = folder
        self.name = f"{package}/{folder}"
        self._tables: dict[str, Mapping[str, str]] = {}  # (the tables `_load` keeps, at hand)

    def __repr__(self) -> str:
        return f"Catalogue({self.package!r}, {self.folder!r})"

    def table(self, language: Language) -> Mapping[str, str]:
        """Every text of `language` by key (read once, then kept)."""
        table = self._tables.get(language)
        if table is None:
            table = self._tables[language] = _load(self.package, self.folder, language)
        return table

    def has(self, key: str, language: Language = DEFAULT_LANGUAGE) -> bool:
        return key in self.table(language)

    def template(self, language: Language, key: str) -> str:
        """The unformatted text for `key` in `language` (a miss: logged, then bokmål)."""
        template = self.table(language).get(key)
        if template is not None:
            return template
        log.warning("text %s missing in %s (%s)", key, self.name, language)
        fallback = self.table(DEFAULT_LANGUAGE).get(key) if language != DEFAULT_LANGUAGE else None
        return fallback if fallback is not None else key

    def text(self, language: Language, key: str, /, **params: Any) -> str:
        """The text for `key` in `language`, its fields filled in from `params`."""
        table = self._tables.get(language)
        template = (table if table is not None else self.table(language)).get(key)
        if template is None:
            template = self.template(language, key)
        if not params or ("{" not in template and "}" not in template):
            return template  # (what `format` would give: most texts have no fields)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A field the caller did not give: the template as it is, and a note without values.
            log.warning("text %s in %s (%s) lacks a parameter", key, self.name, language)
            return template


@cache
def _load(package: str, folder: str, language: Language) -> Mapping[str, str]:
    raw = resources.files(package).joinpath(f"{folder}/{language}.json").read_text("utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{package}/{folder}/{language}.json is not an object of texts")
    return _flatten(data, "", {})

"""The web chat's pages from the Jinja2 templates, with what is the same for every person kept.

A turn's page is mostly the same for everyone at that question in that language: the answer
form, its buttons, the language choice, the side section. What differs per person is few values
(the CSRF token, the resume code and its expiry, the id of the transcript entry that asks, the
script nonce, the question's error message) and the transcript entries. So a page is rendered
once per distinct rest, with a marker in each of those `SLOTS`, and kept; later requests fill the
markers in (escaped as Jinja2 would) and render only their transcript entries (`entries_html`: a
few string joins, where Jinja2's per-call context cost several times as much). Nothing a person
wrote is kept: the transcript is never part of the key or the kept page; a question's error
message (which may quote the answer) is a slot, its page kept with a marker in its place; an
answer shown back and a notice are rendered whole every time; the question is kept without its
text (the templates show it through the transcript); and only the values named in `KEYED` may be
part of a kept page.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bot.web.session import Entry
from dialogues.types import Reply

# Values filled in after rendering: each is only printed by the templates (or formatted into a
# text and printed), never tested beyond being empty or not. "error" is the question's
# (`ask.error`), which the templates print and test as such.
SLOTS = ("csrf", "code", "until", "question", "nonce", "entries", "closes", "error")
# Values a kept page may depend on (they are part of its key): none is what a person wrote.
# A value by any other name, or one of `EMPTY_ONLY` that is not empty (an answer shown back,
# a notice), renders the page whole: a new template value is never kept by mistake.
KEYED = (
    "ask",
    "presets",
    "first",
    "done",
    "identity",
    "role",
    "query",
    "message",
    "snippet",
    "framed",
)
EMPTY_ONLY = ("notice", "held")
_MARK = re.compile("\x00([0-9])\x00")
KEEP = 2048  # pages kept; the store starts over when it is full
_PLAIN = (str, int, float, bool, type(None))
# What of the question a kept page depends on: all but its words, its error (a slot) and a
# filing's reference.
_REPLY_KEYED = tuple(
    f.name for f in dataclasses.fields(Reply) if f.name not in ("text", "error", "reference")
)
_REPLY_GET = operator.attrgetter(*_REPLY_KEYED)
_CHOICES = _REPLY_KEYED.index("choices")
_SLOTS, _EMPTY_ONLY, _KEYED = frozenset(SLOTS), frozenset(EMPTY_ONLY), frozenset(KEYED)


class Pages:
    def __init__(self, folder: Path, constants: Mapping[str, Any]) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(("html",)),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.constants = dict(constants)  # the same in every page (limits, languages, helpers)
        self._kept: dict[tuple[Any, ...], list[str | int]] = {}
        self._who: dict[str, dict[str, str]] = {}
        self.hits = 0

    def render(
        self,
        template: str,
        lang: str,
        context: Mapping[str, Any],
        t: Callable[..., str],
        d: Callable[..., str],
    ) -> str:
        values = dict(context)
        log = values.pop("log", None)
        if log is not None:
            values["entries"] = entries_html(log, t, self._labels(lang))
        ask = values.get("ask")
        if ask.__class__ is Reply and ask.error:
            values["error"] = ask.error
        key = _key(template, lang, values)
        if key is None:
            return self._render(template, lang, values, t, d)
        # an empty slot is rendered as it is (and is part of the key)
        filled = [_escaped(value) if (value := values.get(name)) else "" for name in SLOTS]
        parts = self._kept.get(key)
        if parts is None:
            parts = self._keep(key, template, lang, values, t, d)
        else:
            self.hits += 1
        return "".join([filled[part] if isinstance(part, int) else part for part in parts])

    def _labels(self, lang: str) -> dict[str, str]:
        """Who speaks, escaped, by `Entry.who`: the same for every page in `lang`."""
        labels = self._who.get(lang)
        if labels is None:
            labels = self._who[lang] = {}
        return labels

    def _keep(
        self,
        key: tuple[Any, ...],
        template: str,
        lang: str,
        values: dict[str, Any],
        t: Callable[..., str],
        d: Callable[..., str],
    ) -> list[str | int]:
        """Render the page with a marker in each filled slot and keep it, split at the markers
        (the text between them, and each marker's slot number)."""
        for index, name in enumerate(SLOTS):
            if values.get(name):
                values[name] = Markup(f"\x00{index}\x00")  # noqa: S704 (a constant marker)
        error = values.get("error")  # the marker of a question's error
        for name, value in values.items():
            if isinstance(value, Reply):  # the question's words are never kept, nor its error
                error = error if value.error else None
                values[name] = dataclasses.replace(value, text="", error=error, reference=None)
        pieces = _MARK.split(self._render(template, lang, values, t, d))
        parts: list[str | int] = [int(p) if n % 2 else p for n, p in enumerate(pieces)]
        if len(self._kept) >= KEEP:
            self._kept.clear()
        self._kept[key] = parts
        return parts

    def _render(
        self,
        template: str,
        lang: str,
        values: dict[str, Any],
        t: Callable[..., str],
        d: Callable[..., str],
    ) -> str:
        return self.env.get_template(template).render(
            lang=lang, t=t, d=d, **self.constants, **values
        )


def entries_html(
    log: Iterable[Entry], t: Callable[..., str], labels: dict[str, str] | None = None
) -> Markup:
    """The transcript entries: each message a `div` (its id the anchor the answer field is
    described by, its language), who speaks for screen readers, a paragraph per non-blank line;
    every text escaped as Jinja2's autoescape would. `labels`: who speaks, escaped, by `who`
    (filled in here from `t` as needed; `Pages` keeps one per language)."""
    if labels is None:
        labels = {}
    out: list[str] = []
    for e in log:
        who = e.who
        label = labels.get(who)
        if label is None:
            label = labels[who] = _escaped(t(f"who.{who}"))
        lines = _escaped(e.text).split("\n")
        paragraphs = "".join(["<p>" + line + "</p>" for line in lines if line.strip()])
        number = int(e.id)
        out.append(
            f'  <div class="msg msg-{_escaped(who)}{" msg-error" if e.error else ""}" '
            f'id="m{number}" data-id="{number}" lang="{_escaped(e.lang)}">\n'
            f'    <span class="ds-sr-only">{label}</span>\n{paragraphs}  </div>\n'
        )
    return Markup("".join(out))  # noqa: S704 (every value escaped above)


def _escaped(value: Any) -> str:
    """`markupsafe.escape(value)` as a plain string; a plain string without the `Markup` it
    would make twice (once for the value, once for `str` of it)."""
    if value.__class__ is str:
        return (
            value.replace("&", "&amp;")
            .replace(">", "&gt;")
            .replace("<", "&lt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )
    return str(escape(value))


def _key(template: str, lang: str, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """What the kept page depends on besides the slots, or None: render it whole. In the
    order of `values` (each caller's is the same every time; the names are part of the key)."""
    parts: list[Any] = [template, lang]
    for name, value in values.items():
        if name in _SLOTS:
            parts.append((name, bool(value)))
        elif name in _EMPTY_ONLY:
            if value:
                return None
            parts.append((name, False))
        elif name not in _KEYED:
            return None
        elif value.__class__ is Reply:
            got = _REPLY_GET(value)
            # the choices as plain pairs: a tuple of them hashes and compares in C
            choices = tuple([(c.id, c.label) for c in value.choices])
            parts.append((name, got[:_CHOICES], choices, got[_CHOICES + 1 :]))
        elif value.__class__ is dict:
            if not all(isinstance(v, _PLAIN) for v in value.values()):
                return None
            parts.append((name, tuple(sorted(value.items())) if value else ()))
        elif isinstance(value, _PLAIN):
            parts.append((name, value))
        else:
            return None
    return tuple(parts)

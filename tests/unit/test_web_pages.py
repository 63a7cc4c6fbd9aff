"""Kept pages: a page filled in from what was kept is the page Jinja2 renders with the real
values, and nothing a person wrote (transcript, an error quoting the answer) is kept."""

from __future__ import annotations

from typing import Any

from bot.web.app import HERE
from bot.web.pages import Pages, entries_html
from bot.web.session import Entry
from bot.web.view import LANGUAGES, field_for
from bot.web.wording import dialogue_text, web_text
from dialogues.types import Choice, Reply

SECRET = "Kari <Nordmann> & co"
CONSTANTS = {
    "idle_seconds": 1800,
    "idle_minutes": "30",
    "languages": [(code, dialogue_text(code, "language.name")) for code in LANGUAGES],
    "field": field_for,
    "login": True,
}


def texts(lang: Any) -> tuple[Any, Any]:
    return (
        lambda key, **p: web_text(lang, key, **p),
        lambda key, **p: dialogue_text(lang, key, **p),
    )


def direct(template: str, lang: str, context: dict[str, Any]) -> str:
    """What Jinja2 renders from these values, nothing kept."""
    pages = Pages(HERE / "templates", CONSTANTS)
    t, d = texts(lang)
    values = dict(context)
    values["entries"] = entries_html(values.pop("log", []), t)
    return pages._render(template, lang, values, t, d)


def turn(n: int, *, ask: Reply | None, first: bool = False, done: bool = False) -> dict[str, Any]:
    return {
        "log": [Entry(n, "me", f"{SECRET} {n}", "nb"), Entry(n + 1, "bot", "Neste?\nLinje", "nb")],
        "question": f"m{n + 1}",
        "ask": ask,
        "csrf": f"token{n}",
        "presets": {"lang": "nb", "kommune": "4601"} if first else {},
        "notice": None,
        "first": first,
        "code": None if first else f"ABCDE-{n:05d}",
        "until": f"0{n % 9}.12.2026 12:00 <&>",  # escaped as Jinja2 would
        "done": done,
        "identity": False,
        "role": "self",
        "query": {"kommune": "4601"} if first else {},
        "nonce": f"nonce{n}",
        "held": "",
        "closes": None if first else f"12:{n:02d}",
    }


ASKS = [
    Reply("Hva heter du?", step="person.given_name", kind="text", progress=(3, 20)),
    Reply(
        "Velg",
        step="need.life_areas",
        kind="choice",
        choices=(Choice("a", "Bolig"), Choice("b", "Arbeid & skole")),
        multi=True,
        selected=("b",),
        optional=True,
    ),
    Reply("Fullmakt", step="authority.document", kind="file"),
    Reply("Oppsummering", step="summary", kind="choice", choices=(Choice("send", "Send"),)),
]


def test_kept_pages_are_the_pages_jinja_renders() -> None:
    pages = Pages(HERE / "templates", CONSTANTS)
    cases = [
        ("chat.html", "nb", turn(1, ask=ASKS[0], first=True)),
        ("_chat.html", "nn", turn(5, ask=ASKS[1])),
        ("_chat.html", "en", turn(9, ask=ASKS[2])),
        ("chat.html", "nb", turn(12, ask=ASKS[3])),
        ("chat.html", "nb", turn(14, ask=None, done=True)),
        ("message.html", "nb", {"message": "deleted", "nonce": "n1"}),
    ]
    for round_ in range(2):  # the first renders and keeps, the second fills in what was kept
        for n, (template, lang, context) in enumerate(cases):
            context = dict(context, csrf=f"token{n}.{round_}", nonce=f"nonce{n}{round_}")
            t, d = texts(lang)
            assert pages.render(template, lang, context, t, d) == direct(template, lang, context)
    assert pages.hits == len(cases)


def test_nothing_a_person_wrote_is_kept() -> None:
    pages = Pages(HERE / "templates", CONSTANTS)
    t, d = texts("nb")
    pages.render("_chat.html", "nb", turn(3, ask=ASKS[0]), t, d)
    wrong = Reply("Hva heter du?", step="person.given_name", kind="text", error=f"«{SECRET}»?")
    context = turn(4, ask=wrong)
    page = pages.render("_chat.html", "nb", context, t, d)
    assert page == direct("_chat.html", "nb", context) and "Kari &lt;Nordmann&gt;" in page
    shown_back = dict(turn(5, ask=ASKS[0]), held=f"{SECRET}\nlinje to")
    page = pages.render("_chat.html", "nb", shown_back, t, d)
    assert page == direct("_chat.html", "nb", shown_back) and "linje to" in page
    assert pages.render("_chat.html", "nb", dict(turn(6, ask=ASKS[0]), later=SECRET), t, d)
    kept = " ".join(str(part) for parts in pages._kept.values() for part in parts)
    kept += repr(list(pages._kept))
    assert "Kari" not in kept and "ABCDE" not in kept and "token" not in kept


def test_a_question_with_an_error_is_kept_without_it() -> None:
    """The error (which may quote the answer) is a slot: another error at the same question is
    filled into the kept page, and the page is still the one Jinja2 renders with it."""
    pages = Pages(HERE / "templates", CONSTANTS)
    t, d = texts("nb")
    for n, error in enumerate(
        [f"«{SECRET}» er ikke et navn", "Skriv 'fornavn' & \"etternavn\"", ""]
    ):
        for ask in (ASKS[0], ASKS[2]):  # a text and a file question (aria-invalid on each field)
            context = turn(20 + n, ask=Reply(ask.text, step=ask.step, kind=ask.kind, error=error))
            page = pages.render("_chat.html", "nb", context, t, d)
            assert page == direct("_chat.html", "nb", context)
            assert ('id="answer-error"' in page) == bool(error)
    assert pages.hits == 2  # the second error at each question; no error is another page
    kept = " ".join(str(part) for parts in pages._kept.values() for part in parts)
    assert "Kari" not in kept and "fornavn" not in kept and "ikke et navn" not in kept


def test_transcript_entries_are_escaped_with_a_paragraph_a_line() -> None:
    t, _ = texts("nb")
    log = [Entry(3, "me", "Kari <b>\"&'\n\n  \nlinje", "nb"), Entry(4, "bot", "Feil", "en", True)]
    assert str(entries_html(log, t)) == (
        '  <div class="msg msg-me" id="m3" data-id="3" lang="nb">\n'
        '    <span class="ds-sr-only">Du:</span>\n'
        "<p>Kari &lt;b&gt;&#34;&amp;&#39;</p><p>linje</p>  </div>\n"
        '  <div class="msg msg-bot msg-error" id="m4" data-id="4" lang="en">\n'
        '    <span class="ds-sr-only">Veilederen:</span>\n'
        "<p>Feil</p>  </div>\n"
    )

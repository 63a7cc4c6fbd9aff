"""What the templates need beyond the engine's replies: the answer field's input purpose
(WCAG 1.3.5), times in Oslo, the kommune a preset chose, and the embed snippet."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from typing import Any
from urllib.parse import urlencode

from bot.web.session import reply_to_data
from bot.web.wording import web_text
from dialogues.state import State
from dialogues.types import Reply
from intake.dates import OSLO
from intake.kommuner import kommuner
from intake.texts import LANGUAGES, Language

__all__ = [
    "LANGUAGES",
    "asking_data",
    "embed_snippet",
    "field_for",
    "kommune_label",
    "oslo_clock",
    "oslo_time",
]

NORWAY = OSLO
_INDEX = re.compile(r"\[\d+\]")

# The person's own details, by field, when they are the one filling in (autocomplete tokens of
# the HTML standard). Questions about someone else get "off": a browser must not offer the
# user's own name for their child.
_SELF = {
    "person.given_name": "given-name",
    "person.family_name": "family-name",
    "person.address.street": "street-address",
    "person.address.postcode": "postal-code",
    "person.address.city": "address-level2",
    "person.phone": "tel",
    "person.email": "email",
}
_SUBMITTER = {
    "submitter.name": "name",
    "submitter.phone": "tel",
    "submitter.email": "email",
    "submitter.organisation.name": "organization",
    "submitter.job_title": "organization-title",
}
_NUMERIC = {"person.national_id", "person.address.postcode", "submitter.organisation.org_number"}
_MODES = {"phone": "tel", "email": "email", "national_id": "numeric"}


def field_for(step: str, kind: str, role: str | None) -> dict[str, str]:
    """`autocomplete` and `inputmode` for the answer field while `step` is asked."""
    key = _INDEX.sub("[]", step)
    own = _SELF if role == "self" else _SUBMITTER
    autocomplete = own.get(key, "off")
    mode = "numeric" if key in _NUMERIC else _MODES.get(kind, "text")
    return {"autocomplete": autocomplete, "inputmode": mode}


def asking_data(reply: Reply) -> dict[str, Any]:
    return reply_to_data(reply)


def kommune_label(state: State) -> str:
    number = state.answers.get("kommune")
    if not isinstance(number, str):
        return ""
    return f"{number} {kommuner().get(number, '')}".strip()


def oslo_time(timestamp: float, lang: Language) -> str:
    return _oslo(int(timestamp // 60), "%d.%m.%Y %H:%M")


def oslo_clock(timestamp: float) -> str:
    """The clock time in Norway (a time-out later the same day)."""
    return _oslo(int(timestamp // 60), "%H:%M")


@functools.lru_cache(maxsize=64)
def _oslo(minute: int, form: str) -> str:
    """A minute in Norway's time (every page shows two, the same for everyone that minute)."""
    return dt.datetime.fromtimestamp(minute * 60, NORWAY).strftime(form)


def embed_snippet(base: str, query: dict[str, str], lang: Language) -> str:
    """The HTML a kommune pastes into its page: a frame, and a plain link for everyone the frame
    does not serve (no frames, a screen too small, a cookie blocked in frames)."""
    params = {**query, "lang": lang}
    link = f"{base}/?{urlencode(params)}"
    framed = f"{base}/?{urlencode({**params, 'embed': '1'})}"
    title = html.escape(web_text(lang, "embed.frame_title"))
    text = html.escape(web_text(lang, "embed.link"))
    return (
        f'<iframe src="{html.escape(framed)}" title="{title}" lang="{lang}" '
        'width="100%" height="760" referrerpolicy="no-referrer"></iframe>\n'
        f'<p lang="{lang}"><a href="{html.escape(link)}" target="_blank" rel="noopener">'
        f"{text}</a></p>"
    )

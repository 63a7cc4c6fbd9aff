"""The staff web's own texts (`texts/{nb,nn,en}.json`, through `intake.texts` like every other
catalogue); errors are `StaffError`s whose texts are the staff commands' (bot/staff/texts)."""

from __future__ import annotations

from typing import Any

from bot.staff.access import StaffError
from intake.texts import Catalogue, language_or_default

STAFF_WEB_TEXTS = Catalogue("bot.staff.web", "texts")
LANGS = ("nb", "nn", "en")


def wt(key: str, lang: str, /, **params: Any) -> str:
    return STAFF_WEB_TEXTS.text(language_or_default(lang), key, **params)


def staff_text(exc: StaffError, lang: str) -> str:
    from bot.staff.texts import t

    return t(exc.key, lang, **exc.params)

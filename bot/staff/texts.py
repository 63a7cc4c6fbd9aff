"""What the inbox and keys commands say to KE staff: `texts/{nb,nn,en}.json`.

One line per message: staff scripts and humans both read them, and an error is always one line
on stderr with a non-zero exit code. The lookup is `intake.texts`'s, as for every other text.
"""

from __future__ import annotations

from typing import Any

from intake.texts import Catalogue, language_or_default

STAFF_TEXTS = Catalogue("bot.staff", "texts")


def t(key: str, lang: str, /, **params: Any) -> str:
    return STAFF_TEXTS.text(language_or_default(lang), key, **params)

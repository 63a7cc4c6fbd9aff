"""What the actions need from the outside world: settings, the clock and the filing App.

Built lazily, once per action-server process: validating an answer needs only the settings;
the App (database, keys) is opened on the first filing.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.rasa.dialogue import context
from bot.settings import Settings
from dialogues.types import Context

if TYPE_CHECKING:
    from bot.bootstrap import App

_lock = threading.Lock()
_settings: Settings | None = None
_app: App | None = None
_demo = False
NORWAY = ZoneInfo("Europe/Oslo")  # ages and dates are Norwegian calendar days


def configure(*, demo: bool, settings: Settings | None = None) -> None:
    """Called once by `ke-intake rasa-actions` before serving."""
    global _demo, _settings, _app
    with _lock:
        _demo, _settings, _app = demo, settings, None


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = Settings()
            if _demo:
                _settings = _settings.model_copy(update={"allow_synthetic_ids": True})
        return _settings


def app() -> App:
    global _app
    current = settings()
    with _lock:
        if _app is None:
            from bot.bootstrap import App

            _app = App.from_settings(current, demo=_demo)
        return _app


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ctx() -> Context:
    moment = now()
    today = moment.astimezone(NORWAY).date()
    current = settings()
    return context(current.policy(today), moment, ttl_hours=current.draft_ttl_hours)

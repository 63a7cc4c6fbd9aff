"""What the action needs from the outside world: the channel runtime and the filing App.

Built lazily, once per action-server process: a turn needs only the settings; the App
(database, keys) is opened on the first filing (`bot.bootstrap.LazyApp`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from bot.runtime.clock import Clock, utcnow
from bot.runtime.context import Runtime
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.bootstrap import LazyApp

_lock = threading.Lock()
_settings: Settings | None = None
_runtime: Runtime | None = None
_filer: LazyApp | None = None
_demo = False
_clock: Clock = utcnow


def configure(*, demo: bool, settings: Settings | None = None, clock: Clock = utcnow) -> None:
    """Called once by `ke-intake rasa-actions` (and by tests, with their clock) before serving."""
    global _demo, _settings, _runtime, _filer, _clock
    with _lock:
        _demo, _settings, _runtime, _filer, _clock = demo, settings, None, None, clock


def runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            settings = (_settings or Settings()).with_synthetic_ids(_demo)
            _runtime = Runtime(settings, "rasa", clock=_clock, receiving=_receiving)
        return _runtime


def _receiving() -> frozenset[str] | None:
    return filer().receiving()


def filer() -> LazyApp:
    global _filer
    current = runtime().settings
    with _lock:
        if _filer is None:
            from bot.bootstrap import LazyApp

            _filer = LazyApp(current, demo=_demo)
        return _filer

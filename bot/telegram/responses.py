"""Keep aiogram's parsed-response models alive.

aiogram's session parses every Bot API answer with `Response[method.__returning__]`. pydantic
caches such parametrised generic models only weakly, so after each garbage collection the next
call rebuilds the model and its schema (about 20 ms each); under load that was about a third of
the bot's time per update (see bench/RESULTS.md). Holding them here makes the cache stick.
"""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.methods.base import Response

# The Bot API methods this bot calls (polling, sending, editing, deleting, files, menus).
_USED = (
    methods.GetUpdates,
    methods.GetMe,
    methods.DeleteWebhook,
    methods.SetWebhook,
    methods.SetMyCommands,
    methods.SendMessage,
    methods.SendChatAction,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery,
    methods.DeleteMessage,
    methods.DeleteMessages,
    methods.GetFile,
)
KEPT: tuple[Any, ...] = tuple(Response[m.__returning__] for m in _USED)  # type: ignore[name-defined]

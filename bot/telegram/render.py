"""Reply -> Telegram message parts: the text (with the question's progress line) split under the
4096-character limit, and the inline keyboard (choices, check marks for multi-select, done/skip
buttons labelled by the dialogue, and the keep-the-chat toggle under the summary)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import wording
from bot.telegram.callbacks import Callback, new_nonce
from bot.telegram.conversation import Keyboard
from dialogues.types import Reply
from intake.messages import Language

TELEGRAM_LIMIT = 4096
CHECK = "\u2705 "  # a check mark is a symbol, not wording
UNCHECKED = "\u25ab\ufe0f "


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph, then line, then word boundaries; hard-cut only a single overlong word."""
    text = text.strip() or "…"
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= limit // 4:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p]


def body(reply: Reply, language: Language) -> str:
    """The message text: the error first, then where the person is ("Question 4 of about 12")
    above the question itself."""
    text = reply.text
    if reply.progress is not None and reply.step:
        index, total = reply.progress
        text = f"{wording.text(language, 'progress', i=index, n=total)}\n{text}"
    return f"{reply.error}\n\n{text}" if reply.error else text


def needs_keyboard(reply: Reply) -> bool:
    return bool(reply.choices) or reply.multi or reply.optional


def keyboard(
    reply: Reply, language: Language, *, keep: bool | None = None
) -> tuple[InlineKeyboardMarkup, Keyboard]:
    """`keep` (not None) adds the keep-the-chat toggle, showing the current choice."""
    nonce = new_nonce()
    rows: list[list[InlineKeyboardButton]] = []
    for index, choice in enumerate(reply.choices):
        mark = ""
        if reply.multi:
            mark = CHECK if choice.id in reply.selected else UNCHECKED
        data = Callback(nonce, "c", str(index)).pack()
        rows.append([InlineKeyboardButton(text=f"{mark}{choice.label}", callback_data=data)])
    extra: list[InlineKeyboardButton] = []
    if reply.multi:
        data = Callback(nonce, "m", "done").pack()
        extra.append(InlineKeyboardButton(text=wording.text(language, "done"), callback_data=data))
    if reply.optional:
        data = Callback(nonce, "m", "skip").pack()
        extra.append(InlineKeyboardButton(text=wording.text(language, "skip"), callback_data=data))
    if extra:
        rows.append(extra)
    if keep is not None:
        rows.append([keep_button(nonce, keep, language)])
    state = Keyboard(
        nonce=nonce,
        step=reply.step,
        choice_ids=[c.id for c in reply.choices],
        multi=reply.multi,
    )
    return InlineKeyboardMarkup(inline_keyboard=rows), state


def keep_button(nonce: str, keep: bool, language: Language) -> InlineKeyboardButton:
    mark = CHECK if keep else UNCHECKED
    return InlineKeyboardButton(
        text=f"{mark}{wording.text(language, 'keep_chat')}",
        callback_data=Callback(nonce, "k").pack(),
    )


def with_keep(
    markup: InlineKeyboardMarkup, nonce: str, keep: bool, language: Language
) -> InlineKeyboardMarkup:
    """The same keyboard with the keep toggle showing `keep` (other buttons untouched)."""
    rows = [
        [
            keep_button(nonce, keep, language)
            if (data := Callback.unpack(button.callback_data)) is not None and data.op == "k"
            else button
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)

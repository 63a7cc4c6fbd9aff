"""The Telegram adapter: update -> UserInput -> engine.step -> messages and effects.

It decides nothing about the dialogue. Its own jobs are the channel's: keeping the draft (saved
before anything is sent, so a failed send never loses an answer), inline keyboards whose buttons
go stale when the conversation moves on, uploads (metadata only until filing), filing with the
bytes fetched from Telegram, and cleaning the chat afterwards unless the person chose to keep it
(a toggle under the summary, kept in the adapter's own conversation data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot.runtime import resume
from bot.runtime.clock import utcnow
from bot.runtime.context import Runtime
from bot.runtime.filing import Filed, Filer, file_effect_async
from bot.runtime.uploads import upload_of, worth_reading
from bot.settings import Settings
from bot.telegram import render, wording
from bot.telegram.callbacks import Callback
from bot.telegram.conversation import Conversation, Keyboard
from bot.telegram.fsm import LOST
from bot.telegram.outbox import Courier
from dialogues import engine
from dialogues.state import State, StateError
from dialogues.types import (
    Command,
    Context,
    DiscardDraft,
    FileReferral,
    FileUpload,
    LanguageChanged,
    Reply,
    UserInput,
)
from intake.messages import Language

log = logging.getLogger(__name__)

COMMANDS: dict[str, Command] = {
    "start": "start",
    "help": "help",
    "back": "back",
    "summary": "summary",
    "cancel": "cancel",
    "language": "language",
    "skip": "skip",
    "done": "done",
    "edit": "edit",
    "restart": "restart",
}


@dataclass
class Adapter:
    settings: Settings
    filer: Filer | None
    clock: Callable[[], dt.datetime] = utcnow
    resume_after: dt.timedelta = dt.timedelta(minutes=30)
    new_draft_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)
    # The kommuner that can receive (App.receiving); None: unknown, nobody refused at once.
    receiving: Callable[[], frozenset[str] | None] | None = None
    runtime: Runtime = field(init=False)
    # Replies the Bot API refused for now, and failed deletions, delivered later in order.
    courier: Courier = field(init=False)

    def __post_init__(self) -> None:
        self.courier = Courier(clock=lambda: self.clock().timestamp())
        self.runtime = Runtime(
            self.settings,
            "telegram",
            clock=self.clock,
            can_delete_chat=True,
            new_draft_id=self.new_draft_id,
            receiving=self.receiving,
        )

    # -- context -------------------------------------------------------------------------
    def context(self) -> Context:
        return self.runtime.context()

    def _language(self, code: str | None) -> Language:
        return wording.language_of(code, self.settings.language)

    # -- entry points --------------------------------------------------------------------
    async def on_message(self, message: Message, bot: Bot, state: FSMContext) -> None:
        started = time.monotonic()
        now = self.clock().timestamp()
        fallback = self._language(message.from_user.language_code if message.from_user else None)
        stored = await state.get_data()
        conv = Conversation.from_data(stored)
        key = f"m{message.message_id}"
        if conv is not None and conv.seen_before(key):
            if conv.owed and key == conv.handled[-1] and not self.interrupted(conv):
                await self._answer_owed(bot, message.chat.id, conv, state)
                return
            log.info("telegram: message already applied, not again")
            return
        # A first message only starts the conversation: an upload there is not even fetched.
        ui = await self._input_of(message, bot) if conv is not None or message.text else None
        if conv is None:
            preset = ui.arg if ui is not None and ui.command == "start" else None
            conv = self._new_conversation(fallback, preset, now)
            if stored.get(LOST):
                # An unfinished referral that expired or can no longer be read: say so.
                await self._plain(bot, state, wording.text(fallback, "draft_lost"), fallback)
            conv.applied(key)
            conv.track(message.message_id, message.date.timestamp())
            await self._advance(bot, message.chat.id, conv, UserInput(command="start"), state)
        else:
            conv.applied(key)
            conv.track(message.message_id, message.date.timestamp())
            if ui is None:
                await self._send_notice(bot, message.chat.id, conv, "unsupported", state)
            elif self._after_gap(conv, now) and ui.command is None:
                await self._offer_resume(bot, message.chat.id, conv, state)
            else:
                conv.paused = False
                await self._advance(bot, message.chat.id, conv, ui, state)
        log.info(
            "telegram: message handled, step=%s, %.0f ms",
            self._step_of(conv),
            (time.monotonic() - started) * 1000,
        )

    async def on_callback(self, query: CallbackQuery, bot: Bot, state: FSMContext) -> None:
        started = time.monotonic()
        callback = Callback.unpack(query.data)
        conv = Conversation.from_data(await state.get_data())
        language = self._language(query.from_user.language_code)
        if conv is not None:
            language = self._engine_state(conv).language
        keyboard = conv.keyboard if conv is not None else None
        message = query.message if isinstance(query.message, Message) else None
        if (
            callback is None
            or conv is None
            or keyboard is None
            or message is None
            or callback.nonce != keyboard.nonce
        ):
            await _ack(query, wording.text(language, "stale"))
            log.info("telegram: stale button answered")
            return
        key = f"q{query.id}"
        if conv.seen_before(key):
            await _ack(query)
            if conv.owed and key == conv.handled[-1] and not self.interrupted(conv):
                await self._answer_owed(bot, message.chat.id, conv, state)
                return
            log.info("telegram: button press already applied, not again")
            return
        conv.applied(key)
        if callback.op == "k":
            await self._toggle_keep(query, bot, message, conv, language, state)
            return
        await _ack(query)
        chat_id = message.chat.id
        ui: UserInput | None = None
        if (
            callback.op == "c"
            and callback.arg.isascii()
            and callback.arg.isdigit()
            and int(callback.arg) < len(keyboard.choice_ids)
        ):
            ui = UserInput(choice=keyboard.choice_ids[int(callback.arg)])
            if keyboard.step == resume.STEP:
                ui = resume.answer(ui.choice)
        elif callback.op == "m" and callback.arg in COMMANDS:
            ui = UserInput(command=COMMANDS[callback.arg])
        elif callback.op == "l":
            ui = UserInput(command="language", arg=callback.arg)
        elif callback.op == "r":  # resume buttons shown before the offer became a choice
            ui = resume.answer("resume")
        elif callback.op == "n":
            ui = resume.answer("start_over")
        if ui is None:
            return
        conv.paused = False
        toggling = keyboard.multi and callback.op == "c"
        if not toggling:  # the pressed keyboard goes
            await self.courier.redraw(bot, state, message.message_id, None, None, language)
        await self._advance(
            bot, chat_id, conv, ui, state, edit_message_id=message.message_id if toggling else None
        )
        log.info(
            "telegram: button handled, step=%s, %.0f ms",
            self._step_of(conv),
            (time.monotonic() - started) * 1000,
        )

    async def _toggle_keep(
        self,
        query: CallbackQuery,
        bot: Bot,
        message: Message,
        conv: Conversation,
        language: Language,
        fsm: FSMContext,
    ) -> None:
        """Flip "keep the chat after sending"; the summary stays live (same nonce), only the
        toggle's mark changes, and the person gets the new state as a short notice."""
        assert conv.keyboard is not None
        conv.keep = not conv.keep
        await self._save(fsm, conv)
        await _ack(query, wording.text(language, "keep_on" if conv.keep else "keep_off"))
        if message.reply_markup is not None:
            nonce = conv.keyboard.nonce
            markup = render.with_keep(message.reply_markup, nonce, conv.keep, language)
            await self.courier.redraw(bot, fsm, message.message_id, markup, nonce, language)
        log.info("telegram: keep-chat choice changed")

    # -- input -----------------------------------------------------------------------------
    async def _input_of(self, message: Message, bot: Bot) -> UserInput | None:
        if message.text is not None:
            text = message.text
            if text.startswith("/"):
                head, _, rest = text[1:].partition(" ")
                name = head.split("@", 1)[0].lower()
                if name in COMMANDS:
                    return UserInput(command=COMMANDS[name], arg=rest.strip() or None)
            return UserInput(text=text)
        upload = await self._upload_of(message, bot)
        if upload is not None:
            return UserInput(file=upload)
        return None

    async def _upload_of(self, message: Message, bot: Bot) -> FileUpload | None:
        """Metadata of an uploaded document or photo. The bytes are read once to hash and sniff
        them, then dropped; filing fetches them again and checks the hash."""
        if message.document is not None:
            doc = message.document
            file_id, size = doc.file_id, doc.file_size or 0
            name, media_type = doc.file_name or "document", doc.mime_type or ""
        elif message.photo:
            photo = message.photo[-1]  # the largest size Telegram made
            file_id, size = photo.file_id, photo.file_size or 0
            name, media_type = "photo.jpg", "image/jpeg"
        else:
            return None
        content: bytes | None = None
        if worth_reading(size):
            try:
                content = await self._download(bot, file_id)
            except (TelegramAPIError, OSError) as error:
                log.warning("telegram: upload could not be fetched (%s)", type(error).__name__)
        # Typed by its content; the engine judges type and size with its own messages (an
        # unread file carries no hash and is refused).
        return upload_of(content, filename=name, ref=file_id, size=size, declared_type=media_type)

    async def _download(self, bot: Bot, file_id: str) -> bytes:
        buffer = io.BytesIO()
        result = await bot.download(file_id, destination=buffer)
        assert result is not None
        return buffer.getvalue()

    # -- the turn --------------------------------------------------------------------------
    def _new_conversation(self, language: Language, preset: str | None, now: float) -> Conversation:
        fresh = self.runtime.new_state(language, preset_role=preset)
        return Conversation(engine=fresh.to_json(), seen=now)

    def _engine_state(self, conv: Conversation) -> State:
        try:
            return State.from_json(conv.engine)
        except StateError:
            log.warning("telegram: stored engine state unreadable; starting afresh")
            return engine.new_state(language="nb", draft_id=self.new_draft_id())

    def _step_of(self, conv: Conversation) -> str:
        return engine.current_step(self._engine_state(conv)) or "-"

    def _after_gap(self, conv: Conversation, now: float) -> bool:
        return not conv.paused and resume.due(
            self._engine_state(conv),
            seen=dt.datetime.fromtimestamp(conv.seen, dt.UTC),
            now=dt.datetime.fromtimestamp(now, dt.UTC),
            after=self.resume_after,
        )

    async def _advance(
        self,
        bot: Bot,
        chat_id: int,
        conv: Conversation,
        ui: UserInput,
        fsm: FSMContext,
        *,
        edit_message_id: int | None = None,
    ) -> None:
        ctx = self.context()
        current = self._engine_state(conv)
        new, replies, effects = engine.step(current, ui, ctx)
        conv.engine = new.to_json()
        conv.seen = ctx.now.timestamp()
        conv.owed = True  # until the replies are sent (or kept): see _answer_owed
        await self._save(fsm, conv)  # before sending: a failed send never loses the answer
        finished = False
        for effect in effects:
            if isinstance(effect, FileReferral):
                more, finished = await self._file(bot, conv, effect, ctx)
                replies = [*replies, *more]
                await self._save(fsm, conv)
            elif isinstance(effect, DiscardDraft):
                finished = True
            elif isinstance(effect, LanguageChanged):
                await self._chat_commands(bot, chat_id, effect.language)
        language = self._engine_state(conv).language
        if (
            edit_message_id is not None
            and len(replies) == 1
            and replies[0].multi
            and not replies[0].error
            and conv.keyboard is not None
            and replies[0].step == conv.keyboard.step
        ):
            await self._edit_keyboard(bot, fsm, edit_message_id, conv, replies[0], language)
        else:
            # Only a keyboard shown with these replies stays live: an older one, answered by
            # typing or already pressed, must not act on the next question.
            conv.keyboard = None
            kept = await self._send(bot, fsm, conv, replies, language)
            if finished:
                await self._finish(bot, chat_id, conv, kept, language, fsm)
                return
        conv.owed = False
        await self._save(fsm, conv)

    async def _answer_owed(
        self, bot: Bot, chat_id: int, conv: Conversation, fsm: FSMContext
    ) -> None:
        """The update came again (after a restart) and was applied, but the process stopped
        before its replies were sent: the person gets where they are now (the engine's resume
        on `start`), not silence. Applied once, answered at least once."""
        log.info("telegram: an applied update came again unanswered; answering where we are")
        await self._advance(bot, chat_id, conv, UserInput(command="start"), fsm)

    async def _save(self, fsm: FSMContext, conv: Conversation) -> None:
        conv.who = [fsm.key.chat_id, fsm.key.user_id]
        await fsm.set_data(conv.to_data())

    # -- recovery ------------------------------------------------------------------------------
    def interrupted(self, conv: Conversation) -> bool:
        """Left mid-filing by a process that stopped before the outcome."""
        return self._engine_state(conv).mode == "filing" and conv.who is not None

    async def recover(self, bot: Bot, fsm: FSMContext) -> bool:
        """Finish a filing a stopped process left behind (under the chat's lock): filed again
        under the same idempotency key, so the person gets the receipt (of the first filing if
        it did reach the inbox), or a true message when it cannot be filed now."""
        conv = Conversation.from_data(await fsm.get_data())
        if conv is None or not self.interrupted(conv):
            return False
        assert conv.who is not None
        log.info("telegram: an interrupted filing is taken up again")
        await self._advance(bot, conv.who[0], conv, UserInput(), fsm)
        return True

    # -- sending ---------------------------------------------------------------------------
    async def _send(
        self,
        bot: Bot,
        fsm: FSMContext,
        conv: Conversation,
        replies: Sequence[Reply],
        language: Language,
    ) -> list[int]:
        """Send each reply (split when long); the last keyboard shown becomes the live one.
        A reply the Bot API refuses for now is kept in the chat's outbox and delivered later,
        in order (`bot.telegram.outbox`). Returns the ids of the messages of the last reply
        that were sent (the receipt, after filing)."""
        sent: list[int] = []
        for reply in replies:
            sent = []
            parts = render.split_text(render.body(reply, language))
            markup: InlineKeyboardMarkup | None = None
            keyboard: Keyboard | None = None
            if render.needs_keyboard(reply):
                markup, keyboard = render.keyboard(reply, language, keep=_keep_toggle(conv, reply))
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                shown = keyboard if last else None
                message = await self.courier.send(
                    bot,
                    fsm,
                    part,
                    language,
                    markup if last else None,
                    shown.nonce if shown is not None else None,
                )
                if shown is not None:
                    conv.keyboard = shown  # live by its nonce, also while it waits to be sent
                if message is None:
                    continue
                conv.track(message.message_id, message.date.timestamp())
                sent.append(message.message_id)
                if shown is not None:
                    shown.message_id = message.message_id
        return sent

    async def _edit_keyboard(
        self,
        bot: Bot,
        fsm: FSMContext,
        message_id: int,
        conv: Conversation,
        reply: Reply,
        language: Language,
    ) -> None:
        markup, keyboard = render.keyboard(reply, language, keep=_keep_toggle(conv, reply))
        keyboard.message_id = message_id
        conv.keyboard = keyboard
        await self.courier.redraw(bot, fsm, message_id, markup, keyboard.nonce, language)

    async def _send_notice(
        self, bot: Bot, chat_id: int, conv: Conversation, purpose: str, fsm: FSMContext
    ) -> None:
        language = self._engine_state(conv).language
        notice = Reply(text=wording.text(language, purpose))
        await self._send(bot, fsm, conv, [notice], language)
        await self._save(fsm, conv)

    async def _offer_resume(
        self, bot: Bot, chat_id: int, conv: Conversation, fsm: FSMContext
    ) -> None:
        language = self._engine_state(conv).language
        conv.paused = True
        conv.keyboard = None
        await self._save(fsm, conv)
        await self._send(bot, fsm, conv, [resume.offer(language)], language)
        await self._save(fsm, conv)

    async def _chat_commands(self, bot: Bot, chat_id: int, language: Language) -> None:
        try:
            await bot.set_my_commands(
                command_list(language), scope=BotCommandScopeChat(chat_id=chat_id)
            )
        except TelegramAPIError as error:
            log.warning("telegram: chat menu not updated (%s)", type(error).__name__)

    # -- filing and clean-up ------------------------------------------------------------
    async def _file(
        self, bot: Bot, conv: Conversation, effect: FileReferral, ctx: Context
    ) -> tuple[list[Reply], bool]:
        started = time.monotonic()
        # The receipt says the chat copy is deleted only when it will be.
        ctx = dataclasses.replace(ctx, can_delete_chat=not conv.keep)
        outcome = await file_effect_async(
            effect,
            self._engine_state(conv),
            ctx,
            filer=self.filer,
            fetch=lambda ref: self._download(bot, ref),
        )
        conv.engine = outcome.state.to_json()
        if isinstance(outcome, Filed):
            log.info("telegram: referral filed in %.0f ms", (time.monotonic() - started) * 1000)
        return list(outcome.replies), isinstance(outcome, Filed)

    async def _finish(
        self,
        bot: Bot,
        chat_id: int,
        conv: Conversation,
        keep_ids: list[int],
        language: Language,
        fsm: FSMContext,
    ) -> None:
        """Delete the conversation's messages (all but the last replies, e.g. the receipt),
        tell the person what was removed, and drop the draft. A person who chose to keep the
        chat is reminded instead that it is still there."""
        await fsm.set_data({})
        if conv.keep:
            log.info("telegram: chat kept at the person's choice")
            await self._plain(bot, fsm, wording.text(language, "kept"), language)
            return
        keep = set(keep_ids)
        mine = [[mid, sent] for mid, sent in conv.messages if mid not in keep]
        await self.courier.clean_up(bot, fsm, mine, language)

    async def _plain(self, bot: Bot, fsm: FSMContext, text: str, language: Language) -> None:
        await self.courier.send(bot, fsm, text, language)

    async def chat_language(
        self, fsm: FSMContext | None, fallback: Language | None
    ) -> Language | None:
        """The language the conversation was left in, else `fallback` (the client's)."""
        if fsm is None:
            return fallback
        conv = Conversation.from_data(await fsm.get_data())
        return self._engine_state(conv).language if conv is not None else fallback


async def _ack(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press (stops the client's spinner); its failure never fails the turn."""
    try:
        await query.answer(text=text)
    except TelegramAPIError as error:
        log.warning("telegram: button not answered (%s)", type(error).__name__)


def command_list(language: Language) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=wording.command_description(language, name)[:256])
        for name in wording.COMMANDS
    ]


def _keep_toggle(conv: Conversation, reply: Reply) -> bool | None:
    """The keep-the-chat toggle goes under the summary, where the person decides to send."""
    return conv.keep if reply.step == "summary" and reply.choices else None

"""Run the Telegram bot: long polling by default, a webhook behind a proxy in production.

Everything is built here from the settings (the composition root for this channel): the Bot API
session (optionally another Bot API server, with retries), the draft backend, the adapter and the
dispatcher. Shutdown on SIGINT/SIGTERM is graceful: updates in flight finish, the storage and the
HTTP session are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramAPIError

from bot.bootstrap import App, LazyApp
from bot.runtime.filing import Filer
from bot.settings import Settings
from bot.telegram import wording
from bot.telegram.adapter import Adapter, command_list
from bot.telegram.fsm import DraftBackend, build_backend
from bot.telegram.gate import Gate
from bot.telegram.inbound import Inbound
from bot.telegram.polling import Poller, accept
from bot.telegram.retry import RetryMiddleware
from bot.telegram.router import build_gate
from bot.telegram.sweep import sweep_within
from intake.messages import LANGUAGES

log = logging.getLogger(__name__)


SWEEP_SECONDS = 60.0  # the start-up sweep's budget; the rest is finished on next contact


class ConfigError(Exception):
    """A setting the bot cannot run without; the message names the setting, never its value."""


def make_bot(settings: Settings) -> Bot:
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ConfigError("KE_TELEGRAM_TOKEN is not set")
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_base)
        if settings.telegram_api_base
        else PRODUCTION
    )
    session = AiohttpSession(api=api, timeout=settings.telegram_request_timeout_seconds)
    session.middleware(RetryMiddleware(max_retry_after=settings.telegram_retry_after_max_seconds))
    return Bot(settings.telegram_token.get_secret_value(), session=session)


def make_gate(settings: Settings, filer: Filer | None) -> tuple[Gate, DraftBackend, Adapter]:
    backend = build_backend(settings)
    adapter = Adapter(
        settings=settings,
        filer=filer,
        resume_after=dt.timedelta(minutes=settings.telegram_resume_after_minutes),
        receiving=filer.receiving if isinstance(filer, App | LazyApp) else None,
    )
    gate = build_gate(
        adapter,
        backend,
        flood_limit=settings.telegram_flood_limit,
        flood_window_seconds=settings.telegram_flood_window_seconds,
        flood_queue=settings.telegram_flood_queue,
    )
    return gate, backend, adapter


async def set_commands(bot: Bot, default_language: str) -> None:
    """The command menu in each language (Telegram picks by the client's language)."""
    for language in LANGUAGES:
        await bot.set_my_commands(command_list(language), language_code=language)
    await bot.set_my_commands(command_list(wording.language_of(default_language)))


async def run(
    settings: Settings,
    filer: Filer | None,
    *,
    webhook_url: str | None = None,
    listen: tuple[str, int] = ("127.0.0.1", 8080),
) -> int:
    bot = make_bot(settings)
    gate, backend, adapter = make_gate(settings, filer)
    stop = _stop_on_signals()
    try:
        me = await _connect(bot, stop)
        if me is None:
            return 0
        log.info("telegram: connected as bot id %s", me.id)
        try:
            await set_commands(bot, settings.language)
        except TelegramAPIError as error:
            log.warning("telegram: command menu not set (%s)", type(error).__name__)
        await sweep_within(bot, adapter, backend, SWEEP_SECONDS)
        courier = asyncio.create_task(_deliver_kept(bot, adapter, backend, stop))
        try:
            if webhook_url:
                await _serve_webhook(bot, gate, settings, webhook_url, listen, stop)
            else:
                await bot.delete_webhook(drop_pending_updates=False)
                log.info("telegram: long polling")
                allowed = gate.dispatcher.resolve_used_update_types()
                inbound = Inbound(backend.storage, bot.id)
                poller = Poller(bot, gate, timeout=20, allowed_updates=allowed, inbound=inbound)
                await poller.run(stop)
        finally:
            courier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await courier
    finally:
        await backend.close()
        await bot.session.close()
    log.info("telegram: stopped")
    return 0


async def _deliver_kept(bot: Bot, adapter: Adapter, backend: DraftBackend, stop: Any) -> None:
    """Replies and deletions the Bot API refused, delivered when due (bot/telegram/outbox.py),
    those a stopped process left first."""
    try:
        await adapter.courier.load(backend.storage)
    except Exception as error:  # the store may be down at start: the next kept reply, then
        log.warning("telegram: kept replies not looked for (%s)", type(error).__name__)
    await adapter.courier.run(bot, backend.storage, backend.isolation, stop)


async def _connect(bot: Bot, stop: asyncio.Event) -> Any:
    """getMe until it answers (the Bot API or the network may be down at start)."""
    delay = 1.0
    while not stop.is_set():
        try:
            return await bot.get_me()
        except TelegramAPIError as error:
            if "Unauthorized" in type(error).__name__:
                raise ConfigError("KE_TELEGRAM_TOKEN was refused by the Bot API") from None
            log.warning(
                "telegram: Bot API not reachable (%s), again in %.0f s", type(error).__name__, delay
            )
        except Exception as error:  # the network
            log.warning(
                "telegram: Bot API not reachable (%s), again in %.0f s", type(error).__name__, delay
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 30.0)
    return None


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


WEBHOOK_PATH = "/telegram/webhook"


def webhook_target(url: str) -> tuple[str, str]:
    """--webhook URL -> (the URL Telegram is told to call, the path served locally). A URL with
    a path is used as given (the proxy passes the path through); a bare origin gets
    WEBHOOK_PATH."""
    path = urlsplit(url).path
    if path in ("", "/"):
        return url.rstrip("/") + WEBHOOK_PATH, WEBHOOK_PATH
    return url, path


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def webhook_app(bot: Bot, gate: Gate, secret: str, path: str = WEBHOOK_PATH) -> Any:
    """The aiohttp application Telegram posts updates to. Requests without the secret token
    header are refused (401). An update is answered 200 once it has been handled, so Telegram
    sends it again if this worker dies first; a malformed one is answered and skipped (200)
    rather than refused, which would make Telegram retry it forever."""
    from aiohttp import web

    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        try:
            item = await request.json()
        except ValueError:
            log.warning("telegram: webhook body is not JSON, skipped")
            return web.Response(status=200)
        await accept(bot, gate, item)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(path, receive)
    return app


async def _serve_webhook(
    bot: Bot,
    gate: Gate,
    settings: Settings,
    url: str,
    listen: tuple[str, int],
    stop: asyncio.Event,
) -> None:
    from aiohttp import web

    if settings.telegram_webhook_secret is None:
        raise ConfigError("KE_TELEGRAM_WEBHOOK_SECRET is required with --webhook")
    secret = settings.telegram_webhook_secret.get_secret_value()
    hook_url, path = webhook_target(url)
    runner = web.AppRunner(webhook_app(bot, gate, secret, path), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, listen[0], listen[1]).start()
    await bot.set_webhook(
        hook_url,
        secret_token=secret,
        allowed_updates=gate.dispatcher.resolve_used_update_types(),
    )
    log.info("telegram: webhook listening on %s:%s", listen[0], listen[1])
    try:
        await stop.wait()
    finally:
        await runner.cleanup()  # finishes requests in flight

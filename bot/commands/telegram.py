"""`ke-intake telegram`: run the Telegram bot (long polling, or a webhook behind a proxy)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "telegram",
        help="run the Telegram bot (KE_TELEGRAM_TOKEN; KE_TELEGRAM_API_BASE for another server)",
        description="Run the Telegram bot. Long polling by default; --webhook for production "
        "behind a reverse proxy (needs KE_TELEGRAM_WEBHOOK_SECRET).",
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="public URL Telegram should call; its path is served locally "
        "(a bare https://host gets /telegram/webhook)",
    )
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="where the webhook server listens (default 127.0.0.1:8080)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: demo KE keys under the data directory, synthetic ids allowed",
    )
    parser.set_defaults(handler=handle)


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("--listen must look like HOST:PORT")
    return host, int(port)


def handle(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from bot.settings import Settings
    from bot.telegram import redact
    from bot.telegram.runner import ConfigError, run

    try:
        listen = _listen(args.listen)
        settings = Settings()
        # Checked before touching the inbox.
        if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
            raise ConfigError("KE_TELEGRAM_TOKEN is not set")
        secret = settings.telegram_webhook_secret
        if args.webhook and (secret is None or not secret.get_secret_value()):
            raise ConfigError("KE_TELEGRAM_WEBHOOK_SECRET is required with --webhook")
    except (ConfigError, ValueError) as error:
        print(f"ke-intake telegram: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact.install()
    # aiogram logs each update with its content at DEBUG and handler timings at INFO.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    try:
        from bot.bootstrap import LazyApp

        # The inbox is opened at the first filing (and tried once now): a database that is down
        # at start does not stop the bot; people are told at filing, and it recovers by itself.
        settings = settings.with_synthetic_ids(args.demo)
        app = LazyApp(settings, demo=args.demo)
        app.try_open("telegram")
        try:
            return asyncio.run(run(settings, app, webhook_url=args.webhook, listen=listen))
        finally:
            app.close()
    except ConfigError as error:
        print(f"ke-intake telegram: {error}", file=sys.stderr)
        return 2

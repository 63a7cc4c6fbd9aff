"""`ke-intake rasa-actions` (the Rasa action server) and `ke-intake rasa-export` (the project)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    actions = subparsers.add_parser(
        "rasa-actions",
        help="run the Rasa action server (one dialogue turn per message, filing)",
        description="Run the action server a Rasa 3.6 assistant calls at /webhook.",
    )
    actions.add_argument("--port", type=int, default=5055, help="TCP port (default 5055)")
    actions.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    actions.add_argument(
        "--demo",
        action="store_true",
        help="allow synthetic national ids and file with a demo KE key (never in production)",
    )
    actions.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    actions.set_defaults(handler=run_actions)

    export = subparsers.add_parser(
        "rasa-export",
        help="generate the Rasa project in dialogues/rasa/ from the dialogue data",
        description="Generate config, domain, NLU data and rules for Rasa 3.6.",
    )
    export.add_argument(
        "--out", type=Path, default=None, help="target folder (default dialogues/rasa)"
    )
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the folder is out of date",
    )
    export.set_defaults(handler=run_export)


def run_actions(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bot.rasa import guard, runtime, server
    from bot.settings import Settings

    settings = Settings()
    secret = settings.rasa_action_token
    token = secret.get_secret_value() if secret is not None else None
    if token is None or not guard.token_usable(token):
        print(
            "ke-intake rasa-actions: KE_RASA_ACTION_TOKEN is not set (at least "
            f"{guard.MIN_TOKEN} characters; Rasa sends it from endpoints.yml)",
            file=sys.stderr,
        )
        return 2
    runtime.configure(demo=args.demo, settings=settings)
    if args.demo:
        logging.getLogger(__name__).warning("demo mode: synthetic national ids are accepted")
    server.serve(args.host, args.port, token)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from bot.rasa import export

    target = args.out or export.DEFAULT_DIR
    if args.check:
        stale = export.stale(target)
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        if stale:
            print("run `ke-intake rasa-export` and commit dialogues/rasa/", file=sys.stderr)
            return 1
        print("dialogues/rasa is up to date")
        return 0
    for path in export.write(target):
        print(f"wrote {path}")
    return 0

"""`ke-intake db upgrade|current`: apply the inbox migrations, or show where the database is.

The app also migrates on its first start; this command is for deployments that migrate as a
separate step (before rolling out new workers).
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "db", help="inbox database migrations", description="Inbox database migrations."
    )
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = sub.add_parser("upgrade", help="apply pending migrations (default: to head)")
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(handler=run_upgrade)
    current = sub.add_parser("current", help="show the database's revision and the newest one")
    current.set_defaults(handler=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from storage.inbox.db import current_revision, describe, make_engine, upgrade

    engine = make_engine(Settings().sqlalchemy_url)
    try:
        upgrade(engine, args.revision)
        print(f"{describe(engine)}: {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def run_current(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from storage.inbox.db import current_revision, describe, head_revision, make_engine

    engine = make_engine(Settings().sqlalchemy_url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    state = "up to date" if current == head else f"behind (newest: {head})"
    print(f"{describe(engine)}: {current or 'empty'}, {state}")
    return 0 if current == head else 1

"""`ke-intake chat`: file a referral by chatting in the terminal (the main job).

`--json` switches to a line protocol for scripts (see `bot.terminal.chat`). End of input before
sending files nothing, says so, and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from intake.texts import LANGUAGES

EPILOG = """\
--json line protocol (one line in, one line out):
  out: {"step": <field id | "summary" | "done" | "confirm" | "language">, "text": str,
        "choices": [{"id", "label"}], "multi": bool, "optional": bool,
        "progress": [i, n] | null, "error": str | null, "reference": str | null}
  in:  plain text, or {"text": ...}, {"choice": id}, {"choices": [ids]},
       {"command": "back"|"help"|"skip"|"done"|"summary"|"edit"|"language"|"cancel"|"restart",
        "arg": ...}, or {"file": "/path/to/document.pdf"} for the attachment step.
Filed: the last line has step "done" and the reference. End of input before sending files
nothing, says so (step "done", reference null) and exits 0.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="file a referral by chatting in the terminal (nb, nn or en)",
        description="A guided conversation that collects a referral to the municipality's "
        "coordinating unit, then seals and files it into the KE inbox.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lang", choices=LANGUAGES, help="language (default KE_LANGUAGE)")
    parser.add_argument(
        "--json", action="store_true", help="line protocol: one JSON object per line each way"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: synthetic national ids allowed, demo KE key under the data directory",
    )
    parser.set_defaults(handler=handle)


def _log_to_file(data_dir: Path) -> None:
    """Logs go to a file, never between the questions on the screen (nor English lines into a
    Norwegian conversation): `<data dir>/logs/chat.log`."""
    import logging

    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / "chat.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def handle(args: argparse.Namespace) -> int:
    from bot.bootstrap import LazyApp
    from bot.runtime.context import Runtime
    from bot.runtime.drafts import sqlite_drafts
    from bot.settings import Settings
    from bot.terminal.chat import TerminalChat, run
    from bot.terminal.pending import Pending
    from intake.messages import LANGUAGES, Language

    settings = Settings().with_synthetic_ids(args.demo)
    wanted = args.lang or settings.language
    language: Language = next((code for code in LANGUAGES if code == wanted), "nb")
    _log_to_file(settings.data_dir)
    filer = LazyApp(settings, demo=args.demo)
    chat = TerminalChat(
        # The terminal keeps nothing unfinished; a kommune without a KE key is said at once.
        runtime=Runtime(settings, "terminal", keeps_drafts=False, receiving=filer.receiving),
        language=language,
        filer=filer,
        json_mode=args.json,
        notices=("filing.demo",) if args.demo else (),
        pending=Pending(sqlite_drafts(settings)),
    )
    try:
        return run(chat, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
    finally:
        filer.close()

"""The `ke-intake` command line. Each module in `bot/commands/` registers its own subcommand,
so adding a command never touches this file. Handlers import their heavy dependencies lazily:
`ke-intake validate` must not pay for aiogram."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from bot import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ke-intake",
        description="Referrals to the municipal coordinating unit (koordinerende enhet), sealed.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bot.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("\nAvbrutt. / Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()
    try:
        sys.stdout.flush()  # a reader that left during the last write shows up here
    except BrokenPipeError:
        return _reader_gone()
    return code


def _reader_gone() -> int:
    """The reader of stdout has gone (`ke-intake inbox show REF | head -1`): end quietly, with
    the exit status a shell reports for SIGPIPE. Python would otherwise complain again when it
    flushes stdout at exit, so stdout is pointed at /dev/null first."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())

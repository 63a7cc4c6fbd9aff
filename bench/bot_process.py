"""The bot under load: `ke-intake telegram` itself, with its Redis keys under a prefix of the
benchmark's own (so they can be found and deleted afterwards, and never meet anyone else's).

    python -m bench.bot_process PREFIX      (all other settings from the KE_ environment)
"""

from __future__ import annotations

import argparse
import sys
from functools import partial


def main(prefix: str) -> int:
    from bot.commands import telegram as command
    from bot.telegram import fsm, runner

    setattr(runner, "build_backend", partial(fsm.build_backend, prefix=prefix))  # noqa: B010
    args = argparse.Namespace(webhook=None, listen="127.0.0.1:8080", demo=False)
    return int(command.handle(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

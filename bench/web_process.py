"""A web worker under the benchmark: `ke-intake web` itself, with its Redis keys under a prefix
of the benchmark's own (so they can be deleted afterwards and never meet anyone else's).

    python -m bench.web_process PREFIX PORT      (all other settings from the KE_ environment)
"""

from __future__ import annotations

import argparse
import sys
from functools import partial


def main(prefix: str, port: int) -> int:
    from bot.commands import web as command
    from bot.web import build

    setattr(build, "build_web", partial(build.build_web, prefix=prefix))  # noqa: B010
    args = argparse.Namespace(host="127.0.0.1", port=port, demo=True)
    return int(command.handle(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))

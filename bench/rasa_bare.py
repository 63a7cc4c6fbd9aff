"""The baseline action server: rasa-sdk's own app with one action that returns no events,
served exactly as `bot.rasa.server.serve` serves ours (one Sanic process, no access log).

    python -m bench.rasa_bare PORT
"""

from __future__ import annotations

import sys
from typing import Any

from rasa_sdk import Action
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

BARE_ACTION = "action_bare"


class Bare(Action):  # type: ignore[misc]  # rasa_sdk is untyped
    def name(self) -> str:
        return BARE_ACTION

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[Any]:
        return []


def main(port: int) -> None:
    executor = ActionExecutor()
    executor.register_action(Bare())
    app = create_app(executor, cors_origins=[])
    app.prepare(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)
    Sanic.serve_single(app)


if __name__ == "__main__":
    main(int(sys.argv[1]))

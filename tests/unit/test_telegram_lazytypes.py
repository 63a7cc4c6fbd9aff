"""aiogram imported through `bot.telegram` builds its types when first used, to the same models.

Each side runs in a fresh interpreter (in this one aiogram is imported already): one imports the
bot's Telegram modules first, as `ke-intake telegram` does, the other imports aiogram first (all
types built at import). Both parse the same updates and Bot API answers; the results must be the
same, and the first must have left most types unbuilt at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.test_telegram_redact import full_update

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
if sys.argv[1] == "eager":
    import aiogram.types
import bot.telegram.polling  # noqa: F401  (the bot's modules, with aiogram behind them)
import aiogram.types as types
from aiogram.methods import SendMessage
from aiogram.methods.base import Response

models = [getattr(types, name) for name in types.__all__]
models = [m for m in models if hasattr(m, "model_rebuild")]

def built():
    return sum(1 for m in models if m.__pydantic_complete__)

at_import = built()
update, answer, press = json.loads(sys.stdin.read())
parsed = [
    types.Update.model_validate(update).model_dump(mode="json", exclude_none=True),
    Response[SendMessage.__returning__].model_validate(answer).model_dump(
        mode="json", exclude_none=True
    ),
    types.Update.model_validate(press).model_dump(mode="json", exclude_none=True),
]
print(json.dumps({"at_import": at_import, "types": len(models), "parsed": parsed}))
"""


def _run(mode: str) -> dict[str, object]:
    message = full_update()["message"]
    answer = {"ok": True, "result": {**message, "reply_markup": _keyboard()}}
    press = {
        "update_id": 7,
        "callback_query": {
            "id": "1",
            "from": message["from"],
            "chat_instance": "ci",
            "data": "k|abc|c|0",
            "message": {**message, "reply_markup": _keyboard()},
        },
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        input=json.dumps([full_update(), answer, press]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _keyboard() -> dict[str, object]:
    return {"inline_keyboard": [[{"text": "Ja", "callback_data": "k|abc|c|0"}]]}


def test_the_types_are_built_when_used_and_parse_as_when_built_at_import() -> None:
    lazy, eager = _run("lazy"), _run("eager")
    assert lazy["parsed"] == eager["parsed"]
    types = eager["types"]
    assert isinstance(types, int) and types > 300
    assert eager["at_import"] == types  # aiogram's own import builds every type
    at_import = lazy["at_import"]
    assert isinstance(at_import, int) and at_import < types // 10

"""The NLU examples and the rules: every message, whatever its intent, runs the one action.

The examples are the dialogue's own words (`dialogues/data/commands.json`, the yes/no words,
the choice labels and examples of `dialogues/texts/*.json`), so they follow the dialogue; they
only teach Rasa's classifier two intents, which the rules treat alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.rasa.actions import TURN
from bot.rasa.export.writer import block
from dialogues import parse
from dialogues.flow import load, texts
from intake.texts import LANGUAGES

START = "start_referral"
INFORM = "inform"


def _unique(items: Iterable[str], taken: set[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        folded = parse.fold(item)
        if item.strip() and folded not in taken:
            taken.add(folded)
            out.append(item.strip())
    return out


def _answers() -> list[str]:
    """What people write: the command words, yes and no, numbers, the choice labels and the
    examples the questions show, in every language."""
    commands = load().commands
    out = [word for name, words in commands.items() if name != "start" for word in words]
    out += [*sorted(parse.YES), *sorted(parse.NO), *(str(n) for n in range(1, 13))]
    for lang in LANGUAGES:
        for key, value in sorted(texts(lang).items()):
            if key.startswith(("c.", "ex.", "language.name")):
                out.append(value)
    return out


def nlu() -> dict[str, Any]:
    taken: set[str] = set()
    examples = {
        START: _unique(load().commands.get("start", ()), taken),
        INFORM: _unique(_answers(), taken),
    }
    return {
        "version": "3.1",
        "nlu": [{"intent": name, "examples": block(items)} for name, items in examples.items()],
    }


def rules() -> dict[str, Any]:
    return {
        "version": "3.1",
        "rules": [
            {
                "rule": "every message is one turn of the dialogue engine",
                "steps": [{"or": [{"intent": START}, {"intent": INFORM}]}, {"action": TURN}],
            }
        ],
    }

"""The layers import only downwards: intake imports nothing of ours, dialogues only intake,
storage never bot (nor the engine), and only bot imports a channel or web framework.

Every import is read from the source (also those inside functions and under TYPE_CHECKING), so
a lazy import cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("intake", "dialogues", "storage", "bot")
# What each package may import of ours (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "intake": frozenset(),
    "dialogues": frozenset({"intake"}),
    "storage": frozenset({"intake"}),
    "bot": frozenset({"intake", "dialogues", "storage"}),
}
FRAMEWORKS = ("aiogram", "rasa_sdk", "starlette", "uvicorn", "jinja2", "sanic")


def imported(source: str, module: str) -> set[str]:
    """The top-level names of every module `source` (the text of `module`) imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: within the importing package
                names.add(module.split(".")[0])
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def crossings(package: str, source: str, module: str) -> set[str]:
    found = imported(source, module)
    ours = {name for name in found if name in OURS and name != package}
    wrong = ours - ALLOWED[package]
    if package != "bot":
        wrong |= {name for name in found if name in FRAMEWORKS}
    return wrong


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "rasa/.rasa" not in str(p))


@pytest.mark.parametrize("package", OURS)
def test_no_import_crosses_a_layer(package: str) -> None:
    modules = _modules(package)
    assert modules, package
    bad = {}
    for path in modules:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        wrong = crossings(package, path.read_text("utf-8"), module)
        if wrong:
            bad[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not bad, f"imports across the layers: {bad}"


def test_the_guard_sees_lazy_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.settings import Settings\n"
        "def f():\n    import storage.inbox\n    from aiogram import Bot\n"
        "from . import sibling\n"
    )
    assert crossings("dialogues", source, "dialogues.x") == {"bot", "storage", "aiogram"}
    assert crossings("storage", source, "storage.x") == {"bot", "aiogram"}
    assert crossings("intake", "import dialogues.engine\nimport pydantic\n", "intake.x") == {
        "dialogues"
    }
    assert crossings("bot", source, "bot.x") == set()

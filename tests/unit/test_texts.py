"""The one text mechanism (`intake.texts`): every catalogue in the repository has the same keys
and placeholders in nb, nn and en; a missing key is logged without its values and shown in
bokmål; and a test that looks up a missing key fails (the guard in tests/conftest.py)."""

from __future__ import annotations

import ast
import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands.keys import _SHARED
from bot.staff.texts import STAFF_TEXTS, t
from bot.staff.web.wording import STAFF_WEB_TEXTS
from bot.web.wording import WEB_TEXTS
from dialogues.flow import TEXTS
from intake.messages import MESSAGES
from intake.texts import LANGUAGES, Catalogue, language_or_default
from storage.render.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [MESSAGES, TEXTS, LABELS, STAFF_TEXTS, WEB_TEXTS, STAFF_WEB_TEXTS]


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_folder_of_language_files_is_a_known_catalogue() -> None:
    """A new catalogue is a folder with nb.json, nn.json and en.json; this finds them all."""
    found = set()
    for room in ("intake", "dialogues", "storage", "bot"):
        for nb in (ROOT / room).rglob("nb.json"):
            if all((nb.parent / f"{lang}.json").is_file() for lang in LANGUAGES):
                found.add(nb.parent.relative_to(ROOT).as_posix())
    known = {f"{c.package.replace('.', '/')}/{c.folder}" for c in CATALOGUES}
    assert found == known


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_languages_have_the_same_keys_and_placeholders(catalogue: Catalogue) -> None:
    nb = catalogue.table("nb")
    assert len(nb) > 10
    for lang in ("nn", "en"):
        other = catalogue.table(lang)
        assert set(other) == set(nb), (lang, set(other) ^ set(nb))
        for key, template in nb.items():
            assert _placeholders(other[key]) == _placeholders(template), (key, lang)
            assert other[key].strip(), (key, lang)


def _keys_called(path: Path, names: set[str]) -> set[str]:
    keys: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if name in names and isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
    return keys


def test_every_staff_key_the_code_names_is_in_the_staff_texts() -> None:
    used: set[str] = set()
    for path in [
        *(ROOT / "bot" / "staff").rglob("*.py"),
        ROOT / "bot" / "commands" / "inbox.py",
        ROOT / "bot" / "commands" / "staff.py",
    ]:
        used |= _keys_called(path, {"t", "StaffError", "Refusal"})
    keys_command = _keys_called(ROOT / "bot" / "commands" / "keys.py", {"_t"})
    used |= {k if k in _SHARED else f"keys.{k}" for k in keys_command}
    assert {"unknown_reference", "closed_final", "keys.generated", "passphrase_prompt"} <= used
    assert used - set(STAFF_TEXTS.table("nb")) == set()


def test_a_text_is_filled_in_and_nested_files_read_as_dotted_keys() -> None:
    assert LABELS.text("en", "document.yes") == "Yes"
    assert t("unknown_reference", "nn", reference="KE-X") == "Fann inga melding med referanse KE-X."
    assert t("unknown_reference", "xx", reference="KE-X").startswith("Fant ingen melding")


def test_a_missing_key_is_logged_without_values_and_shown_in_bokmal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing_texts: list[str]
) -> None:
    folder = tmp_path / "pkg_texts_demo" / "texts"
    folder.mkdir(parents=True)
    (folder.parent / "__init__.py").write_text("")
    texts = {
        "nb": {"hello": "Hei, {name}", "only_nb": "Bare bokmål"},
        "nn": {"hello": "Hei, {name}"},
    }
    texts["en"] = {"hello": "Hello, {name}"}
    for lang, data in texts.items():
        (folder / f"{lang}.json").write_text(json.dumps(data), "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    catalogue = Catalogue("pkg_texts_demo", "texts")

    assert catalogue.text("en", "hello", name="Kari") == "Hello, Kari"
    assert catalogue.text("en", "only_nb") == "Bare bokmål"
    assert catalogue.text("nn", "nowhere", name="Kari") == "nowhere"
    assert catalogue.text("en", "hello", nam="Kari") == "Hello, {name}"
    assert missing_texts == [
        "text only_nb missing in pkg_texts_demo/texts (en)",
        "text nowhere missing in pkg_texts_demo/texts (nn)",
        "text hello in pkg_texts_demo/texts (en) lacks a parameter",
    ]
    assert not any("Kari" in line for line in missing_texts)


def test_language_or_default() -> None:
    assert [language_or_default(x) for x in ("nn", "en", "se", None, 3)] == [
        "nn",
        "en",
        "nb",
        "nb",
        "nb",
    ]


def test_a_test_that_looks_up_a_missing_text_fails(tmp_path: Path) -> None:
    """The guard itself: a test run on its own with this suite's conftest fails on a miss."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import _texts_complete  # noqa\n")
    (tmp_path / "test_miss.py").write_text(
        "from dialogues.flow import text\n\n"
        "def test_present():\n    assert text('en', 'c.yes')\n\n"
        "def test_missing():\n    text('en', 'no.such.text')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout
    # The miss shows as an error of the test that made it (at its teardown); the other passes.
    assert "ERROR test_miss.py::test_missing" in run.stdout and "1 error" in run.stdout
    assert "test_present" not in run.stdout.split("short test summary")[-1]
    assert "texts missing: text no.such.text missing in dialogues/texts (en)" in run.stdout

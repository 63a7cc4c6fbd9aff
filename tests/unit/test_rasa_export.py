"""The Rasa project in dialogues/rasa/ is generated (`ke-intake rasa-export`) and must be
current; it routes every message to the one engine turn and sends the action token."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.cli import main
from bot.rasa import export, turn
from bot.rasa.actions import TURN, custom_action_names
from bot.rasa.export import training
from dialogues import parse
from dialogues.flow import load as flow_load
from dialogues.flow import texts
from intake.texts import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path) -> dict:  # type: ignore[type-arg]
    data: dict = YAML(typ="safe").load(path.read_text("utf-8"))  # type: ignore[type-arg]
    return data


def test_committed_project_is_up_to_date(tmp_path: Path) -> None:
    export.write(tmp_path)
    for name in export.render_files():
        fresh = (tmp_path / name).read_text("utf-8")
        committed = export.DEFAULT_DIR / name
        assert committed.is_file(), f"{name} missing: run `ke-intake rasa-export`"
        assert committed.read_text("utf-8") == fresh, (
            f"{name} is stale: run `ke-intake rasa-export`"
        )


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="no git")
def test_only_the_generated_files_are_committed() -> None:
    """No training cache or model (`rasa train` writes .rasa/ and models/) is ever committed."""
    listed = subprocess.run(
        ["git", "ls-files", "dialogues/rasa"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(listed) == sorted(f"dialogues/rasa/{name}" for name in export.render_files())
    ignored = subprocess.run(
        ["git", "check-ignore", "dialogues/rasa/.rasa/cache/cache.db", "dialogues/rasa/models/m"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert len(ignored) == 2


def test_check_flag_reports_a_stale_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rasa-export", "--out", str(tmp_path)]) == 0
    assert main(["rasa-export", "--out", str(tmp_path), "--check"]) == 0
    domain = tmp_path / "domain.yml"
    domain.write_text(domain.read_text("utf-8").replace("dialogue_state", "state"))
    assert main(["rasa-export", "--out", str(tmp_path), "--check"]) == 1
    assert "out of date: domain.yml" in capsys.readouterr().err


def test_every_message_runs_the_one_turn_action() -> None:
    domain = load(export.DEFAULT_DIR / "domain.yml")
    assert domain["actions"] == custom_action_names() == [TURN]
    assert set(domain["slots"]) == set(turn.SLOTS)
    for slot in domain["slots"].values():
        assert slot["mappings"] == [{"type": "custom"}]  # never filled from what is typed
        assert slot["influence_conversation"] is False
    (rule,) = load(export.DEFAULT_DIR / "data" / "rules.yml")["rules"]
    (intents, action) = rule["steps"]
    assert {i["intent"] for i in intents["or"]} == set(domain["intents"])
    assert action == {"action": TURN}
    nlu = load(export.DEFAULT_DIR / "data" / "nlu.yml")["nlu"]
    assert {block["intent"] for block in nlu} == set(domain["intents"])
    config = load(export.DEFAULT_DIR / "config.yml")
    (policy,) = config["policies"]
    assert policy["core_fallback_action_name"] == TURN  # an unforeseen message: the engine


def test_training_phrases_are_the_dialogues_own_words() -> None:
    nlu = {b["intent"]: b["examples"] for b in load(export.DEFAULT_DIR / "data" / "nlu.yml")["nlu"]}
    for word in flow_load().commands["start"]:
        assert f"- {word}\n" in nlu[training.START]
    for word in ("hjelp", "tilbake", "avbryt", "ja", "nei"):
        assert f"- {word}\n" in nlu[training.INFORM]
    shown = {parse.fold(line[2:]) for line in nlu[training.INFORM].splitlines()}
    for lang in LANGUAGES:
        for key, value in texts(lang).items():
            if key.startswith(("c.", "ex.")):
                assert parse.fold(value) in shown, (lang, key)


def test_endpoints_send_the_token_and_keep_conversations_in_memory() -> None:
    raw = (export.DEFAULT_DIR / "endpoints.yml").read_text("utf-8")
    # Unquoted, so Rasa's YAML reader fills in the variable from its environment.
    assert "    Authorization: Bearer ${KE_RASA_ACTION_TOKEN}\n" in raw
    endpoints = load(export.DEFAULT_DIR / "endpoints.yml")
    assert endpoints["action_endpoint"]["url"] == export.ACTION_URL
    assert endpoints["tracker_store"]["type"] == "rasa.core.tracker_store.InMemoryTrackerStore"
    assert endpoints["lock_store"]["type"] == "in_memory"


def test_the_readme_comes_from_its_template() -> None:
    readme = (export.DEFAULT_DIR / "README.md").read_text("utf-8")
    assert "$" not in readme.replace("$(openssl", "")
    assert "KE_RASA_ACTION_TOKEN" in readme and TURN in readme

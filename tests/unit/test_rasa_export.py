"""The Rasa project in dialogues/rasa/ is generated from the dialogue data and must be current."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.cli import main
from bot.rasa import cancel, export
from bot.rasa import slots as s
from bot.rasa.actions import all_actions, dynamic_slots
from dialogues.flow import load as flow_load
from dialogues.flow import text


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


def test_check_flag_reports_a_stale_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rasa-export", "--out", str(tmp_path)]) == 0
    assert main(["rasa-export", "--out", str(tmp_path), "--check"]) == 0
    domain = tmp_path / "domain.yml"
    domain.write_text(domain.read_text("utf-8").replace("Hvilken kommune", "Hvilke kommune"))
    assert main(["rasa-export", "--out", str(tmp_path), "--check"]) == 1
    assert "out of date: domain.yml" in capsys.readouterr().err


def test_domain_agrees_with_the_action_server_and_the_texts() -> None:
    domain = load(export.DEFAULT_DIR / "domain.yml")
    assert set(domain["actions"]) == {a.name() for a in all_actions()}
    assert domain["forms"][s.FORM]["required_slots"] == list(s.form_slots())
    for slot in s.form_slots():
        (mapping,) = domain["slots"][slot]["mappings"]
        assert mapping == {
            "type": "from_text",
            "conditions": [{"active_loop": s.FORM, "requested_slot": slot}],
        }
        if slot in dynamic_slots():
            assert f"utter_ask_{slot}" not in domain["responses"]
            continue
        variants = domain["responses"][f"utter_ask_{slot}"]
        langs = [v.get("condition", [{"value": "nb"}])[0]["value"] for v in variants]
        assert sorted(langs) == ["en", "nb", "nn"]
    english = domain["responses"]["utter_ask_kommune"][1]
    assert english["condition"][0]["value"] == "en"
    assert english["text"].startswith(text("en", "q.kommune"))


def test_endpoints_keep_conversations_in_memory_only() -> None:
    endpoints = load(export.DEFAULT_DIR / "endpoints.yml")
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert endpoints["tracker_store"]["type"] == "rasa.core.tracker_store.InMemoryTrackerStore"
    assert endpoints["lock_store"]["type"] == "in_memory"
    assert "rest" in load(export.DEFAULT_DIR / "credentials.yml")
    readme = (export.DEFAULT_DIR / "README.md").read_text("utf-8")
    assert "lost when Rasa restarts" in readme


def test_nlu_has_commands_in_norwegian_and_english() -> None:
    blocks = {b["intent"]: b["examples"] for b in load(export.DEFAULT_DIR / "data/nlu.yml")["nlu"]}
    assert "- hjelp\n" in blocks["ask_help"] and "- help\n" in blocks["ask_help"]
    assert "- tilbake\n" in blocks["go_back"] and "- go back\n" in blocks["go_back"]
    assert "- avbryt\n" in blocks["cancel_referral"] and "- cancel\n" in blocks["cancel_referral"]
    # An example belongs to one intent only.
    seen: list[str] = []
    for examples in blocks.values():
        seen += [line for line in examples.splitlines() if line]
    assert len(seen) == len(set(seen))


def _rule_intents(step: dict) -> set[str]:  # type: ignore[type-arg]
    if "or" in step:
        return {alt["intent"] for alt in step["or"]}
    return {step["intent"]} if "intent" in step else set()


def test_every_slash_command_reaches_its_command() -> None:
    """`/hjelp`, `/avbryt`, ...: Rasa reads "/word" as the intent `word` when the domain has it
    (then that command's rules must accept it), else as text for the NLU model (then the
    command's intent must be trained on it). Only Rasa's own `/back` and `/restart` are left."""
    domain = load(export.DEFAULT_DIR / "domain.yml")
    rules = load(export.DEFAULT_DIR / "data/rules.yml")["rules"]
    blocks = {b["intent"]: b["examples"] for b in load(export.DEFAULT_DIR / "data/nlu.yml")["nlu"]}
    trained = {
        intent: set(ex.replace("- ", "", 1) for ex in examples.splitlines())
        for intent, examples in blocks.items()
    }
    commands = {"start": export.START} | {c: i for c, (i, _) in export.COMMAND_INTENTS.items()}
    for command, intent in commands.items():
        # Every rule for the command's intent, in the form and outside it.
        accepting = [
            names for rule in rules if intent in (names := _rule_intents(rule["steps"][0]))
        ]
        assert accepting, command
        for word in [command, *flow_load().commands[command]]:
            if not word.replace(" ", "").isalpha():
                continue  # "?" and "-" are no slash commands
            if word in export.RASA_INTENTS:
                continue
            if word in domain["intents"]:
                assert all(word in names for names in accepting), (command, word)
            else:
                assert f"/{word}" in trained[intent], (command, word)
    assert "back" not in domain["intents"] and "restart" not in domain["intents"]
    assert "/endre 3" in trained["edit_answer"] and "/språk nn" in trained["choose_language"]
    readme = (export.DEFAULT_DIR / "README.md").read_text("utf-8")
    assert "`/back` undoes the last message" in readme


def test_cancel_asks_through_its_own_form() -> None:
    domain = load(export.DEFAULT_DIR / "domain.yml")
    assert domain["forms"][cancel.FORM] == {"required_slots": [cancel.ANSWER]}
    (mapping,) = domain["slots"][cancel.ANSWER]["mappings"]
    assert mapping["conditions"] == [{"active_loop": cancel.FORM, "requested_slot": cancel.ANSWER}]
    rules = load(export.DEFAULT_DIR / "data/rules.yml")["rules"]
    decided = [r for r in rules if r.get("condition") == [{"active_loop": cancel.FORM}]]
    assert [r["steps"][-1] for r in decided] == [{"action": "action_referral_cancel_decided"}]
    for rule in rules:
        if {"action": "action_referral_cancel"} in rule["steps"]:
            # Nothing is forgotten by the rule: the action starts the confirmation itself.
            tail = rule["steps"][rule["steps"].index({"action": "action_referral_cancel"}) :]
            assert tail in (
                [{"action": "action_referral_cancel"}],
                [{"action": "action_referral_cancel"}, {"active_loop": None}],
            )

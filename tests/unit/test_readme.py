"""The README's quick start and flow diagram stay true."""

from __future__ import annotations

from pathlib import Path

from bot.commands.diagram import FLOW_END, FLOW_START
from dialogues.diagram import mermaid

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_flow_diagram_in_readme_is_generated_from_the_flow_data() -> None:
    block = README.split(FLOW_START, 1)[1].split(FLOW_END, 1)[0]
    assert block == f"\n```mermaid\n{mermaid()}```\n", "run `make diagram`"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_attachment_the_guardian_example_names_is_there() -> None:
    import hashlib
    import json

    example = json.loads((ROOT / "examples" / "valid-guardian.json").read_text("utf-8"))
    (listed,) = example["attachments"]
    content = (ROOT / "examples" / listed["filename"]).read_bytes()
    assert content.startswith(b"%PDF") and len(content) == listed["size"]
    assert hashlib.sha256(content).hexdigest() == listed["sha256"]
    assert f"--attach examples/{listed['filename']}" in README


def test_the_readme_names_every_command() -> None:
    from bot.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"ke-intake {name}" in README, name

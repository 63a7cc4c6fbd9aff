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

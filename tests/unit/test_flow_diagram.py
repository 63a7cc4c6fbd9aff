"""docs/FLOW.md is generated from the flow data and must match it."""

from __future__ import annotations

from pathlib import Path

from dialogues.diagram import markdown, mermaid
from dialogues.flow import steps

ROOT = Path(__file__).resolve().parents[2]


def test_flow_md_is_up_to_date() -> None:
    current = (ROOT / "docs" / "FLOW.md").read_text("utf-8")
    assert current == markdown(), "run `ke-intake diagram --out docs/FLOW.md`"


def test_diagram_names_every_step_and_loops_the_groups() -> None:
    chart = mermaid()
    for step in steps():
        assert f"<b>{step.id}</b>" in chart
    assert chart.count('-- "yes (at most') == 3
    assert '"' not in chart.replace('["', "").replace('"]', "").replace('{{"', "").replace(
        '"}}', ""
    ).replace('-- "', "").replace('" -->', "").replace('(["', "").replace('"])', "")

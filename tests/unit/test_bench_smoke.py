"""The benchmark harness's smallest configuration still measures what it claims (not timing)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import engine, envelope
from bench.harness import Figure, interleaved, table, write_json


def test_engine_benchmark_replays_a_complete_conversation_to_a_filing() -> None:
    turns, draft = engine.run(rounds=1, passes=1, names=("nn_adult_self",))
    assert turns.unit == "turns/s" and turns.ours > 0
    assert "1 people" in turns.note
    # The draft is a real encrypted state: larger than its JSON, which holds the answers.
    plain = int(draft.note.split()[0])
    assert draft.ours > plain > 500


def test_envelope_benchmark_opens_a_real_envelope() -> None:
    (opened,) = envelope.run(opens=5)
    assert opened.unit == "ms" and 0 < opened.ours < 1000
    assert opened.met == (opened.ours < envelope.TARGET_MS)


def test_interleaving_rotates_who_goes_first_and_results_are_written(tmp_path: Path) -> None:
    order: list[str] = []
    samples = interleaved(
        2,
        {"ours": lambda: order.append("ours") or 2.0, "base": lambda: order.append("base") or 4.0},
    )
    assert order == ["ours", "base", "base", "ours"]
    figure = Figure("x", "ops/s", 2.0, 4.0, ">= 0.5 x baseline", True, samples=samples)
    assert figure.ratio == 0.5
    assert "0.50" in table([figure])
    write_json(tmp_path / "r.json", [figure], {"quick": True})
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["figures"][0]["ratio"] == 0.5

"""What every benchmark shares: a figure (ours next to its baseline and target), medians over
repeated runs with the baseline interleaved, the printed table and the JSON file."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    """One row of the table. `ratio` is ours / baseline when there is a baseline."""

    name: str
    unit: str
    ours: float
    baseline: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.ours / self.baseline

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def interleaved(rounds: int, contenders: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run each contender once per round, rotating who goes first, so drift in the machine
    (other load, caches, the database growing) hits all of them alike."""
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            samples[name].append(contenders[name]())
    return samples


def rate(count: int, run: Callable[[], None]) -> float:
    """Operations per second for `count` operations done by `run`."""
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def ratio_figure(
    name: str,
    unit: str,
    samples: dict[str, list[float]],
    *,
    ours: str,
    baseline: str,
    min_ratio: float,
    note: str = "",
) -> Figure:
    mine, base = median(samples[ours]), median(samples[baseline])
    return Figure(
        name=name,
        unit=unit,
        ours=mine,
        baseline=base,
        target=f">= {min_ratio:g} x baseline",
        met=base > 0 and mine / base >= min_ratio,
        note=note,
        samples={"ours": samples[ours], "baseline": samples[baseline]},
    )


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value != value:  # NaN: a benchmark that failed
        return "n/a"
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: Sequence[Figure]) -> str:
    head = ("figure", "unit", "ours", "baseline", "ratio", "target", "met?")
    rows = [
        (
            f.name,
            f.unit,
            fmt(f.ours),
            fmt(f.baseline),
            "-" if f.ratio is None else f"{f.ratio:.2f}",
            f.target or "-",
            {True: "yes", False: "NO", None: "-"}[f.met],
        )
        for f in figures
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    notes = [f"  {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", "notes:", *notes] if notes else []))


def write_json(path: Path, figures: Sequence[Figure], meta: dict[str, Any]) -> None:
    payload = {"meta": meta, "figures": [f.as_json() for f in figures]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")

"""Render bench/results.json as a Markdown table (for bench/RESULTS.md and the README).

python -m bench.report [results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.harness import Figure, fmt

RESULTS = Path(__file__).resolve().parent / "results.json"


def markdown(path: Path = RESULTS) -> str:
    data = json.loads(path.read_text("utf-8"))
    lines = [
        "| figure | unit | ours | baseline | ratio | target | met? |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for raw in data["figures"]:
        f = Figure(**{k: v for k, v in raw.items() if k != "ratio"})
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: "-"}[f.met]
        lines.append(
            f"| {f.name} | {f.unit} | {fmt(f.ours)} | {fmt(f.baseline)} | {ratio} "
            f"| {f.target or '-'} | {met} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS))

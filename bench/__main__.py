"""`make bench`: every benchmark in turn, a table on stdout and bench/results.json.

python -m bench                  # the full run (sized for < 10 minutes on 2 cores)
python -m bench --quick          # the smallest configuration of each (a smoke run)
python -m bench --only engine filing
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.harness import Figure, table, write_json

# name -> (module, full-size arguments, smallest arguments)
BENCHMARKS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "engine": ("bench.engine", {"baseline": True}, {"rounds": 1, "passes": 1}),
    "envelope": ("bench.envelope", {}, {"opens": 50}),
    "filing": ("bench.filing", {}, {"filings": 16, "rounds": 1}),
    "telegram": ("bench.telegram", {}, {"walks": 1, "rounds": 1}),
    "rasa": ("bench.rasa", {}, {"requests": 40, "rounds": 1, "people": ("nn_adult_self",)}),
    "web": (
        "bench.web",
        {},
        {"rounds": 1, "people": ("nn_adult_self",), "sessions": 0, "workers": False},
    ),
    "load": ("bench.load", {}, {"people": 5, "think": (0.05, 0.2), "ramp": 1.0, "budget": 90.0}),
}
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smallest configuration of each")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    figures: list[Figure] = []
    timings: dict[str, float] = {}
    failures: dict[str, str] = {}
    started = time.perf_counter()
    for name in args.only:
        module, full, small = BENCHMARKS[name]
        print(f"== {name} ...", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        try:
            found = importlib.import_module(module).run(**(small if args.quick else full))
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failures[name] = f"{type(exc).__name__}: {exc}"
            found = [Figure(name=f"{name}: FAILED", unit="-", ours=float("nan"), note=str(exc))]
        timings[name] = time.perf_counter() - begun
        print(f"   {name} took {timings[name]:.1f} s", file=sys.stderr, flush=True)
        figures += found
    total = time.perf_counter() - started

    print(table(figures))
    print(f"\ntotal {total:.0f} s; " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "seconds": {"total": total, **timings},
        "failures": failures,
    }
    write_json(args.json, figures, meta)
    print(f"written: {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

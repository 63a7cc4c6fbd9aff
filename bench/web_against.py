"""One web worker of this tree against one of another commit: microseconds of worker CPU a turn,
per draft store, interleaved rounds, medians (how each web landing is measured).

    python -m bench.web_against --against COMMIT [--ours COMMIT] [--store redis sqlite memory]
                                [--rounds 5] [--connections 8]

Each worker is `ke-intake web --demo` of its own tree (through bench/web_process.py, run from that
tree), saturated in turn by the same raw-socket client as `python -m bench --only web`: complete
referrals by the scripted people of tests/conversations, posted as chat.js posts them, filed into
the tree's demo SQLite inbox. CPU time is the worker process's own (user + system, /proc), so the
rest of a shared machine's load counts less than in wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.engine import checkout
from bench.harness import interleaved, median
from bench.web import _cpu_seconds, _env, _groups, _http_referrals, _stop, _wait


def _start(tree: Path, store: str, tmp: str, prefix: str) -> tuple[subprocess.Popen[bytes], int]:
    from bench.procs import free_port
    from bench.services import REDIS_URL
    from storage.drafts import generate_key

    port = free_port()
    folder = str(Path(tmp) / f"{tree.name}-{store}")
    extra = {"KE_REDIS_URL": REDIS_URL, "KE_DRAFT_KEYS": generate_key()} if store == "redis" else {}
    env = _env(folder, **extra) | {"KE_DRAFT_STORE": store, "PYTHONPATH": str(tree)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.web_process", prefix, str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}")
    return process, port


def _round(process: subprocess.Popen[bytes], port: int, connections: int) -> float:
    """One round of complete referrals; returns microseconds of the worker's CPU a turn."""

    async def go() -> int:
        sizes: list[int] = []
        counts = await asyncio.gather(
            *(_http_referrals([port], group, sizes) for group in _groups(connections))
        )
        return sum(counts)

    used = _cpu_seconds(process.pid)
    posts = asyncio.run(go())
    return (_cpu_seconds(process.pid) - used) / posts * 1e6


def compare(
    against: str, *, ours: str | None, stores: list[str], rounds: int, connections: int
) -> list[str]:
    from bench.services import redis_prefix

    lines = []
    with (
        checkout(against) as base,
        checkout(ours) as mine,
        tempfile.TemporaryDirectory() as tmp,
        contextlib.ExitStack() as stack,
    ):
        prefix = stack.enter_context(redis_prefix()) if "redis" in stores else "bench"
        for store in stores:
            workers = {
                "ours": _start(mine, store, tmp, prefix),
                "base": _start(base, store, tmp, prefix),
            }
            try:
                for process, port in workers.values():  # warm up
                    _round(process, port, connections)
                samples = interleaved(
                    rounds,
                    {
                        name: (lambda w=worker: _round(*w, connections))
                        for name, worker in workers.items()
                    },
                )
            finally:
                _stop(*(process for process, _ in workers.values()))
            ours_us, base_us = median(samples["ours"]), median(samples["base"])
            lines.append(
                f"{store:>6}: ours {ours_us:,.0f} us a turn, {against[:9]} {base_us:,.0f} us "
                f"({base_us / ours_us:.2f}x fewer); rounds ours "
                f"{[round(s) for s in samples['ours']]}, base {[round(s) for s in samples['base']]}"
            )
    lines.append(f"load average {os.getloadavg()[0]:.1f} at the end, {connections} connections")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the baseline commit")
    parser.add_argument("--ours", default=None, help="a commit instead of this tree")
    parser.add_argument(
        "--store", nargs="+", default=["redis"], choices=["redis", "sqlite", "memory"]
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    for line in compare(
        args.against,
        ours=args.ours,
        stores=args.store,
        rounds=args.rounds,
        connections=args.connections,
    ):
        print(line)


if __name__ == "__main__":
    main()

"""One side of the engine comparison: replays the scripted conversations with the engine of one
source tree, a round at a time, when asked on stdin.

    python bench/engine_worker.py TREE      # TREE: a checkout (ours, or a baseline worktree)

Run as a script, not imported: it puts TREE first on sys.path, so `dialogues`, `tests` and
`bench.engine` (record, replay, people) are that tree's, whatever this interpreter has installed.
It prints "ready <conversations> <turns per pass>" once every conversation is recorded and
replayed once (warm), then answers each line "PASSES" with the turns per second of that many
passes over every conversation, by the clock and by this process's CPU time (on a machine
other work keeps busy, the CPU time is what the engine itself cost); it ends at end of input.
Both sides wait on their stdin while the other runs, so they never share the CPU.
"""

from __future__ import annotations

import sys
import time


def main(tree: str) -> None:
    sys.path.insert(0, tree)
    from bench.engine import people, record, replay

    conversations = [record(name) for name in people()]
    turns = sum(replay(fresh, inputs, ctx) for fresh, inputs, _, ctx in conversations)
    print(f"ready {len(conversations)} {turns}", flush=True)
    for line in sys.stdin:
        passes = int(line)
        turns = 0
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(passes):
            for fresh, inputs, _, ctx in conversations:
                turns += replay(fresh, inputs, ctx)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(turns / wall, turns / max(cpu, 1e-9), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

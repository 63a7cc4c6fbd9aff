"""One side of the engine comparison: replays the scripted conversations with the engine of one
source tree, a round at a time, when asked on stdin.

    python bench/engine_worker.py TREE      # TREE: a checkout (ours, or a baseline worktree)

Run as a script, not imported: it puts TREE first on sys.path, so `dialogues`, `tests` and
`bench.engine` (record, replay, people) are that tree's, whatever this interpreter has installed.
It prints "ready" once every conversation is recorded and replayed once (warm), then answers each
line "PASSES" with the turns per second of that many passes over every conversation; it ends at
end of input. Both sides wait on their stdin while the other runs, so they never share the CPU.
"""

from __future__ import annotations

import sys
import time


def main(tree: str) -> None:
    sys.path.insert(0, tree)
    from bench.engine import people, record, replay

    conversations = [record(name) for name in people()]
    for fresh, inputs, _, ctx in conversations:
        replay(fresh, inputs, ctx)
    print("ready", flush=True)
    for line in sys.stdin:
        passes = int(line)
        turns = 0
        start = time.perf_counter()
        for _ in range(passes):
            for fresh, inputs, _, ctx in conversations:
                turns += replay(fresh, inputs, ctx)
        print(turns / (time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
